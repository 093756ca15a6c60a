"""Give Back adoption measured (handbook-fidelity row 13): monthly roll-calls,
adoption per project and month from who ticked, the 70% target, through the
CLI against the sandbox."""

from __future__ import annotations

import json
from typing import Any, Literal

import pytest

from automation.records import Issue
from tests.e2e import TIERS, World

KEY = "grace@2026-12-01"  # grace (manager alice) starts 2026-12-01: bob, carol, dave are her team


def _run(world: World, day: str) -> None:
    assert world.job("run", day=day) == 0


def _give_back(world: World) -> Issue:
    return world.issue("give-back", KEY)


def _roll_call(world: World, month: str) -> Issue:
    return world.issue("roll-call", f"{KEY}@{month}")


def _report(world: World, day: str) -> dict[str, Any]:
    result = world.cli("report", "--format", "json", today=day)
    assert result.code == 0, result.err
    data: dict[str, Any] = json.loads(result.out)
    return data


def _delivered(world: World) -> None:
    """grace's Give Back project exists and she ticked "Deliver it"."""
    _run(world, "2026-12-01")
    world.tick("grace", _give_back(world).iid, "Deliver it")


def _set_months(world: World, months: int) -> None:
    text = world.config.read_text(encoding="utf-8")
    world.config.write_text(
        text.replace("roll_call_months: 6", f"roll_call_months: {months}"), encoding="utf-8"
    )


@TIERS
def test_a_delivered_project_gets_a_linked_roll_call_with_a_box_per_team_member(
    world: World,
) -> None:
    _run(world, "2026-12-01")
    assert not world.issues("roll-call")  # not delivered yet
    world.tick("grace", _give_back(world).iid, "Deliver it")
    _run(world, "2026-12-02")
    roll_call = _roll_call(world, "2026-12")
    assert roll_call.title.startswith("Give Back roll-call 2026-12: Give Back Project: Grace")
    for user in ("bob", "carol", "dave"):  # the team: alice's people, not grace herself
        assert f"- [ ] @{user}: I used Give Back Project: Grace Garcia this month" in (
            roll_call.description
        )
    assert "@grace" not in roll_call.description and "@alice" not in roll_call.description
    links = world.api._project.issues.get(roll_call.iid, lazy=True).links.list()
    assert [link.iid for link in links] == [_give_back(world).iid]
    before = world.writes()
    _run(world, "2026-12-02")
    assert world.writes() == before  # nothing new: zero writes


@pytest.mark.parametrize("notes", ["escaped", "raw"])  # GitLab.com's tick notes, and others'
def test_only_a_box_ticked_by_its_owner_counts_and_notes_are_read_only_after_a_change(
    world: World, notes: Literal["escaped", "raw"]
) -> None:
    world.sandbox.options.checklist_notes = notes
    _delivered(world)
    _run(world, "2026-12-02")
    roll_call = _roll_call(world, "2026-12")
    world.at("2026-12-05")
    world.tick("bob", roll_call.iid, "@bob:")  # his own box
    world.tick("carol", roll_call.iid, "@dave:")  # someone else's: not dave's use
    _run(world, "2026-12-05")
    path = f"/issues/{roll_call.iid}/notes"
    reads = world.sandbox.requests.count("GET", path)
    before = world.writes()
    _run(world, "2026-12-05")
    assert world.writes() == before
    assert world.sandbox.requests.count("GET", path) == reads  # unchanged: not read again
    (project,) = _report(world, "2026-12-05")["give_back_adoption"]["projects"]
    (month,) = project["months"]
    assert month["month"] == "2026-12" and month["members"] == 3
    assert month["used"] == ["bob"] and month["rate"] == 0.3333
    assert month["complete"] is False and month["under_target"] is True
    assert project["manager"] == "alice" and project["flagged"] is False
    world.at("2026-12-07")
    world.tick("carol", roll_call.iid, "@carol:")
    _run(world, "2026-12-07")
    assert world.sandbox.requests.count("GET", path) > reads  # changed: read once more
    (project,) = _report(world, "2026-12-07")["give_back_adoption"]["projects"]
    assert project["months"][0]["used"] == ["bob", "carol"]


def test_months_close_under_target_twice_flags_the_manager_once_and_the_roll_call_stops(
    world: World,
) -> None:
    _set_months(world, 2)
    _delivered(world)
    _run(world, "2026-12-02")
    december = _roll_call(world, "2026-12")
    world.at("2026-12-10")
    world.tick("bob", december.iid, "@bob:")
    _run(world, "2027-01-04")
    assert _roll_call(world, "2026-12").state == "closed"  # closed at month end
    january = _roll_call(world, "2027-01")
    assert january.state == "opened"
    assert not _flags(world)  # one month under target is not two
    _run(world, "2027-02-01")
    assert _roll_call(world, "2027-01").state == "closed"
    (flag,) = _flags(world)
    assert flag.startswith("@alice: this Give Back project was used by less than 70%")
    assert "December 2026: 1 of 3 (33%)" in flag and "January 2027: 0 of 3 (0%)" in flag
    with pytest.raises(AssertionError):
        _roll_call(world, "2027-02")  # roll_call_months: 2, so no third month
    board = world.issues("dashboard")[0]
    assert "Under target two months running" in board.description
    before = world.writes()
    _run(world, "2027-02-01")
    assert world.writes() == before
    _run(world, "2027-03-01")
    assert len(_flags(world)) == 1  # once per occurrence
    (project,) = _report(world, "2027-03-01")["give_back_adoption"]["projects"]
    assert [m["month"] for m in project["months"]] == ["2026-12", "2027-01"]
    assert project["flagged"] is True
    # the Slack digest says it too (mrkdwn)
    digest = world.cli("notify", "--dry-run", "--json", today="2027-03-01")
    text = json.loads(digest.out)["details"]["digest"]["text"]
    assert "*Give Back adoption*" in text
    line = next(x for x in text.splitlines() if "under target two months running" in x)
    assert "0% of 3 used it in January 2027 (target 70%)" in line


def test_a_reopened_roll_call_is_not_closed_again(world: World) -> None:
    _delivered(world)
    _run(world, "2026-12-02")
    _run(world, "2027-01-04")
    december = _roll_call(world, "2026-12")
    assert december.state == "closed"
    world.person("alice").update_issue(december.iid, {"state_event": "reopen"})
    _run(world, "2027-01-05")
    assert _roll_call(world, "2026-12").state == "opened"  # a person's call


def test_no_roll_call_for_a_project_whose_hire_left(world: World) -> None:
    _delivered(world)
    world.set_team(grace_status="left")
    _run(world, "2026-12-02")
    assert not world.issues("roll-call")


def test_the_html_and_markdown_reports_show_adoption_against_the_target(world: World) -> None:
    _delivered(world)
    _run(world, "2026-12-02")
    markdown = world.cli("report", "--format", "md", today="2026-12-02")
    assert "Give Back roll-call (target: 70% a month)" in markdown.out
    assert "0 of 3 (0% so far, below target)" in markdown.out
    html = world.cli("report", "--format", "html", today="2026-12-02")
    assert "Give Back roll-call (target: 70% of the team a month)" in html.out


def _flags(world: World) -> list[str]:
    return [
        n.body for n in world.notes(_give_back(world).iid) if "salesbot:adoption-flag" in n.body
    ]


def test_onboard_sync_opens_the_roll_call_too_and_a_dry_run_writes_nothing(world: World) -> None:
    _delivered(world)
    world.at("2026-12-02")
    before = world.writes()
    dry = world.cli("onboard", "sync", "--dry-run", today="2026-12-02")
    assert dry.code == 0, dry.err
    assert "roll-call" in dry.out and "Give Back roll-call 2026-12" in dry.out
    assert world.writes() == before
    result = world.cli("onboard", "sync", today="2026-12-02")
    assert result.code == 0, result.err
    assert _roll_call(world, "2026-12").state == "opened"
    again = world.writes()
    assert world.cli("onboard", "sync", today="2026-12-02").code == 0
    assert world.writes() == again
