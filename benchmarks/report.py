"""The benchmark's table and its verdicts against the issue's targets."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from benchmarks.runner import (
    FLOOR_SLACK,
    NOOP_TARGET_S,
    RSS_TARGET_MB,
    WRITE_TARGET_S,
    Measurement,
    Results,
)

# wall-time targets hold for 10,000 issues at 30 ms per request
WALL_TARGET_N = 10_000
WALL_TARGET_LATENCY = 0.03


@dataclass(frozen=True)
class Verdict:
    what: str
    value: str
    target: str
    ok: bool


# a sweep that writes looks once at what changed since its listing
# (automation.recheck, issue 15): one list request, on top of the floor
RECHECK = 1


def verdicts(results: Results) -> list[Verdict]:
    """Each target of the issue that applies to this N, met or not."""
    found: list[Verdict] = []
    runs = {m.name: m for m in results.runs}
    sweep, rerun = runs.get("sweep"), runs.get("sweep, rerun")
    n = results.n
    if sweep is not None and sweep.floor:
        found.append(
            Verdict(
                f"sweep requests (N={n:,})",
                f"{sweep.requests:,} = {sweep.requests / sweep.floor:.3f} x floor {sweep.floor:,}",
                f"<= {FLOOR_SLACK} x floor + {RECHECK}",
                sweep.requests <= FLOOR_SLACK * sweep.floor + RECHECK and sweep.exit_code == 0,
            )
        )
    if rerun is not None:
        lists = math.ceil(n / 100)
        found.append(
            Verdict(
                f"no-op rerun (N={n:,})",
                f"{rerun.lists} list, {rerun.writes} writes, {rerun.requests} requests",
                f"{lists} list, 0 writes",
                rerun.lists == lists and rerun.writes == 0 and rerun.exit_code == 0,
            )
        )
    timed = n >= WALL_TARGET_N and results.latency >= WALL_TARGET_LATENCY
    if timed and rerun is not None:
        found.append(
            Verdict(
                f"no-op sweep wall (N={n:,})",
                f"{rerun.wall_s:.1f} s",
                f"< {NOOP_TARGET_S:.0f} s",
                rerun.wall_s < NOOP_TARGET_S,
            )
        )
    if timed and sweep is not None:
        found.append(
            Verdict(
                f"sweep writing {sweep.writes:,} wall (N={n:,})",
                f"{sweep.wall_s:.1f} s",
                f"< {WRITE_TARGET_S:.0f} s",
                sweep.wall_s < WRITE_TARGET_S,
            )
        )
    for run in results.runs:
        found.append(
            Verdict(
                f"{run.name} peak RSS (N={n:,})",
                f"{run.rss_mb:.0f} MB",
                f"< {RSS_TARGET_MB:.0f} MB",
                run.rss_mb < RSS_TARGET_MB,
            )
        )
    return found


_HEADER = (
    "N",
    "run",
    "exit",
    "requests",
    "lists",
    "writes",
    "floor",
    "x floor",
    "wall s",
    "CPU s",
    "RSS MB",
    "by kind",
)


def _row(m: Measurement, *, wall: float | None = None, requests: int | None = None) -> list[str]:
    ratio = m.vs_floor if requests is None else (requests / m.floor if m.floor else None)
    kinds = ", ".join(
        f"{k.split(' ', 1)[0]} {_short(k)}: {v}" for k, v in sorted(m.by_kind.items())
    )
    return [
        f"{m.n:,}",
        m.name,
        str(m.exit_code),
        f"{requests if requests is not None else m.requests:,}",
        f"{m.lists:,}",
        f"{m.writes:,}",
        f"{m.floor:,}" if m.floor else "-",
        f"{ratio:.2f}" if ratio else "-",
        f"{wall if wall is not None else m.wall_s:.1f}",
        f"{m.cpu_s:.1f}",
        f"{m.rss_mb:.0f}",
        kinds,
    ]


def _short(kind: str) -> str:
    path = kind.split(" ", 1)[1] if " " in kind else kind
    return path.replace("/projects/:id", "").replace("/issues/:iid", "/:iid") or "/"


def table(all_results: Sequence[Results]) -> str:
    rows: list[list[str]] = []
    for results in all_results:
        base = results.baseline
        sampled = base.measured.extra.get("examined", 0) < base.measured.extra.get("listed", 0)
        naive = _row(base.measured, wall=base.wall_s, requests=base.requests)
        if sampled:
            examined = base.measured.extra["examined"]
            naive[1] = f"naive sweep (est. from {examined:,})"
            naive[5] = f"{results.stale:,}"
            naive[-1] = f"first {examined:,} issues: {naive[-1]}"
        rows.append(naive)
        rows.extend(_row(m) for m in results.runs)
    lines = _columns([list(_HEADER), *rows])
    for results in all_results:
        sweep = next((m for m in results.runs if m.name == "sweep"), None)
        if sweep is None:
            continue
        base = results.baseline
        lines.append(
            f"N={results.n:,}: naive / salesbot sweep: wall {base.wall_s / sweep.wall_s:.1f}x, "
            f"requests {base.requests / sweep.requests:.1f}x "
            f"(latency {results.latency * 1000:.0f} ms per request)"
        )
    lines.append("")
    for verdict in (v for results in all_results for v in verdicts(results)):
        mark = "ok  " if verdict.ok else "MISS"
        lines.append(f"{mark} {verdict.what}: {verdict.value} (target {verdict.target})")
    return "\n".join(lines)


def _columns(rows: Iterable[list[str]]) -> list[str]:
    rows = list(rows)
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    out = []
    for row in rows:
        cells = [
            c.rjust(w) if i != 1 else c.ljust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=False))
        ]
        out.append("  ".join([*cells, row[-1]]))
    return out
