"""Opportunity consults and Lightweight Deal Reviews from a CRM export, through the CLI."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from tests.e2e import World

TODAY = "2026-11-27"
HEADER = "id,name,account,owner,segment,iacv,amount,close_date,stage,narr\n"
ROWS = {
    "A1": "A1,Platform,Acme,bob,SMB,12000,36000,2027-02-15,3-Technical Evaluation\n",
    "A2": "A2,Seats,Globex,bob,SMB,6000,6000,2026-12-20,2-Scoping\n",
    "A3": "A3,Tiny,Initech,carol,SMB,3000,3000,2026-12-20,2-Scoping\n",
    "A4": "A4,Later,Umbrella,carol,Mid-Market,12000,12000,2027-03-20,2-Scoping\n",
    "E1": "E1,Transformation,Hooli,kim,Enterprise,60000,180000,2027-06-30,1-Discovery,90000\n",
}


def export(tmp_path: Path, **changes: str) -> Path:
    rows = {**ROWS, **changes}
    path = tmp_path / "opportunities.csv"
    path.write_text(HEADER + "".join(rows.values()), encoding="utf-8")
    return path


def sync(world: World, csv: Path, today: str = TODAY) -> int:
    return world.cli("consults", "sync", "--opportunities", str(csv), today=today).code


def test_thresholds_open_one_issue_per_qualifying_opportunity(world: World, tmp_path: Path) -> None:
    assert sync(world, export(tmp_path)) == 0
    issues = {i.title: i for i in world.issues("opportunity")}
    assert set(issues) == {
        "Opportunity Consult: Platform (Acme)",
        "Lightweight Deal Review: Seats (Globex)",
        "Command Plan: Transformation (Hooli)",  # Enterprise: $50K+ NARR
    }
    consult = issues["Opportunity Consult: Platform (Acme)"]
    assert consult.assignees == ("bob",) and consult.confidential
    assert {"Opportunity Consult", "segment::SMB"} <= set(consult.labels)
    assert "MEDDPPICC" in consult.description
    assert consult.due_date == date(2026, 12, 4)  # a week (config), before the close date
    ldr = issues["Lightweight Deal Review: Seats (Globex)"]
    assert "Lightweight Deal Review" in ldr.labels
    before = world.writes()
    assert sync(world, export(tmp_path)) == 0
    assert world.writes() == before


def test_an_ldr_that_grows_is_relabelled_not_duplicated(world: World, tmp_path: Path) -> None:
    assert sync(world, export(tmp_path)) == 0
    grown = "A2,Seats,Globex,bob,SMB,15000,15000,2026-12-20,2-Scoping\n"
    assert sync(world, export(tmp_path, A2=grown), "2026-12-01") == 0
    issue = world.issue("opportunity", "id:A2")
    assert "Opportunity Consult" in issue.labels
    assert "Lightweight Deal Review" not in issue.labels
    (note,) = world.notes(issue.iid)
    assert "$15,000" in note.body and "Opportunity Consult" in note.body
    assert len(world.issues("opportunity")) == 3
    before = world.writes()
    assert sync(world, export(tmp_path, A2=grown), "2026-12-01") == 0
    assert world.writes() == before


def test_closed_and_shrunken_deals_are_noted_labelled_and_closed(
    world: World, tmp_path: Path
) -> None:
    assert sync(world, export(tmp_path)) == 0
    won = "A1,Platform,Acme,bob,SMB,12000,36000,2027-02-15,Closed Won\n"
    shrunk = "E1,Transformation,Hooli,kim,Enterprise,20000,60000,2027-06-30,1-Discovery,30000\n"
    assert sync(world, export(tmp_path, A1=won, E1=shrunk), "2026-12-02") == 0
    acme = world.issue("opportunity", "id:A1")
    assert acme.state == "closed" and "status::closed-won" in acme.labels
    assert "Closed Won" in world.notes(acme.iid)[0].body
    hooli = world.issue("opportunity", "id:E1")
    assert hooli.state == "closed" and "status::below-threshold" in hooli.labels
    before = world.writes()
    assert sync(world, export(tmp_path, A1=won, E1=shrunk), "2026-12-02") == 0
    assert world.writes() == before


def test_bad_rows_abort_everything_by_default(world: World, tmp_path: Path) -> None:
    csv = export(
        tmp_path,
        X1=",No id,X,bob,SMB,9000,,2026-12-01,x\n",
        X2="X2,Money,X,bob,SMB,lots,,2026-12-01,x\n",
        X3="X3,Segment,X,bob,Galaxy,9000,,2026-12-01,x\n",
    )
    result = world.cli("consults", "sync", "--opportunities", str(csv), today=TODAY)
    assert result.code == 1
    for line in (
        "opportunities.csv:7: id: missing",
        "opportunities.csv:8: iacv",
        "opportunities.csv:9: segment",
    ):
        assert line in result.err
    assert "nothing was written" in result.err
    assert world.writes() == 0


def test_bad_rows_are_skipped_when_the_config_says_so(world: World, tmp_path: Path) -> None:
    text = world.config.read_text(encoding="utf-8").replace(
        "on_bad_rows: abort", "on_bad_rows: skip"
    )
    world.config.write_text(text, encoding="utf-8")
    csv = export(tmp_path, X2="X2,Money,X,bob,SMB,lots,,2026-12-01,x\n")
    result = world.cli("consults", "sync", "--opportunities", str(csv), today=TODAY)
    assert result.code == 0
    assert "opportunities.csv:7: iacv" in result.err
    assert len(world.issues("opportunity")) == 3


def test_run_does_every_workflow_and_prints_one_line_each(world: World, tmp_path: Path) -> None:
    csv = export(tmp_path)
    text = world.config.read_text(encoding="utf-8").replace(
        "opportunities: null", f"opportunities: {csv}"
    )
    world.config.write_text(text, encoding="utf-8")
    result = world.cli("run", today=TODAY)
    assert result.code == 0, result.err
    assert "onboarding: 2 opened, 0 updated, 0 nudged, 0 closed, 0 failed" in result.out
    assert "opportunity: 3 opened" in result.out
    before = world.writes()
    again = world.cli("run", today=TODAY)
    assert again.code == 0 and world.writes() == before
    assert "opportunity: 0 opened, 0 updated, 0 nudged, 0 closed, 0 failed" in again.out


def test_run_exits_2_when_gitlab_fails_and_a_rerun_finishes_the_job(
    world: World, tmp_path: Path
) -> None:
    world.sandbox.options.fault_rate = 1.0
    result = world.cli("run", today=TODAY)
    assert result.code == 2
    assert result.err.strip() and "Traceback" not in result.err
    world.sandbox.options.fault_rate = 0.0
    assert world.cli("run", today=TODAY).code == 0
    assert len(world.issues("onboarding")) == 2


def test_the_report_tells_consults_from_ldrs_as_the_registry_does(
    world: World, tmp_path: Path
) -> None:
    # automation.registry decides: an opportunity issue is a consult once it
    # carries the consult labels, else an LDR, also when a person removed both.
    assert sync(world, export(tmp_path)) == 0
    ldr = world.issue("opportunity", "id:A2")
    world.person("bob").update_issue(ldr.iid, {"remove_labels": "Lightweight Deal Review"})
    out = tmp_path / "report.json"
    assert world.cli("report", "--format", "json", "--out", str(out), today=TODAY).code == 0
    phases = {i["iid"]: i["phase"] for i in json.loads(out.read_text(encoding="utf-8"))["issues"]}
    assert phases[ldr.iid] == "LDR"
    assert phases[world.issue("opportunity", "id:A1").iid] == "consult"
