"""The benchmark at a tiny N, so its code cannot rot: request counts, not timings."""

from __future__ import annotations

import json
import math
from pathlib import Path

from benchmarks.__main__ import main as bench_main
from benchmarks.dataset import hires, issues, stale_positions, units
from benchmarks.report import table, verdicts
from benchmarks.runner import LIST_KIND, bench

N = 40
STALE = 12


def test_the_data_set_is_exactly_n_issues_with_the_stale_ones_spread() -> None:
    specs = list(issues(N, stale=STALE))
    assert len(specs) == N == sum(u.issues for u in units(N))
    assert sum(s.stale for s in specs) == STALE
    assert {s.workflow for s in specs} == {"handover", "opportunity", "onboarding", "give-back"}
    assert all(20 <= s.description.count("- [") <= 60 for s in specs)
    assert all("progress::not-started" in s.labels for s in specs if s.stale)
    assert max(stale_positions(N, STALE)) >= N - N // STALE - 1  # not bunched at the start
    assert len(hires(N)) == sum(1 for s in specs if s.workflow == "onboarding")


def test_a_tiny_benchmark_counts_requests_against_their_floor(tmp_path: Path) -> None:
    results = bench(N, latency=0.0, stale=STALE, baseline_sample=None, workdir=tmp_path)
    lists = math.ceil(N / 100)
    naive = results.baseline.measured
    # the baseline: the list, one GET per issue, one PUT per change (and /user)
    assert naive.exit_code == 0
    assert naive.by_kind["GET /projects/:id/issues/:iid"] == N
    assert (naive.requests, naive.writes) == (lists + 1 + N + STALE, STALE)
    runs = {m.name: m for m in results.runs}
    assert [m.exit_code for m in results.runs] == [0, 0, 0, 0]
    sweep, rerun = runs["sweep"], runs["sweep, rerun"]
    assert sweep.by_kind == {
        "GET /user": 1,
        # the listing, and before writing the look at what changed since (issue 15)
        LIST_KIND: lists + 1,
        "PUT /projects/:id/issues/:iid": STALE,
    }
    assert sweep.floor == lists + STALE
    assert (rerun.requests, rerun.lists, rerun.writes) == (lists + 1, lists, 0)
    # `salesbot run` writes the dashboard and the ASM's group consult of the month once,
    # then nothing
    assert runs["run"].writes == runs["run"].by_kind["POST /projects/:id/issues"] == 2
    assert runs["run, rerun"].writes == 0
    assert all(v.ok for v in verdicts(results) if "requests" in v.what or "rerun" in v.what)
    text = table([results])
    assert "naive sweep" in text and "sweep, rerun" in text and "MISS" not in text


def test_the_command_line_writes_its_figures(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    argv = ["--n", "5", "--latency", "0", "--stale", "2", "--baseline-sample", "3"]
    argv += ["--receiver-rate", "20", "--receiver-seconds", "0.5", "--live-ticks", "2"]
    argv += ["--import-rows", "30", "--csv-mb", "0.2"]
    assert bench_main([*argv, "--json", str(out)]) == 0
    figures = json.loads(out.read_text(encoding="utf-8"))
    (result,) = figures["results"]
    assert figures["live"]["ticks"] == 2 and figures["live"]["missed"] == 0
    assert result["n"] == 5 and result["stale"] == 2
    assert result["baseline"]["sampled"] == 3  # 3 of 5 examined, then scaled to 5
    assert result["baseline"]["requests"] == 1 + 1 + 5 + 2  # list, /user, GETs, PUTs
    assert [r["writes"] for r in result["runs"]] == [2, 0, 2, 0]
    # at N=5 the one GET /user and the look before writing (automation.recheck)
    # outweigh the 10% allowance: the verdict says so
    sweep = next(v for v in figures["verdicts"] if v["what"].startswith("sweep requests"))
    assert sweep["value"].startswith("5 = 1.667 x floor 3") and sweep["ok"] is False
    # what runs cost: every case measured, every target met
    spent = {c["name"].split(" (")[0]: c for c in figures["costs"]}
    assert all(c["ok"] for c in figures["costs"]), spent
    assert spent["handover import of 30 rows"]["value"] == 1 + 8 + 30  # list, users, creates
    assert spent["sweep, same day again"]["value"] <= 1 + 2
