"""Owners per section (issue 14.3 and 14.4), through the CLI on GitLab Free and
Premium (`TIERS`), where handover assignment differs (Free keeps only the
incoming seller): the sweep nudges each overdue section's owner, read from the
issue alone; an Area Sales Manager gets the manager's onboarding plan."""

from __future__ import annotations

import pytest

from automation import hidden
from tests.e2e import TEAM, TIERS, World

SYNC_DAY = "2026-11-27"
HANDOVER = (
    "handover", "open", "--account", "Acme Corp", "--account-id", "001ACME",
    "--from", "bob", "--to", "carol", "--effective", "2026-12-07",
)  # fmt: skip
LATE = "2026-12-22"  # a Tuesday, the day after the handover's due date (2026-12-21)
IVAN = """\
  - {username: ivan, name: Ivan Ivanov, role: Area Sales Manager, segment: Enterprise,
     region: EMEA, manager: heidi, start_date: 2026-12-01, department: Enterprise}
"""


@pytest.fixture
def tier_world(world: World) -> World:
    """The world, its config's tier matching the sandbox's."""
    if world.sandbox.options.premium:
        text = world.config.read_text(encoding="utf-8")
        world.config.write_text(text.replace("tier: free", "tier: premium", 1), encoding="utf-8")
    return world


def nudges(world: World, iid: int) -> list[str]:
    return [n.body for n in world.notes(iid) if hidden.nudge_date(n.body)]


def tick_section(world: World, username: str, iid: int, heading: str) -> None:
    """`username` ticks every box under `heading` (to the next heading)."""
    lines, inside = [], False
    for line in world.api.get_issue(iid).description.split("\n"):
        if line.startswith("#"):
            inside = line.strip() == heading
        lines.append(line.replace("- [ ]", "- [x]", 1) if inside else line)
    world.person(username).update_issue(iid, {"description": "\n".join(lines)})


def sweep_twice(world: World, day: str) -> None:
    """A sweep on `day`, then a rerun that must write nothing."""
    world.at(day)
    result = world.cli("sweep", today=day)
    assert result.code == 0, result.err
    before = world.writes()
    assert world.cli("sweep", today=day).code == 0
    assert world.writes() == before


@TIERS
def test_an_outgoing_sellers_overdue_items_nudge_the_outgoing_seller(tier_world: World) -> None:
    world = tier_world
    assert world.cli(*HANDOVER, today=SYNC_DAY).code == 0
    (issue,) = world.issues("handover")
    premium = world.sandbox.options.premium
    assert issue.assignees == (("carol", "bob") if premium else ("carol",))
    tick_section(world, "carol", issue.iid, "## Incoming seller")
    sweep_twice(world, LATE)
    (nudge,) = nudges(world, issue.iid)
    head = nudge.splitlines()[0]
    # the outgoing seller and the manager own what is open; carol is done
    assert "@bob" in head and "@alice" in head and "@carol" not in head
    assert "Write the handover notes" in nudge and "Approve the handover" in nudge
    assert "owner:" not in nudge  # the hidden owner comment is not shown


@TIERS
def test_a_departed_owners_section_nudges_their_manager(tier_world: World) -> None:
    world = tier_world
    assert world.cli(*HANDOVER, today=SYNC_DAY).code == 0
    (issue,) = world.issues("handover")
    tick_section(world, "carol", issue.iid, "## Incoming seller")
    tick_section(world, "alice", issue.iid, "## Manager")
    left = TEAM.replace("GRACE_STATUS", "active").replace(
        "start_date: 2023-01-09, department: Commercial}",
        "start_date: 2023-01-09, department: Commercial, status: left}",
    )
    (world.config.parent / "team.yml").write_text(left, encoding="utf-8")
    sweep_twice(world, LATE)
    (nudge,) = nudges(world, issue.iid)
    head = nudge.splitlines()[0]
    assert head.startswith("@alice:") and "@bob" not in nudge and "@carol" not in head


@TIERS
def test_an_area_sales_manager_gets_the_managers_plan(tier_world: World) -> None:
    world = tier_world
    world.sandbox.add_user("ivan", "Ivan Ivanov")
    team = TEAM.replace("GRACE_STATUS", "active") + IVAN
    (world.config.parent / "team.yml").write_text(team, encoding="utf-8")
    result = world.cli("onboard", "sync", today=SYNC_DAY)
    assert result.code == 0, result.err
    ivan = world.issue("onboarding", "ivan@2026-12-01")
    assert ivan.title == "Onboarding 30/60/90: Ivan Ivanov (Area Sales Manager)"
    assert "Manager Challenge" in ivan.description
    assert "Required 7" not in ivan.description and "Sales Quickstart" not in ivan.description
    assert "Manager: @heidi" in ivan.description
    assert hidden.section_owner("heidi") in ivan.description  # heidi owns the buddy item
    # a Strategic Account Leader keeps the seller's plan; both get Level Up and Highspot
    kim = world.issue("onboarding", "kim@2026-12-03")
    assert "Sales Quickstart" in kim.description and "Manager Challenge" not in kim.description
    assert "Level Up and Highspot" in kim.description and "Level Up" in ivan.description
    before = world.writes()
    assert world.cli("onboard", "sync", today=SYNC_DAY).code == 0
    assert world.writes() == before


@TIERS
def test_the_managers_overdue_task_nudges_the_manager_not_the_hire(tier_world: World) -> None:
    world = tier_world
    assert world.cli("onboard", "sync", today=SYNC_DAY).code == 0
    grace = world.issue("onboarding", "grace@2026-12-01")
    body = "\n".join(
        line if "onboarding.buddy" in line else line.replace("- [ ]", "- [x]", 1)
        for line in grace.description.split("\n")
    )
    world.person("grace").update_issue(grace.iid, {"description": body})
    sweep_twice(world, "2027-01-04")  # a Monday; Day 30 was due 2026-12-31
    (nudge,) = nudges(world, grace.iid)
    head = nudge.splitlines()[0]
    assert head.startswith("@alice:") and "@grace" not in head
    assert "pair the new hire with an onboarding buddy" in nudge


def test_an_issue_opened_before_owners_were_named_nudges_its_assignees(world: World) -> None:
    assert world.cli(*HANDOVER, today=SYNC_DAY).code == 0
    (issue,) = world.issues("handover")
    old = "\n".join(line for line in issue.description.split("\n") if "<!-- owner:" not in line)
    world.person("carol").update_issue(issue.iid, {"description": old})
    sweep_twice(world, LATE)
    (nudge,) = nudges(world, issue.iid)
    assert nudge.startswith("@carol:")  # Free: the one assignee, as before


def test_the_rules_of_engagement_are_for_commercial_handovers_only(world: World) -> None:
    enterprise = ("--account", "Initech", "--from", "kim", "--to", "heidi")
    assert (
        world.cli("handover", "open", *enterprise, "--effective", "2026-12-07", today=SYNC_DAY).code
        == 0
    )
    assert world.cli(*HANDOVER, today=SYNC_DAY).code == 0
    assert "Rules of Engagement" not in world.titled("Initech").description
    assert "Rules of Engagement" in world.titled("Acme Corp").description


def test_first_week_items_are_overdue_after_the_first_week(world: World) -> None:
    assert world.cli("onboard", "sync", today=SYNC_DAY).code == 0
    grace = world.issue("onboarding", "grace@2026-12-01")
    sweep_twice(world, "2026-12-08")  # day 7: not yet late
    assert "status::overdue" not in world.api.get_issue(grace.iid).labels
    sweep_twice(world, "2026-12-09")  # a Wednesday, day 8: Level Up and Highspot are late
    grace = world.api.get_issue(grace.iid)
    assert "status::overdue" in grace.labels and "phase::day-30" in grace.labels
    (nudge,) = nudges(world, grace.iid)
    assert "**Day 7**" in nudge and "Level Up and Highspot" in nudge
    assert "Sales Quickstart" not in nudge  # due in the first two weeks
    world.tick("grace", grace.iid, "onboarding.level-up-highspot")
    sweep_twice(world, "2026-12-10")
    assert "status::overdue" not in world.api.get_issue(grace.iid).labels
    sweep_twice(world, "2026-12-16")  # day 15: the onboarding issue and Quickstart are late
    *_, last = nudges(world, grace.iid)
    assert "**Day 14**" in last and "Sales Quickstart" in last and "Level Up" not in last
