"""`make bench`: salesbot's sweep and run against N seeded issues, with latency.

    python -m benchmarks [--n 1000 --n 10000] [--latency 0.03] [--json FILE]

Prints one table (requests by kind against their floor, wall time,
salesbot's own CPU time, peak RSS, the naive baseline's ratio) and a verdict
per target, then the checklist reader's CPU seconds per MB on hostile
descriptions (`benchmarks.checklist`, also runnable alone), the webhook
receiver, and what runs cost (`benchmarks.costs`: a 10,000-row handover
import and its rerun, the sweep on the day issues turn overdue and its rerun,
a 50 MB file validated as a stream) and the manager's report
(`benchmarks.manager_view`); `--json FILE` writes every figure for
CI artifacts. Exit code 0 whatever the figures: a slow CI machine is not a
failed build; read the verdicts.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from benchmarks import checklist, costs, live, manager_view, receiver
from benchmarks.report import table, verdicts
from benchmarks.runner import bench


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--n", type=int, action="append", help="issues to seed (repeatable; 1000 and 10000)"
    )
    parser.add_argument(
        "--latency", type=float, default=0.03, help="seconds added to every request (0.03)"
    )
    parser.add_argument(
        "--stale", type=int, default=1000, help="issues whose label must change (1000)"
    )
    parser.add_argument(
        "--baseline-sample",
        type=int,
        default=1000,
        help="issues the naive baseline examines before its time is scaled to N (0: all)",
    )
    parser.add_argument(
        "--receiver-rate", type=int, default=200, help="webhook events a second in the burst"
    )
    parser.add_argument(
        "--receiver-seconds", type=float, default=10.0, help="how long the burst lasts (10)"
    )
    parser.add_argument(
        "--live-ticks", type=int, default=20, help="ticks on the sandbox page, end to end (20)"
    )
    parser.add_argument(
        "--import-rows", type=int, default=10_000, help="rows of the handover import (10000)"
    )
    parser.add_argument(
        "--csv-mb", type=float, default=50.0, help="size of the file validated as a stream (50)"
    )
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    sizes = args.n or [1000, 10000]
    # `salesbot serve` (benchmarks.receiver), on the first N's data set. First:
    # it runs in this process, whose peak RSS (getrusage) would otherwise be
    # the in-process sandbox's of the 10,000-issue cases below.
    webhooks = receiver.bench(
        sizes[0], latency=args.latency, rate=args.receiver_rate, seconds=args.receiver_seconds
    )
    print(receiver.table(webhooks))
    all_results = []
    for n in sizes:
        print(f"benchmarking N={n:,} at {args.latency * 1000:.0f} ms per request...", flush=True)
        all_results.append(
            bench(
                n,
                latency=args.latency,
                stale=args.stale,
                baseline_sample=args.baseline_sample or None,
            )
        )
    print(table(all_results))
    reader = checklist.bench()
    print(checklist.table(reader))
    # a tick on the sandbox's page through its webhook to the label (benchmarks.live)
    ticks = live.bench(args.live_ticks, latency=args.latency)
    print(live.table(ticks))
    # what runs cost (issue 13.2): import, the day issues turn overdue, a big file
    spent = costs.bench(
        min(sizes), latency=args.latency, import_rows=args.import_rows, csv_mb=args.csv_mb
    )
    print(costs.table(spent))
    # the manager's report (issue 16.5): N issues, rollups and facts from one listing
    reports = [manager_view.bench(n, latency=args.latency) for n in sizes]
    print(manager_view.table(reports))
    if args.json:
        figures = {
            "latency_s": args.latency,
            "results": [r.to_json() for r in all_results],
            "verdicts": [
                {"what": v.what, "value": v.value, "target": v.target, "ok": v.ok}
                for r in all_results
                for v in verdicts(r)
            ],
            "checklist": [figure.to_json() for figure in reader],
            "receiver": webhooks.to_json(),
            "live": ticks.to_json(),
            "costs": [figure.to_json() for figure in spent],
            "report": [figure.to_json() for figure in reports],
        }
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")
        print(f"figures written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
