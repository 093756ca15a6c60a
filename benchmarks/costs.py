"""What runs cost (issue 13.2): requests, CPU and memory for the cases a team
meets beside the daily sweep.

1. `handover import` of a 10,000-row realignment file into a project holding
   N bot issues, then the same file again (nothing to do);
2. the sweep on the day a share of the N issues turns overdue (each gets its
   label and a nudge), then the same day again, beside gitlab-triage's
   figure for that case (169 requests for 1,000 issues, 166 overdue);
3. validating a 50 MB handover file (as a stream), and a 5 MB one to show
   the time is linear in rows.

Targets: import <= ceil(N / 100) + distinct users + rows; its rerun <=
ceil(all issues / 100) + distinct users + 2; the overdue sweep <= 2 requests
per changed issue + ceil(N / 100) + 3 (/user, the label lookup and the
overdue label's one-time creation); its rerun <= ceil(N / 100) + 2; the
50 MB validation under 200 MB peak RSS.
"""

from __future__ import annotations

import math
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from benchmarks.dataset import TODAY
from benchmarks.runner import ROOT, Measurement, config_dir, measure, sandbox

# sandbox users (automation/sandbox/seed.yml) the handover rows move between
SELLERS = ("alice", "bob", "carol", "dave", "erin", "frank", "grace")
# 2026-03-09, a Monday: 5 days on, the data set's first consults have fallen due
OVERDUE_DAY = TODAY + timedelta(days=5)
TRIAGE_REQUESTS = 169  # gitlab-triage, 1,000 issues of which 166 turn overdue
VALIDATE_RSS_TARGET_MB = 200.0


@dataclass(frozen=True)
class Figure:
    """One measured case against its target."""

    name: str
    measured: Measurement | None
    target: int | float
    value: float
    unit: str
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        code = self.measured.exit_code if self.measured else 0
        return code == 0 and self.value <= self.target

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "value": self.value,
            "unit": self.unit,
            "target": self.target,
            "ok": self.ok,
            "note": self.note,
            "measured": asdict(self.measured) if self.measured else None,
            **self.extra,
        }


def handover_csv(path: Path, rows: int) -> int:
    """A realignment file of `rows` distinct accounts; returns the distinct users."""
    with path.open("w", encoding="utf-8") as out:
        out.write("account,account_id,from,to,effective_date,reason,opportunities\n")
        for i in range(rows):
            seller = SELLERS[i % len(SELLERS)]
            buyer = SELLERS[(i + 1 + i // len(SELLERS)) % len(SELLERS)]
            if buyer == seller:
                buyer = SELLERS[(i + 2) % len(SELLERS)]
            effective = TODAY + timedelta(days=7 + i % 60)
            out.write(
                f"Account {i:06d} Inc,ACC-{i:06d},{seller},{buyer},{effective.isoformat()},"
                f"territory realignment FY27,OPP-{i:06d}\n"
            )
    return len(SELLERS)


def big_csv(path: Path, megabytes: float) -> int:
    """A handover file of about `megabytes` MB; returns its rows."""
    target = int(megabytes * 1_000_000)
    size = rows = 0
    with path.open("w", encoding="utf-8") as out:
        header = "account,account_id,from,to,effective_date,reason,opportunities\n"
        out.write(header)
        size = len(header)
        while size < target:
            effective = TODAY + timedelta(days=7 + rows % 300)
            line = (
                f"Account number {rows} Inc,001{rows:012d},{SELLERS[rows % 7]},"
                f"{SELLERS[(rows + 3) % 7]},{effective.isoformat()},"
                f"Territory realignment FY27 west,006{rows:012d}\n"
            )
            out.write(line)
            size += len(line)
            rows += 1
    return rows


def validate(path: Path, workdir: Path) -> dict[str, Any]:
    """`python -m benchmarks.measure validate` on `path`, in its own process."""
    import json

    result = workdir / "validate.json"
    command = [sys.executable, "-m", "benchmarks.measure", str(result), "validate", "--"]
    subprocess.run(
        [*command, str(path), TODAY.isoformat()],
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    figures: dict[str, Any] = json.loads(result.read_text(encoding="utf-8"))
    return figures


def bench(
    n: int,
    *,
    latency: float,
    import_rows: int = 10_000,
    csv_mb: float = 50.0,
    workdir: Path | None = None,
) -> list[Figure]:
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory(prefix="salesbot-costs-") as tmp:
        work = workdir or Path(tmp)
        config = config_dir(n, work / "config")
        lists = math.ceil(n / 100)
        # 1. handover import, then the same file again
        moves = work / "moves.csv"
        # the sellers, and the bot itself (GET /user)
        users = handover_csv(moves, import_rows) + 1
        common = ["--config", str(config), "--today", TODAY.isoformat()]
        with sandbox(n, stale=0, latency=latency) as box:
            argv = [*common, "handover", "import", str(moves)]
            first = measure("handover import", box, "cli", argv, floor=None, workdir=work)
            figures.append(
                Figure(
                    f"handover import of {import_rows:,} rows (N={n:,})",
                    first,
                    lists + users + import_rows,
                    first.requests,
                    "requests",
                    f"ceil(N/100) + {users} users + {import_rows:,} creates",
                )
            )
            again = measure("handover import, rerun", box, "cli", argv, floor=None, workdir=work)
            figures.append(
                Figure(
                    f"handover import rerun (N={n:,})",
                    again,
                    math.ceil((n + import_rows) / 100) + users + 2,
                    again.requests,
                    "requests",
                    f"ceil(issues/100) + {users} users + 2",
                )
            )
        # 2. the day issues turn overdue, then that day again
        day = ["--config", str(config), "--today", OVERDUE_DAY.isoformat()]
        with sandbox(n, stale=0, latency=latency) as box:
            box.ask(f"day {OVERDUE_DAY.isoformat()}")  # GitLab's clock on the run's day
            sweep = measure("overdue sweep", box, "cli", [*day, "sweep"], floor=None, workdir=work)
            changed = sweep.by_kind.get("POST /projects/:id/issues/:iid/notes", 0) + (
                sweep.by_kind.get("PUT /projects/:id/issues/:iid", 0)
            )
            figures.append(
                Figure(
                    f"sweep, {changed:,} turn overdue (N={n:,})",
                    sweep,
                    2 * changed + lists + 3,
                    sweep.requests,
                    "requests",
                    f"2 x {changed} changed + ceil(N/100) + 3; gitlab-triage: "
                    f"{TRIAGE_REQUESTS} for N=1,000 with 166 overdue",
                    {"changed": changed},
                )
            )
            rerun = measure(
                "overdue sweep, rerun", box, "cli", [*day, "sweep"], floor=None, workdir=work
            )
            figures.append(
                Figure(
                    f"sweep, same day again (N={n:,})",
                    rerun,
                    lists + 2,
                    rerun.requests,
                    "requests",
                    "ceil(N/100) + 2",
                )
            )
        # 3. validating a big file as a stream, and a tenth of it (linear time)
        for megabytes in (csv_mb / 10, csv_mb):
            path = work / f"big-{megabytes:g}mb.csv"
            started = time.perf_counter()
            rows = big_csv(path, megabytes)
            made = time.perf_counter() - started
            result = validate(path, work)
            figures.append(
                Figure(
                    f"validate a {megabytes:g} MB handover file ({rows:,} rows)",
                    None,
                    VALIDATE_RSS_TARGET_MB,
                    result["rss_mb"],
                    "MB peak RSS",
                    f"{result['wall_s']:.1f} s wall, {result['cpu_s']:.1f} s CPU, "
                    f"{1e6 * result['cpu_s'] / max(rows, 1):.0f} us CPU per row",
                    {
                        "rows": rows,
                        "wall_s": result["wall_s"],
                        "cpu_s": result["cpu_s"],
                        "made_s": made,
                    },
                )
            )
            path.unlink()
    return figures


def table(figures: list[Figure]) -> str:
    lines = ["", "What runs cost (issue 13.2):"]
    for f in figures:
        mark = "ok  " if f.ok else "MISS"
        m = f.measured
        timing = f", wall {m.wall_s:.1f} s, CPU {m.cpu_s:.1f} s, writes {m.writes:,}" if m else ""
        value = f"{f.value:,.0f}"
        lines.append(
            f"{mark} {f.name}: {value} {f.unit} (target <= {f.target:,.0f}: {f.note}){timing}"
        )
    return "\n".join(lines)
