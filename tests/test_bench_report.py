"""The manager's report benchmark at a tiny N, so its code cannot rot: request
counts, not timings (`make bench` measures 10,000 issues at 30 ms)."""

from __future__ import annotations

import json
import math
from pathlib import Path

from benchmarks import manager_view


def test_the_report_costs_the_listing_and_nothing_per_issue(tmp_path: Path) -> None:
    n = 250
    figure = manager_view.bench(n, latency=0.0, workdir=tmp_path)
    m = figure.measured
    assert m.exit_code == 0
    assert m.writes == 0  # a report only reads
    assert m.lists == math.ceil(n / 100)
    assert m.requests <= math.ceil(n / 100) + manager_view.EXTRA_REQUESTS
    assert figure.ok and not figure.timed
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert report["version"] == 2 and report["managers"] and report["sellers"]
    # the data set's consults and LDRs keep their deal facts, as consults sync writes them
    deals = [i for i in report["issues"] if i["workflow"] == "opportunity"]
    assert deals and all(i["facts"]["stage"] == "3-Technical Evaluation" for i in deals)
    text = manager_view.table([figure])
    assert "MISS" not in text and f"{m.requests} requests" in text
