"""One label per scope on GitLab Free and Premium alike; departures noted once
and undone; a roster typo stopped before it does damage. Through the CLI, on
both tiers (`TIERS`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from automation.records import Issue
from tests.e2e import TEAM, TIERS, World

SYNC_DAY = "2026-11-27"  # grace (starts 2026-12-01) and kim (2026-12-03) get plans
GRACE = "grace@2026-12-01"


def statuses(issue: Issue) -> set[str]:
    return {x for x in issue.labels if x.startswith("status::")}


def nudges(world: World, iid: int) -> int:
    return sum("this issue is behind plan" in n.body for n in world.notes(iid))


def run(world: World, day: str) -> int:
    world.at(day)
    result = world.cli("run", today=day)
    assert result.code == 0, result.err
    return result.code


def assert_rerun_writes_nothing(world: World, day: str) -> None:
    before = world.writes()
    run(world, day)
    assert world.writes() == before


def write_team(world: World, text: str) -> Path:
    path = world.config.parent / "team.yml"
    path.write_text(text, encoding="utf-8")
    return path


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


# -- departures -----------------------------------------------------------------


@TIERS
def test_a_departed_members_overdue_plan_ends_with_one_status_noted_once(world: World) -> None:
    run(world, SYNC_DAY)
    run(world, "2027-01-04")  # a Monday: grace's Day 30 (due 2026-12-31) is overdue
    plan = world.issue("onboarding", GRACE)
    assert statuses(plan) == {"status::overdue"} and nudges(world, plan.iid) == 1

    world.set_team(grace_status="left")
    run(world, "2027-01-05")
    plan = world.api.get_issue(plan.iid)
    assert statuses(plan) == {"status::left-company"}
    assert_rerun_writes_nothing(world, "2027-01-05")

    # days later, past the nudge cadence: the label holds, no second note, no nudge
    for day in ("2027-01-08", "2027-01-11", "2027-01-12"):
        run(world, day)
        assert world.cli("onboard", "sync", today=day).code == 0
    plan = world.api.get_issue(plan.iid)
    assert statuses(plan) == {"status::left-company"}
    departures = [n for n in world.notes(plan.iid) if "marked as left" in n.body]
    assert len(departures) == 1 and nudges(world, plan.iid) == 1
    assert_rerun_writes_nothing(world, "2027-01-12")


@TIERS
def test_the_sweep_alone_never_nudges_someone_the_roster_says_has_left(world: World) -> None:
    run(world, SYNC_DAY)
    world.set_team(grace_status="left")  # no onboarding sync yet: no label either
    world.at("2027-01-04")
    assert world.cli("sweep", today="2027-01-04").code == 0
    plan = world.issue("onboarding", GRACE)
    assert statuses(plan) == set() and nudges(world, plan.iid) == 0
    kim = world.issue("onboarding", "kim@2026-12-03")  # still on the team: nudged
    assert statuses(kim) == {"status::overdue"} and nudges(world, kim.iid) == 1


@TIERS
def test_a_person_who_takes_the_departure_label_off_is_not_overruled(world: World) -> None:
    run(world, SYNC_DAY)
    world.set_team(grace_status="left")
    run(world, "2026-12-10")
    plan = world.issue("onboarding", GRACE)
    world.person("alice").update_issue(plan.iid, {"remove_labels": "status::left-company"})

    run(world, "2027-01-04")  # overdue by then, and grace is still gone
    plan = world.api.get_issue(plan.iid)
    assert statuses(plan) == set()
    assert sum("marked as left" in n.body for n in world.notes(plan.iid)) == 1
    assert nudges(world, plan.iid) == 0
    assert_rerun_writes_nothing(world, "2027-01-04")


@TIERS
def test_someone_back_on_the_roster_loses_the_label_with_a_note(world: World) -> None:
    run(world, SYNC_DAY)
    # her first week's item is done, so nothing is overdue on 2026-12-11
    world.tick("grace", world.issue("onboarding", GRACE).iid, "onboarding.level-up-highspot")
    world.set_team(grace_status="left")
    run(world, "2026-12-10")
    # a person labelled kim's plan by hand: not the bot's to undo
    kim = world.issue("onboarding", "kim@2026-12-03")
    world.person("heidi").update_issue(kim.iid, {"add_labels": "status::left-company"})

    world.set_team(grace_status="active")
    run(world, "2026-12-11")
    for workflow in ("onboarding", "give-back"):
        issue = world.issue(workflow, GRACE)
        assert statuses(issue) == set()
        note = world.notes(issue.iid)[-1]
        assert "active on the team roster again" in note.body
    assert statuses(world.api.get_issue(kim.iid)) == {"status::left-company"}
    assert_rerun_writes_nothing(world, "2026-12-11")

    # and grace is nudged again once behind plan
    run(world, "2027-01-04")
    plan = world.issue("onboarding", GRACE)
    assert statuses(plan) == {"status::overdue"} and nudges(world, plan.iid) == 1


# -- deal outcomes -----------------------------------------------------------------

HEADER = "id,name,account,owner,segment,iacv,amount,close_date,stage\n"
SEATS = "A2,Seats,Globex,bob,SMB,6000,6000,2026-12-20,{stage}\n"  # an LDR, due 2026-12-02


def with_export(world: World, stage: str) -> None:
    config = world.config.read_text(encoding="utf-8")
    if "opportunities: null" in config:
        world.config.write_text(
            config.replace("opportunities: null", "opportunities: opportunities.csv"),
            encoding="utf-8",
        )
    (world.config.parent / "opportunities.csv").write_text(
        HEADER + SEATS.format(stage=stage), encoding="utf-8"
    )


@TIERS
def test_an_overdue_ldr_closed_won_carries_only_the_outcome(world: World) -> None:
    with_export(world, "2-Scoping")
    run(world, SYNC_DAY)
    run(world, "2026-12-07")  # a Monday, past the LDR's due date
    ldr = world.issue("opportunity", "id:A2")
    assert statuses(ldr) == {"status::overdue"}

    with_export(world, "Closed Won")
    run(world, "2026-12-08")
    ldr = world.api.get_issue(ldr.iid)
    assert ldr.state == "closed" and statuses(ldr) == {"status::closed-won"}

    # the owner reopens it to finish the review: still one status, one note
    world.person("bob").update_issue(ldr.iid, {"state_event": "reopen"})
    for day in ("2026-12-09", "2026-12-14"):
        run(world, day)
        ldr = world.api.get_issue(ldr.iid)
        assert ldr.is_open and statuses(ldr) == {"status::closed-won"}
    assert sum("Closed Won" in n.body for n in world.notes(ldr.iid)) == 1
    assert nudges(world, ldr.iid) == 1  # the one before it was won
    assert_rerun_writes_nothing(world, "2026-12-14")


@TIERS
def test_a_deal_outcome_a_person_took_off_is_not_put_back(world: World) -> None:
    with_export(world, "2-Scoping")
    run(world, SYNC_DAY)
    with_export(world, "Closed Won")
    run(world, "2026-12-01")
    ldr = world.issue("opportunity", "id:A2")
    world.person("bob").update_issue(ldr.iid, {"state_event": "reopen"})
    world.person("bob").update_issue(ldr.iid, {"remove_labels": "status::closed-won"})
    for day in ("2026-12-02", "2026-12-03"):
        run(world, day)
    ldr = world.api.get_issue(ldr.iid)
    assert ldr.is_open and "status::closed-won" not in ldr.labels
    assert sum("Closed Won" in n.body for n in world.notes(ldr.iid)) == 1
    assert_rerun_writes_nothing(world, "2026-12-03")


# -- roster typos ------------------------------------------------------------------


@TIERS
def test_a_roster_typo_stops_sync_and_run_before_anything_is_written(world: World) -> None:
    run(world, SYNC_DAY)
    typo = TEAM.replace("GRACE_STATUS", "active").replace("username: grace", "username: grcae")
    path = write_team(world, typo)
    expected = f"{path}:{line_of(typo, 'grcae')}: members[5].username: 'grcae'"
    before = world.writes()
    for command in (("run",), ("onboard", "sync"), ("run", "--dry-run")):
        result = world.cli(*command, today="2026-12-10")
        assert result.code == 1, command
        assert expected in result.err
    assert world.writes() == before
    plan = world.issue("onboarding", GRACE)
    assert statuses(plan) == set() and world.notes(plan.iid) == []

    result = world.cli("config", "validate", today="2026-12-10")
    assert result.code == 1 and expected in result.err
    offline = world.cli("config", "validate", "--offline", today="2026-12-10")
    assert offline.code == 0 and "valid" in offline.out


def test_config_validate_checks_usernames_only_when_gitlab_is_there(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = world.cli("config", "validate", today=SYNC_DAY)
    assert result.code == 0 and "valid" in result.out and result.err == ""
    monkeypatch.delenv("GITLAB_TOKEN")
    result = world.cli("config", "validate", today=SYNC_DAY)
    assert result.code == 0 and "usernames not checked against GitLab" in result.err


def test_config_validate_rejects_circular_managers(world: World) -> None:
    looped = TEAM.replace("GRACE_STATUS", "active").replace(
        "region: AMER, manager: null, start_date: 2022-03-07",
        "region: AMER, manager: carol, start_date: 2022-03-07",
    )
    path = write_team(world, looped)
    result = world.cli("config", "validate", "--offline", today=SYNC_DAY)
    assert result.code == 1
    # alice -> carol -> alice, reported at alice's manager
    assert f"{path}:{line_of(looped, 'manager: carol')}: members[0].manager: circular" in (
        result.err
    )
    assert "alice -> carol -> alice" in result.err
