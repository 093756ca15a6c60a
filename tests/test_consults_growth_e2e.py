"""An LDR whose deal grows to the consult threshold becomes a consult (issue 14.2),
through the CLI against the sandbox GitLab."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from tests.e2e import World

HEADER = "id,name,account,owner,segment,iacv,amount,close_date,stage\n"
LDR = "A2,Seats,Globex,bob,SMB,6000,6000,2026-12-20,2-Scoping\n"
GROWN = "A2,Seats,Globex,bob,SMB,15000,15000,2026-12-20,2-Scoping\n"


def sync(world: World, tmp_path: Path, row: str, today: str) -> int:
    path = tmp_path / "opportunities.csv"
    path.write_text(HEADER + row, encoding="utf-8")
    return world.cli("consults", "sync", "--opportunities", str(path), today=today).code


def december_group_consults(world: World) -> int:
    """The first run of December also opens each ASM's group consult: one write each."""
    return len([i for i in world.issues("group-consult") if "December 2026" in i.title])


def line(description: str, key: str) -> str:
    return next(x for x in description.splitlines() if f"<!-- task:{key} -->" in x)


def test_an_ldr_that_grows_becomes_the_same_issue_as_a_consult(
    world: World, tmp_path: Path
) -> None:
    assert sync(world, tmp_path, LDR, "2026-11-27") == 0
    (ldr,) = world.issues("opportunity")
    assert "- **Due:** 2026-12-02" in ldr.description  # the body shows its due date
    world.tick("bob", ldr.iid, "paper process", "custom deck")

    before = world.writes()
    assert sync(world, tmp_path, GROWN, "2026-12-01") == 0
    # one description write (title, description, due date) and one note with the labels
    # + creating the consult label when missing
    assert world.writes() - before - december_group_consults(world) <= 3
    (issue,) = world.issues("opportunity")
    assert issue.iid == ldr.iid
    assert issue.title == "Opportunity Consult: Seats (Globex)"
    assert "Opportunity Consult" in issue.labels
    assert "Lightweight Deal Review" not in issue.labels
    assert issue.due_date == date(2026, 12, 8)  # the consult's rule: a week
    assert "- **Due:** 2026-12-08" in issue.description
    text = issue.description
    for key in ("consult.metrics", "consult.champion", "consult.full-command-plan"):
        assert line(text, key).startswith("- [ ]")
    # what bob ticked stays ticked; the consult's item for the same work is ticked too
    assert line(text, "ldr.paper-process").startswith("- [x]")
    assert line(text, "consult.paper-process").startswith("- [x]")
    assert line(text, "ldr.custom-deck").startswith("- [x]")
    assert line(text, "consult.custom-deck").startswith("- [x]")
    # the LDR's open items are covered by the consult's: not applicable
    assert line(text, "ldr.close-date").startswith("- [~]")
    assert text.index("## MEDDPPICC") < text.index("## Next steps")
    (note,) = world.notes(issue.iid)
    assert "$15,000" in note.body and "now a full Opportunity Consult" in note.body
    assert "due 2026-12-08" in note.body

    before = world.writes()
    assert sync(world, tmp_path, GROWN, "2026-12-01") == 0
    assert world.writes() == before
    # the converted issue is a consult for template upgrades too: nothing to do
    assert world.cli("templates", "upgrade", today="2026-12-01").code == 0
    assert world.writes() == before


def test_a_consult_is_never_downgraded_to_an_ldr(world: World, tmp_path: Path) -> None:
    assert sync(world, tmp_path, GROWN, "2026-11-27") == 0
    (consult,) = world.issues("opportunity")
    before = world.writes()
    assert sync(world, tmp_path, LDR, "2026-12-01") == 0
    # the one write: the deal's iACV the issue keeps follows the export
    assert world.writes() == before + 1 + december_group_consults(world)
    issue = world.api.get_issue(consult.iid)
    assert '"iacv": "6000"' in issue.description
    assert sync(world, tmp_path, LDR, "2026-12-01") == 0
    assert world.writes() == before + 1 + december_group_consults(world)
    assert issue.title == consult.title and "Opportunity Consult" in issue.labels
    assert "Lightweight Deal Review" not in issue.labels


def test_a_scheduled_run_that_grows_an_ldr_then_rests(world: World, tmp_path: Path) -> None:
    """The run's later steps (the dashboard) see the grown consult as GitLab has it."""
    path = tmp_path / "opportunities.csv"
    path.write_text(HEADER + LDR, encoding="utf-8")
    text = world.config.read_text(encoding="utf-8").replace(
        "opportunities: null", f"opportunities: {path}"
    )
    world.config.write_text(text, encoding="utf-8")
    assert world.cli("run", today="2026-11-27").code == 0
    path.write_text(HEADER + GROWN, encoding="utf-8")
    assert world.cli("run", today="2026-12-01").code == 0
    n = len(world.sandbox.requests.entries)
    before = world.writes()
    third = world.cli("run", today="2026-12-01")
    assert third.code == 0, third.err
    new = [e for e in world.sandbox.requests.entries[n:] if e.method not in ("GET", "HEAD")]
    assert world.writes() == before, new
