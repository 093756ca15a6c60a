"""Enterprise deal reviews as the handbook says (issue 14.5), through the CLI:
a Command Plan for $50K+ NARR, consults the Area Sales Manager asks for,
Public Sector inside Enterprise."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from tests.e2e import World

TODAY = "2026-11-27"
HEADER = "id,name,account,owner,segment,iacv,amount,close_date,stage,narr,consult_requested\n"


def sync(world: World, tmp_path: Path, *rows: str, today: str = TODAY) -> tuple[int, str]:
    path = tmp_path / "opportunities.csv"
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    result = world.cli("consults", "sync", "--opportunities", str(path), today=today)
    return result.code, result.err


def titles(world: World) -> set[str]:
    return {i.title for i in world.issues("opportunity")}


def test_a_command_plan_for_50k_narr_not_for_50k_iacv(world: World, tmp_path: Path) -> None:
    big_narr = "E1,Transformation,Hooli,kim,Enterprise,20000,180000,2027-06-30,1-Discovery,60000,\n"
    big_iacv = "E2,Seats,Pied Piper,kim,Enterprise,70000,70000,2027-06-30,1-Discovery,40000,\n"
    assert sync(world, tmp_path, big_narr, big_iacv)[0] == 0
    assert titles(world) == {"Command Plan: Transformation (Hooli)"}
    (issue,) = world.issues("opportunity")
    assert "its NARR of $60,000 is at or over $50,000" in issue.description
    assert "- **NARR:** $60,000" in issue.description
    assert "- **Due:** 2026-12-04" in issue.description and issue.due_date == date(2026, 12, 4)
    assert "MEDDPPICC" in issue.description
    before = world.writes()
    assert sync(world, tmp_path, big_narr, big_iacv)[0] == 0
    assert world.writes() == before


def test_the_area_sales_manager_asks_for_an_enterprise_consult(
    world: World, tmp_path: Path
) -> None:
    asked = "E3,Renewal,Hooli,kim,Enterprise,8000,8000,2027-06-30,2-Scoping,9000,yes\n"
    assert sync(world, tmp_path, asked)[0] == 0
    (issue,) = world.issues("opportunity")
    assert issue.title == "Opportunity Consult: Renewal (Hooli)"
    assert "your manager asked for a consult" in issue.description
    # the column is the CRM's current state: a request taken back ends the consult
    assert sync(world, tmp_path, asked.replace(",yes\n", ",\n"), today="2026-12-01")[0] == 0
    issue = world.api.get_issue(issue.iid)
    assert not issue.is_open and "status::below-threshold" in issue.labels
    (note,) = world.notes(issue.iid)
    assert "has no consult request" in note.body


def test_public_sector_follows_enterprise_unless_the_config_separates_it(
    world: World, tmp_path: Path
) -> None:
    public = "P1,Agency,USDA,kim,Public Sector,70000,70000,2027-06-30,1-Discovery,55000,\n"
    assert sync(world, tmp_path, public)[0] == 0
    (issue,) = world.issues("opportunity")
    assert issue.title == "Command Plan: Agency (USDA)"
    assert "segment::Public Sector" in issue.labels


def test_an_unreadable_consult_requested_is_a_bad_row(world: World, tmp_path: Path) -> None:
    odd = "E4,Odd,Hooli,kim,Enterprise,8000,8000,2027-06-30,2-Scoping,,maybe\n"
    code, err = sync(world, tmp_path, odd)
    assert code == 1 and "opportunities.csv:2: consult_requested: 'maybe' is not yes or no" in err
    assert world.writes() == 0
