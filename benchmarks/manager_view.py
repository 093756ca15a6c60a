"""The manager's report at scale (issue 16.5): `salesbot report --format json`
for N tracked issues with `latency` seconds per request.

Targets for N = 10,000 at 30 ms a request: under 15 s wall, at most
ceil(N / 100) + 10 requests (the listing, closed issues included, is the
only thing read: rollups, deal facts and days overdue come from it), peak
RSS under 250 MB. Runs in its own process (`benchmarks.measure`) against the
benchmark sandbox (`benchmarks.server`), like the other cases.
"""

from __future__ import annotations

import math
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from benchmarks.dataset import TODAY
from benchmarks.runner import Measurement, config_dir, measure, sandbox

WALL_TARGET_S = 15.0
RSS_TARGET_MB = 250.0
EXTRA_REQUESTS = 10  # beyond ceil(N / 100)


@dataclass(frozen=True)
class ReportFigure:
    n: int
    latency: float
    measured: Measurement

    @property
    def request_target(self) -> int:
        return math.ceil(self.n / 100) + EXTRA_REQUESTS

    @property
    def ratio(self) -> float:
        """Requests over ceil(N / 100), the listing's floor."""
        return self.measured.requests / max(math.ceil(self.n / 100), 1)

    @property
    def timed(self) -> bool:
        """The wall-time target holds for 10,000 issues at 30 ms a request."""
        return self.n >= 10_000 and self.latency >= 0.03

    @property
    def ok(self) -> bool:
        m = self.measured
        return (
            m.exit_code == 0
            and m.requests <= self.request_target
            and m.rss_mb < RSS_TARGET_MB
            and (not self.timed or m.wall_s < WALL_TARGET_S)
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "latency_s": self.latency,
            "request_target": self.request_target,
            "ratio": round(self.ratio, 3),
            "wall_target_s": WALL_TARGET_S if self.timed else None,
            "rss_target_mb": RSS_TARGET_MB,
            "ok": self.ok,
            "measured": asdict(self.measured),
        }


def bench(n: int, *, latency: float, workdir: Path | None = None) -> ReportFigure:
    """One `salesbot report --format json` against N seeded issues."""
    with tempfile.TemporaryDirectory(prefix="salesbot-report-bench-") as scratch:
        work = workdir or Path(scratch)
        config = config_dir(n, work / "config")
        out = work / "report.json"
        argv = ["--config", str(config), "--today", TODAY.isoformat()]
        argv += ["report", "--format", "json", "--out", str(out)]
        with sandbox(n, stale=0, latency=latency) as box:
            found = measure("report", box, "cli", argv, floor=None, workdir=work)
        return ReportFigure(n, latency, found)


def table(figures: list[ReportFigure]) -> str:
    lines = ["", "The manager's report (issue 16.5):"]
    for f in figures:
        m = f.measured
        wall = f"< {WALL_TARGET_S:.0f} s" if f.timed else "untimed below N=10,000 at 30 ms"
        lines.append(
            f"{'ok  ' if f.ok else 'MISS'} report N={f.n:,}: {m.wall_s:.1f} s wall ({wall}), "
            f"{m.requests:,} requests (target <= {f.request_target:,}; "
            f"{f.ratio:.2f} x ceil(N/100)), {m.rss_mb:.0f} MB peak RSS "
            f"(< {RSS_TARGET_MB:.0f} MB), CPU {m.cpu_s:.1f} s, exit {m.exit_code}"
        )
    return "\n".join(lines)
