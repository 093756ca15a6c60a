"""Onboarding 30/60/90 plans and Give Back projects, from the roster, through the CLI."""

from __future__ import annotations

from datetime import date

from tests.e2e import World

TODAY = "2026-11-27"
# due in the first week or two (front matter items_due), before the rest of Day 30
EARLY = (
    "level-up-highspot",
    "onboarding-issue-red-dots",
    "sales-quickstart",
)  # grace starts 2026-12-01 and kim 2026-12-03: within the 7 lead days


def test_sync_opens_plans_for_new_hires_and_give_back_for_commercial(world: World) -> None:
    result = world.cli("onboard", "sync", today=TODAY)
    assert result.code == 0, result.err
    plans = {i.assignees[0]: i for i in world.issues("onboarding")}
    assert set(plans) == {"grace", "kim"}  # long-standing members get no plan
    grace = plans["grace"]
    assert grace.title == "Onboarding 30/60/90: Grace Garcia (SMB Account Executive)"
    assert grace.due_date == date(2026, 12, 31)  # end of the first phase (Day 30)
    assert {"Onboarding", "phase::day-30", "progress::not-started"} <= set(grace.labels)
    assert "@alice" in grace.description  # the manager is mentioned
    assert "Required 7" in grace.description and "Required 7" not in plans["kim"].description
    (give_back,) = world.issues("give-back")  # Commercial only: grace, not kim
    assert give_back.assignees == ("grace",)
    assert "Give Back Project" in give_back.labels
    assert give_back.due_date == date(2027, 3, 1)  # start date + 90 days
    linked = world.api._project.issues.get(give_back.iid, lazy=True).links.list()
    assert [link.iid for link in linked] == [grace.iid]
    assert "onboarding: 2 opened" in result.out and "give-back: 1 opened" in result.out


def test_a_second_sync_writes_nothing(world: World) -> None:
    assert world.cli("onboard", "sync", today=TODAY).code == 0
    before = world.writes()
    assert world.cli("onboard", "sync", today=TODAY).code == 0
    assert world.writes() == before


def test_a_member_who_left_gets_a_note_and_a_label_never_a_deletion(world: World) -> None:
    assert world.cli("onboard", "sync", today=TODAY).code == 0
    world.set_team(grace_status="left")
    assert world.cli("onboard", "sync", today="2026-12-10").code == 0
    for issue in (
        world.issue("onboarding", "grace@2026-12-01"),
        world.issue("give-back", "grace@2026-12-01"),
    ):
        assert issue.is_open and "status::left-company" in issue.labels
        (note,) = world.notes(issue.iid)
        assert "marked as left" in note.body and "/label" not in note.body
    before = world.writes()
    assert world.cli("onboard", "sync", today="2026-12-11").code == 0
    assert world.writes() == before
    # nobody nudges a person who left, even when the plan is overdue
    assert world.cli("sweep", today="2027-01-05").code == 0
    plan = world.issue("onboarding", "grace@2026-12-01")
    assert all("behind plan" not in n.body for n in world.notes(plan.iid))


def test_the_sweep_walks_a_plan_through_its_phases(world: World) -> None:
    world.at("2026-11-27")
    assert world.cli("onboard", "sync", today=TODAY).code == 0
    plan = world.issue("onboarding", "grace@2026-12-01")
    kim = world.issue("onboarding", "kim@2026-12-03")

    # grace does her Day 30 work; kim only what is due in her first two weeks
    world.at("2026-12-20")
    world.tick("kim", kim.iid, *(f"onboarding.{k}" for k in EARLY))
    body = world.api.get_issue(plan.iid).description
    head, tail = body.split("## Day 60", 1)
    world.person("grace").update_issue(
        plan.iid, {"description": head.replace("- [ ]", "- [x]") + "## Day 60" + tail}
    )
    assert world.cli("sweep", today="2026-12-21").code == 0
    plan = world.api.get_issue(plan.iid)
    assert "phase::day-60" in plan.labels and "phase::day-30" not in plan.labels
    assert "progress::in-progress" in plan.labels
    assert plan.due_date == date(2027, 1, 30)  # moved to the end of Day 60

    # 2027-01-04 (a Monday): kim's Day 30 is past due
    world.at("2027-01-04")
    assert world.cli("sweep", today="2027-01-04").code == 0
    kim = world.api.get_issue(kim.iid)
    assert "status::overdue" in kim.labels
    (nudge,) = world.notes(kim.iid)
    assert nudge.author == "salesbot" and "@kim" in nudge.body and "Day 30" in nudge.body
    assert "Escalating" not in nudge.body
    # the same day again: nothing new
    before = world.writes()
    assert world.cli("sweep", today="2027-01-04").code == 0
    assert world.writes() == before
    # within the cadence (3 days): no second nudge; a Saturday: none either
    world.at("2027-01-06")
    world.cli("sweep", today="2027-01-06")
    world.at("2027-01-09")
    world.cli("sweep", today="2027-01-09")
    assert len(world.notes(kim.iid)) == 1
    # after the cadence: nudge 2; after two unanswered nudges the manager is mentioned
    world.at("2027-01-07")
    world.cli("sweep", today="2027-01-07")
    world.at("2027-01-11")
    world.cli("sweep", today="2027-01-11")
    nudges = world.notes(kim.iid)
    assert len(nudges) == 3
    assert "@heidi" in nudges[-1].body and "Escalating" in nudges[-1].body


def test_a_finished_plan_is_closed_once_and_a_reopen_is_respected(world: World) -> None:
    world.at("2026-11-27")
    assert world.cli("onboard", "sync", today=TODAY).code == 0
    plan = world.issue("onboarding", "kim@2026-12-03")
    world.tick_all("kim", plan.iid)
    world.at("2026-12-10")
    assert world.cli("sweep", today="2026-12-10").code == 0
    plan = world.api.get_issue(plan.iid)
    assert plan.state == "closed" and "progress::complete" in plan.labels
    assert "status::overdue" not in plan.labels
    (summary,) = world.notes(plan.iid)
    assert "All required items are done" in summary.body
    # a manager reopens it: salesbot leaves it open until its checklist changes
    world.person("heidi").update_issue(plan.iid, {"state_event": "reopen"})
    assert world.cli("sweep", today="2026-12-11").code == 0
    assert world.api.get_issue(plan.iid).state == "opened"
    assert len(world.notes(plan.iid)) == 1


def test_a_label_a_person_removed_is_not_put_back(world: World) -> None:
    assert world.cli("onboard", "sync", today=TODAY).code == 0
    plan = world.issue("onboarding", "kim@2026-12-03")
    world.tick("kim", plan.iid, "Sales Quickstart")
    assert world.cli("sweep", today="2026-12-04").code == 0
    assert "progress::in-progress" in world.api.get_issue(plan.iid).labels
    world.person("heidi").update_issue(plan.iid, {"remove_labels": "progress::in-progress"})
    before = world.writes()
    assert world.cli("sweep", today="2026-12-05").code == 0
    assert "progress::in-progress" not in world.api.get_issue(plan.iid).labels
    assert world.writes() == before
