"""Onboarding 30/60/90 plans and Give Back projects, from the roster.

`salesbot onboard sync` opens a 30/60/90 plan for every roster member whose
start date is near (within `lead_days` before it, and before day 90 after it),
and, for the departments the handbook names (Commercial Sales), a Give Back
Project issue linked to it. Both are keyed by `username@start_date`, so a
rehire gets a new plan and a rerun gets nothing new. A member who left or was
removed from the roster keeps their issues: they get a note and a label,
never a deletion. The note is written once: a person who takes the label off
is not overruled. When someone the bot marked as left is active on the roster
again (a roster typo, fixed), the bot takes its label off and says so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from automation import registry
from automation.actions import Comment, IssueRef, LinkIssues, Plan, Step
from automation.index import Index, Tracked
from automation.labels import status_change
from automation.records import LabelEvent
from automation.team import Member, Team
from automation.workflows.common import Environment, assignees, days_after, new_issue

ONBOARDING = registry.ONBOARDING.name
GIVE_BACK = registry.GIVE_BACK.name
PLAN_DAYS = 90


def key_for(member: Member) -> str:
    return f"{member.username}@{member.start_date.isoformat()}"


def username_of(key: str) -> str:
    return key.rpartition("@")[0]


def start_of(key: str) -> date:
    return date.fromisoformat(key.rpartition("@")[2])


@dataclass(frozen=True)
class Phase:
    title: str  # the section heading, e.g. "Day 30"
    days: int  # days after the start date it is due
    due: date


def phases(env: Environment, start: date) -> list[Phase]:
    """The plan's phases in order, from the onboarding template's front matter."""
    info = env.templates.info(env.config.workflows.onboarding.template)
    found = [Phase(t, d, days_after(start, d)) for t, d in info.sections_due.items()]
    return sorted(found, key=lambda p: p.days)


def early_items(env: Environment, start: date) -> list[tuple[Phase, frozenset[str]]]:
    """Items due before their phase (front matter `items_due`: the handbook's
    first week and first two weeks), grouped by due day: (a Phase titled
    "Day N", the task keys due then), earliest first."""
    info = env.templates.info(env.config.workflows.onboarding.template)
    by_days: dict[int, set[str]] = {}
    for key, days in info.items_due.items():
        by_days.setdefault(days, set()).add(key)
    return [
        (Phase(f"Day {days}", days, days_after(start, days)), frozenset(keys))
        for days, keys in sorted(by_days.items())
    ]


def in_window(env: Environment, member: Member) -> bool:
    lead = env.config.workflows.onboarding.lead_days
    return (
        days_after(member.start_date, -lead) <= env.today < days_after(member.start_date, PLAN_DAYS)
    )


# A run stopped between creating a Give Back issue and linking it leaves it
# unlinked; runs within this many days of its creation check and repair that.
# Older issues are not re-read on every run (one GET each would add up).
LINK_REPAIR_DAYS = 7


def links_to_check(env: Environment, team: Team, index: Index) -> list[int]:
    """Recent open Give Back issues whose link to their plan may be missing:
    the caller reads their links."""
    found = []
    since = days_after(env.today, -LINK_REPAIR_DAYS).isoformat()
    for member in team.active_members():
        key = key_for(member)
        give_back = index.get(GIVE_BACK, key)
        if give_back is None or not give_back.issue.is_open:
            continue
        recent = give_back.issue.created_at[:10] >= since
        if recent and index.get(ONBOARDING, key) is not None:
            found.append(give_back.issue.iid)
    return found


def events_to_check(env: Environment, team: Team, index: Index) -> list[int]:
    """Open plans whose left-company label history decides what to do: the
    caller reads their label events. Only issues whose label disagrees with
    the roster, so a quiet run reads none."""
    active = {m.username for m in team.active_members()}
    left_label = env.labels.status("left-company")
    return [
        tracked.issue.iid
        for tracked in index.of(ONBOARDING, GIVE_BACK)
        if tracked.issue.is_open
        and (username_of(tracked.marker.key) in active) == (left_label in tracked.issue.labels)
    ]


@dataclass(frozen=True)
class History:
    """What the caller read for `events_to_check`'s issues, and the bot's username."""

    events: Mapping[int, Sequence[LabelEvent]]
    bot: str


def plan(
    env: Environment,
    team: Team,
    index: Index,
    links: Mapping[int, frozenset[int]] | None = None,
    history: History | None = None,
) -> Plan:
    """`links`: for the issues `links_to_check` named, the iids they link to;
    `history`: label events of the issues `events_to_check` named."""
    steps: list[Step] = []
    for member in team.active_members():
        if in_window(env, member):
            steps.extend(_open_for(env, index, member, links or {}))
    steps.extend(_departed(env, team, index, history or History({}, "")))
    return Plan(tuple(steps))


def _open_for(
    env: Environment, index: Index, member: Member, links: Mapping[int, frozenset[int]]
) -> list[Step]:
    key = key_for(member)
    config = env.config.workflows
    # a new plan has nothing ticked, so it is in its first phase, even when it
    # is opened late (that phase is then already overdue, which is the truth)
    current = phases(env, member.start_date)[0]
    data: dict[str, object] = {
        "hire": member.username,
        "name": member.name,
        "manager": member.manager,
        "segment": str(member.segment),
        "role": member.role,
        "department": str(member.department),
        "region": member.region,
        "start_date": member.start_date,
        "plan": config.onboarding.plan_for(member.role),
        **{f"day{days}": days_after(member.start_date, days) for days in (30, 60, 90)},
    }
    steps: list[Step] = []
    plan_issue = index.get(ONBOARDING, key)
    plan_ref = IssueRef(iid=plan_issue.issue.iid) if plan_issue else None
    if plan_issue is None:
        create = new_issue(
            env,
            workflow=ONBOARDING,
            key=key,
            settings=config.onboarding,
            data=data,
            assignees=assignees(
                config.onboarding, {"hire": member.username, "manager": member.manager}
            ),
            due_date=current.due,
            extra_labels=[
                env.labels.phase(current.days),
                env.labels.segment(str(member.segment)),
            ],
        )
        steps.append(Step(ONBOARDING, create))
        plan_ref = create.target
    wants_give_back = str(member.department) in {str(d) for d in config.give_back.departments}
    give_back = index.get(GIVE_BACK, key)
    linked = links.get(give_back.issue.iid) if give_back else None
    if plan_issue and give_back and linked is not None and plan_issue.issue.iid not in linked:
        ref = IssueRef(iid=give_back.issue.iid)
        steps.append(
            Step(GIVE_BACK, LinkIssues(target=ref, other=IssueRef(iid=plan_issue.issue.iid)))
        )
    if wants_give_back and give_back is None:
        create = new_issue(
            env,
            workflow=GIVE_BACK,
            key=key,
            settings=config.give_back,
            data={
                "hire": member.username,
                "name": member.name,
                "manager": member.manager,
                "start_date": member.start_date,
                "due_date": days_after(member.start_date, config.give_back.due_days),
                "onboarding_ref": f"#{plan_issue.issue.iid}" if plan_issue else None,
            },
            assignees=assignees(
                config.give_back, {"hire": member.username, "manager": member.manager}
            ),
            due_date=days_after(member.start_date, config.give_back.due_days),
            extra_labels=[env.labels.segment(str(member.segment))],
        )
        steps.append(Step(GIVE_BACK, create))
        assert plan_ref is not None
        steps.append(Step(GIVE_BACK, LinkIssues(target=create.target, other=plan_ref)))
    return steps


def _latest(
    events: Sequence[LabelEvent], label: str, action: str | None = None
) -> LabelEvent | None:
    found = None
    for event in events:  # GitLab lists them oldest first
        if event.label == label and (action is None or event.action == action):
            found = event
    return found


def _departed(env: Environment, team: Team, index: Index, history: History) -> list[Step]:
    """Open plans of people no longer active on the roster: note + label, once;
    and the label taken off again when they are back on the roster."""
    active = {m.username for m in team.active_members()}
    left_label = env.labels.status("left-company")
    steps: list[Step] = []
    for tracked in index.of(ONBOARDING, GIVE_BACK):
        issue = tracked.issue
        if not issue.is_open:
            continue
        username = username_of(tracked.marker.key)
        events = history.events.get(issue.iid, ())
        if username in active:
            if left_label in issue.labels:
                steps.extend(_back(env, tracked, username, events, history.bot))
            continue
        if left_label in issue.labels:
            continue
        latest = _latest(events, left_label)
        if latest is not None and latest.action == "remove" and latest.user != history.bot:
            continue  # noted before, and a person took the label off: their call
        change = status_change(env.labels, issue.labels, "left-company")
        if change is None:
            continue  # a higher status (duplicate) holds
        member = team.member(username)
        why = "is marked as left" if member is not None else "is no longer on the roster"
        comment = Comment(
            IssueRef(iid=issue.iid),
            f"{username} {why} (team roster). This issue stays open for the manager "
            "to close or hand over; salesbot will not nudge it.",
            reason="member left",
            add_labels=change.add,
            remove_labels=change.remove,
        )
        steps.append(Step(tracked.marker.workflow, comment))
    return steps


def _back(
    env: Environment, tracked: Tracked, username: str, events: Sequence[LabelEvent], bot: str
) -> list[Step]:
    """An active member's plan carries left-company: undo it when the bot put
    it there (a roster mistake, now fixed); a label a person added stays."""
    left_label = env.labels.status("left-company")
    added = _latest(events, left_label, "add")
    if added is None or added.user != bot:
        return []
    comment = Comment(
        IssueRef(iid=tracked.issue.iid),
        f"{username} is active on the team roster again, so salesbot took "
        f'~"{left_label}" off this issue and will nudge it again when it is behind plan.',
        reason="member back",
        remove_labels=(left_label,),
    )
    return [Step(tracked.marker.workflow, comment)]
