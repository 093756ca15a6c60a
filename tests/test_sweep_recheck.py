"""A sweep writes nothing stale (issue 15.1): an issue a person (or the webhook
receiver, on a person's tick) closed or changed after the sweep's listing was
read gets no label and no nudge from that listing; the rest of the plan is
written, for one more list request."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from automation import recheck
from automation.actions import IssueRef, Plan, Step, UpdateIssue
from automation.bot import Bot
from automation.records import Issue
from tests.e2e import World, as_user
from tests.factories import issue as make_issue
from tests.test_sweep_cost import DAY, LATE, imported

LIST = "GET /projects/:id/issues"


def lists(world: World) -> int:
    return world.sandbox.requests.by_kind().get(LIST, 0)


def two_overdue(world: World, tmp_path: Path) -> tuple[Bot, int, int]:
    """Two handovers that fall overdue on LATE: the sweep would nudge both."""
    imported(world, tmp_path)
    world.at(LATE)
    acme, globex = sorted(world.issues("handover"), key=lambda i: i.iid)
    return world.new_bot(), acme.iid, globex.iid


def test_an_issue_closed_between_the_listing_and_the_writes_gets_nothing(
    world: World, tmp_path: Path
) -> None:
    bot, closed, other = two_overdue(world, tmp_path)
    listing = bot.listing()  # what `salesbot run` reads first
    # meanwhile carol finishes her handover and closes it in GitLab
    issue = as_user(world.sandbox, "carol").issues.get(closed)
    issue.state_event = "close"
    issue.save()
    before = lists(world)
    plan = bot.plan_sweep(date.fromisoformat(LATE), listing=listing)
    assert lists(world) - before == 1  # the one look at what changed since
    report = bot.apply(plan)
    assert not report.failures
    after = world.api.get_issue(closed)
    assert after.state == "closed" and "status::overdue" not in after.labels
    assert world.notes(closed) == []  # no nudge on a closed issue
    # the sweep still did everything else
    kept = world.api.get_issue(other)
    assert "status::overdue" in kept.labels
    (nudge,) = world.notes(other)
    assert "behind plan" in nudge.body


def test_an_issue_changed_meanwhile_is_planned_again_from_gitlabs_copy(
    world: World, tmp_path: Path
) -> None:
    bot, moved, other = two_overdue(world, tmp_path)
    listing = bot.listing()
    # meanwhile the manager moves the handover's due date a month on: not overdue
    issue = as_user(world.sandbox, "alice").issues.get(moved)
    issue.due_date = "2027-01-20"
    issue.save()
    report = bot.apply(bot.plan_sweep(date.fromisoformat(LATE), listing=listing))
    assert not report.failures
    assert "status::overdue" not in world.api.get_issue(moved).labels
    assert world.notes(moved) == []
    assert "status::overdue" in world.api.get_issue(other).labels


def test_a_sweep_with_nothing_to_write_makes_no_extra_request(world: World, tmp_path: Path) -> None:
    imported(world, tmp_path)
    world.at(DAY)
    assert world.cli("sweep", today=DAY).code == 0
    world.sandbox.requests.clear()
    assert world.cli("sweep", today=DAY).code == 0
    assert world.writes() == 0 and lists(world) == 1  # the listing only


def test_the_cli_sweep_rechecks_too_and_writes_the_same_as_without_changes(
    world: World, tmp_path: Path
) -> None:
    imported(world, tmp_path)
    world.at(LATE)
    world.sandbox.requests.clear()
    assert world.cli("sweep", today=LATE).code == 0
    assert lists(world) == 2  # the listing, and the look at what changed since
    for issue in world.issues("handover"):
        assert "status::overdue" in issue.labels and len(world.notes(issue.iid)) == 1


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.integers(min_value=1, max_value=8), max_size=20),
    st.dictionaries(st.integers(min_value=1, max_value=8), st.booleans(), max_size=8),
)
def test_revise_drops_closed_issues_steps_and_keeps_every_other_in_order(
    targets: list[int], changed: dict[int, bool]
) -> None:
    """Steps of issues not changed stay as they were, in order; a changed issue
    that closed keeps no step; one still open gets its new plan, once."""
    plan = Plan(tuple(Step("handover", UpdateIssue(IssueRef(iid=t))) for t in targets))
    fresh = {
        iid: make_issue(iid, None, state="opened" if still_open else "closed")
        for iid, still_open in changed.items()
    }

    def replan(found: Issue) -> Plan:
        if not found.is_open:
            return Plan()
        return Plan((Step("handover", UpdateIssue(IssueRef(iid=found.iid), reason="again")),))

    out = recheck.revise(plan, fresh, replan)
    unchanged = [s for s in plan if recheck.target_iid(s) not in fresh]
    assert [s for s in out if recheck.target_iid(s) not in fresh] == unchanged
    for iid, still_open in changed.items():
        mine = [s for s in out if recheck.target_iid(s) == iid]
        planned = iid in targets
        assert len(mine) == (1 if still_open and planned else 0)
        assert all(isinstance(s.action, UpdateIssue) and s.action.reason == "again" for s in mine)


def test_since_is_gitlabs_date_less_a_second_and_the_time_the_page_took() -> None:
    assert recheck.since("Thu, 03 Dec 2026 09:00:00 GMT", 0.2) == "2026-12-03T08:59:58Z"
    assert recheck.since("Thu, 03 Dec 2026 09:00:00 GMT", 0.0) == "2026-12-03T08:59:59Z"
    assert recheck.since(None, 0.1) is None and recheck.since("garbage", 0.1) is None


def test_the_sandbox_dates_its_answers_by_its_own_clock_as_gitlab_does(world: World) -> None:
    world.at(LATE)
    answer = requests.get(f"{world.sandbox.url}/api/v4/version", timeout=5)
    assert answer.headers["Date"] == "Mon, 21 Dec 2026 09:00:00 GMT"


def test_the_receiver_finishing_an_issue_meanwhile_leaves_the_sweep_nothing_to_undo(
    world: World,
) -> None:
    """The race of README "A webhook and a scheduled run at once": the sweep
    lists, the receiver completes and closes a handover on its last tick, the
    sweep writes; the closed issue keeps what the receiver wrote."""
    from tests.receiver_helpers import GitLab, idle, receiver, wait_for
    from tests.test_receiver import DAY, open_handover, tick_first

    done, other = open_handover(world, "Acme Corp"), open_handover(world, "Globex")
    bot = world.new_bot()
    world.tick_all("carol", other)  # a sweep has this one to complete too
    tick_first(world, done)  # from this listing the sweep would label it in progress
    listing = bot.listing()
    with receiver(world.sandbox, world.config, DAY) as running:
        gitlab = GitLab(world.sandbox, running.url)
        world.tick_all("carol", done)
        assert gitlab.send(gitlab.issue_event(done, "carol")).status_code == 202
        wait_for(lambda: not world.api.get_issue(done).is_open)
        wait_for(lambda: idle(running))
    closed = world.api.get_issue(done)
    notes = len(world.notes(done))
    report = bot.apply(bot.plan_sweep(DAY, listing=listing))
    assert not report.failures
    assert all(o.step.action.target.iid != done for o in report.outcomes)
    after = world.api.get_issue(done)
    assert (after.labels, after.state, len(world.notes(done))) == (
        closed.labels,
        "closed",
        notes,
    )
    assert not world.api.get_issue(other).is_open  # the sweep finished the other one
