"""Row 9 (ASM: the "entire account team (AE, SA, CSM, and SDR)" joins the
consult): the export's optional `sa`, `csm` and `sdr` columns name the account
team in the consult, assigned too on GitLab Premium (`TIERS`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from automation import checklist, hidden
from tests.e2e import TIERS, Result, World

TODAY = "2026-11-27"
HEADER = "id,name,account,owner,segment,iacv,amount,close_date,stage,sa,csm,sdr\n"
CONSULT = "C1,Platform,Acme,bob,SMB,12000,36000,2027-02-15,3-Technical Evaluation,dave,erin,frank\n"
LDR = "L1,Seats,Globex,carol,SMB,6000,6000,2026-12-20,2-Scoping,dave,,\n"


@pytest.fixture
def tier_world(world: World) -> World:
    if world.sandbox.options.premium:
        text = world.config.read_text(encoding="utf-8")
        world.config.write_text(text.replace("tier: free", "tier: premium", 1), encoding="utf-8")
    return world


def _run(world: World, tmp_path: Path, rows: str, header: str = HEADER) -> Result:
    csv = tmp_path / "opportunities.csv"
    csv.write_text(header + rows, encoding="utf-8")
    return world.cli("consults", "sync", "--opportunities", str(csv), today=TODAY)


def _sync(world: World, tmp_path: Path, rows: str, header: str = HEADER) -> int:
    return _run(world, tmp_path, rows, header).code


@TIERS
def test_the_account_team_is_named_and_assigned_where_gitlab_allows(
    tier_world: World, tmp_path: Path
) -> None:
    world = tier_world
    assert _sync(world, tmp_path, CONSULT + LDR) == 0
    consult = world.issue("opportunity", "id:C1")
    premium = world.sandbox.options.premium
    assert consult.assignees == (("bob", "dave", "erin", "frank") if premium else ("bob",))
    text = consult.description
    assert "consult: @bob (AE), @dave (SA), @erin (CSM), @frank (SDR) <!--" in text
    parsed = checklist.parse(text)
    section = parsed.section("Account team")
    assert section is not None and [i.key for i in section.items] == ["consult.account-team"]
    (line,) = [i.line for i in section.items]
    assert hidden.owners_of_lines(text, [line]) == {line: "bob"}  # its own owner line
    assert "where you can" not in text
    ldr = world.issue("opportunity", "id:L1")  # an LDR is the AE's own review
    assert ldr.assignees == ("carol",) and "Account team" not in ldr.description
    before = world.writes()
    assert _sync(world, tmp_path, CONSULT + LDR) == 0
    assert world.writes() == before


def test_without_the_columns_the_consult_is_as_before(world: World, tmp_path: Path) -> None:
    header = "id,name,account,owner,segment,iacv,amount,close_date,stage\n"
    assert _sync(world, tmp_path, ",".join(CONSULT.split(",")[:9]) + "\n", header) == 0
    consult = world.issue("opportunity", "id:C1")
    assert "## Account team" not in consult.description
    assert "Invite the account team (AE, SA, CSM, SDR) where you can." in consult.description


@pytest.mark.parametrize(
    ("cell", "problem"),
    [
        ("nobody", "opportunities.csv:2: csm: unknown GitLab user 'nobody'"),
        ('"Acme\n/assign @mallory"', "is not a GitLab username"),
    ],
)
def test_an_unknown_team_member_is_a_bad_row(
    world: World, tmp_path: Path, cell: str, problem: str
) -> None:
    row = CONSULT.replace(",erin,", f",{cell},")
    before = world.writes()
    result = _run(world, tmp_path, row)
    assert result.code == 1
    assert problem in result.err and "csm:" in result.err
    # one line per bad row: a line break in a cell never starts a line of its own
    assert not [line for line in result.err.splitlines() if line.startswith("/assign")]
    assert world.writes() == before  # nothing half-written


def test_an_ldr_that_grows_keeps_its_assignee_and_gets_the_team_item(
    world: World, tmp_path: Path
) -> None:
    assert _sync(world, tmp_path, LDR) == 0
    grown = LDR.replace(",6000,6000,", ",15000,15000,")
    csv = tmp_path / "opportunities.csv"
    csv.write_text(HEADER + grown, encoding="utf-8")
    code = world.cli("consults", "sync", "--opportunities", str(csv), today="2026-12-01").code
    assert code == 0
    issue = world.issue("opportunity", "id:L1")
    assert "Opportunity Consult" in issue.labels and issue.assignees == ("carol",)
    assert "consult: @carol (AE), @dave (SA) <!-- task:consult.account-team" in issue.description
    before = world.writes()
    assert world.cli("consults", "sync", "--opportunities", str(csv), today="2026-12-01").code == 0
    assert world.writes() == before
