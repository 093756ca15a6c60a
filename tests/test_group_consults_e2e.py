"""Rows 8 and 10 (ASM: group consults, "30-45 minute sessions held 1-2x per
month"; "ASMs should be conducting multiple opportunity consults every week"):
a monthly group consult issue per Area Sales Manager, through the CLI."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

from automation import checklist, hidden
from automation.config import Config, load
from automation.index import Index, build
from automation.team import Team
from automation.workflows.common import Environment
from automation.workflows.group_consults import (
    WEEKLY_TARGET,
    cadence_markdown,
    cadences,
    weekly_consults,
)
from tests.e2e import ROOT, World

EXPORT = (
    "id,name,account,owner,segment,iacv,amount,close_date,stage\n"
    "A1,Platform,Acme,bob,SMB,12000,36000,2027-02-15,3-Technical Evaluation\n"
    "A5,Suite,Initech,carol,Mid-Market,25000,30000,2027-02-15,3-Technical Evaluation\n"
)


def _export(world: World, tmp_path: Path) -> Path:
    path = tmp_path / "opportunities.csv"
    path.write_text(EXPORT, encoding="utf-8")
    return path


def test_the_first_run_of_a_month_opens_one_per_area_sales_manager(
    world: World, tmp_path: Path
) -> None:
    world.at("2026-11-23")
    sync = ("consults", "sync", "--opportunities", str(_export(world, tmp_path)))
    assert world.cli(*sync, today="2026-11-23").code == 0  # two consults of alice's team
    november = {i.title: i for i in world.issues("group-consult")}
    assert set(november) == {
        "Group consult November 2026: Alice Anderson",
        "Group consult November 2026: Heidi Hart",
    }
    world.at("2026-12-01")
    assert world.cli("run", today="2026-12-01").code == 0
    (alice,) = [i for i in world.issues("group-consult") if "December 2026: Alice" in i.title]
    assert alice.assignees == ("alice",) and alice.due_date == date(2026, 12, 31)
    assert "Group Consult" in alice.labels
    text = alice.description
    items = {i.key: i for i in checklist.parse(text).items}
    assert list(items) == [
        "group-consult.pick",
        "group-consult.schedule",
        "group-consult.hold-1",
        "group-consult.hold-2",
    ]
    assert "30-45 minute" in items["group-consult.schedule"].text
    assert not items["group-consult.hold-2"].required  # 1-2x a month: the second is optional
    owners = hidden.owners_of_lines(text, [i.line for i in items.values()])
    assert set(owners.values()) == {"alice"}
    # the team's open consults, and last weeks' cadence against "multiple every week"
    assert "Opportunity Consult: Platform (Acme) (bob)" in text
    assert "Opportunity Consult: Suite (Initech) (carol)" in text
    assert f"target: {WEEKLY_TARGET} or more" in text
    assert "| 2026-11-17 | 2 |" in text and "| 2026-11-24 | 0 (below target) |" in text
    heidi = next(i for i in world.issues("group-consult") if "December 2026: Heidi" in i.title)
    assert "none open" in heidi.description  # kim's team has no consult
    before = world.writes()
    assert world.cli("run", today="2026-12-01").code == 0
    assert world.cli(*sync, today="2026-12-02").code == 0
    assert world.writes() == before  # found, never opened twice in a month


def test_the_sweep_nudges_an_overdue_one_and_closes_a_ticked_one(world: World) -> None:
    world.at("2026-12-01")
    assert world.cli("run", today="2026-12-01").code == 0
    alice = next(i for i in world.issues("group-consult") if "Alice" in i.title)
    heidi = next(i for i in world.issues("group-consult") if "Heidi" in i.title)
    world.tick("heidi", heidi.iid, "Pick the", "Schedule a", "Hold group consult 1")
    world.at("2027-01-04")  # a Monday after the due date
    assert world.cli("sweep", today="2027-01-04").code == 0
    nudges = [n.body for n in world.notes(alice.iid) if hidden.nudge_date(n.body)]
    assert len(nudges) == 1 and "@alice" in nudges[0]
    assert world.api.get_issue(heidi.iid).state == "closed"  # required items done
    before = world.writes()
    assert world.cli("sweep", today="2027-01-04").code == 0
    assert world.writes() == before


def _two_consults_on_nov_20(world: World) -> tuple[Config, Team, Index]:
    """Alice's team opens two consults on 2026-11-20; the bot's issues indexed."""
    world.at("2026-11-20")
    csv = world.config.parent / "opportunities.csv"
    csv.write_text(EXPORT, encoding="utf-8")
    assert world.cli("consults", "sync", "--opportunities", str(csv), today="2026-11-20").code == 0
    config, team = load(world.config)
    return config, team, build(world.api.iter_issues(state="all"), "salesbot")


def test_weekly_consults_counts_the_team_s_consults_per_week(world: World) -> None:
    """The pure figure the report's manager rollups can call."""
    config, team, index = _two_consults_on_nov_20(world)
    today = date(2026, 11, 20) + timedelta(days=1)
    env = Environment(config, today)
    assert weekly_consults(env, team, "alice", index) == (0, 0, 0, 2)
    assert weekly_consults(env, team, "heidi", index) == (0, 0, 0, 0)
    later = Environment(config, today + timedelta(days=28))
    assert weekly_consults(later, team, "alice", index) == (0, 0, 0, 0)  # out of the window


def test_the_cadence_table_shows_every_area_sales_manager(world: World) -> None:
    config, team, index = _two_consults_on_nov_20(world)
    found = cadences(Environment(config, date(2026, 11, 21)), team, index)
    assert [(c.manager, c.weeks_below_target) for c in found] == [("alice", 3), ("heidi", 4)]
    table = cadence_markdown(found)
    assert table[0] == "| Area Sales Manager | 10-24 | 10-31 | 11-07 | 11-14 | Weeks below 2 |"
    assert table[2:] == ["| alice | 0 | 0 | 0 | 2 | 3 |", "| heidi | 0 | 0 | 0 | 0 | 4 |"]


def test_a_team_templates_folder_without_the_template_still_runs(world: World) -> None:
    folder = world.config.parent / "templates"
    folder.mkdir()
    for kind in ("handover", "onboarding", "give-back", "consult", "ldr"):
        (folder / f"{kind}.md.j2").write_bytes((ROOT / "templates" / f"{kind}.md.j2").read_bytes())
    with world.config.open("a", encoding="utf-8") as handle:
        handle.write("templates_dir: templates\n")
    result = world.cli("run", "--dry-run", today="2026-12-01")
    assert result.code == 0, result.err
    assert "group consults not opened" in result.out + result.err
    assert "group-consult.md.j2: template file not found" in result.out + result.err


def test_the_report_and_dashboard_show_each_asms_weekly_consults(
    world: World, tmp_path: Path
) -> None:
    world.at("2026-11-23")
    sync = ("consults", "sync", "--opportunities", str(_export(world, tmp_path)))
    assert world.cli(*sync, today="2026-11-23").code == 0  # two consults of alice's team
    world.at("2026-12-01")
    assert world.cli("run", today="2026-12-01").code == 0
    report = json.loads(world.cli("report", "--format", "json", today="2026-12-01").out)
    cadence = {c["manager"]: c for c in report["consult_cadence"]}
    assert set(cadence) == {"alice", "heidi"}
    assert [w["consults"] for w in cadence["alice"]["weeks"]][-2:] == [2, 0]
    assert cadence["heidi"]["weeks_below_target"] == 4
    board = world.issues("dashboard")[0].description
    assert "## Consult cadence" in board and "| alice |" in board
