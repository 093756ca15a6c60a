"""Onboarding 30/60/90 plans and Give Back projects, from the roster.

`salesbot onboard sync` opens a 30/60/90 plan for every roster member whose
start date is near (within `lead_days` before it, and before day 90 after it),
and, for the departments the handbook names (Commercial Sales), a Give Back
Project issue linked to it. Both are keyed by `username@start_date`, so a
rehire gets a new plan and a rerun gets nothing new. A member who left or was
removed from the roster keeps their issues: they get a note and a label,
never a deletion.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from automation.actions import Comment, IssueRef, LinkIssues, Plan, Step
from automation.config import Member, Team
from automation.index import Index
from automation.templates import load_info
from automation.workflows.common import Environment, assignees, days_after, new_issue

ONBOARDING = "onboarding"
GIVE_BACK = "give-back"
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
    info = load_info(env.config.workflows.onboarding.template, env.templates_dir)
    found = [Phase(t, d, days_after(start, d)) for t, d in info.sections_due.items()]
    return sorted(found, key=lambda p: p.days)


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


def plan(
    env: Environment,
    team: Team,
    index: Index,
    links: Mapping[int, frozenset[int]] | None = None,
) -> Plan:
    """`links`: for the issues `links_to_check` named, the iids they link to."""
    steps: list[Step] = []
    for member in team.active_members():
        if in_window(env, member):
            steps.extend(_open_for(env, index, member, links or {}))
    steps.extend(_departed(env, team, index))
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


def _departed(env: Environment, team: Team, index: Index) -> list[Step]:
    """Open plans of people no longer active on the roster: note + label, once."""
    active = {m.username for m in team.active_members()}
    left_label = env.labels.status("left-company")
    steps: list[Step] = []
    for tracked in index.of(ONBOARDING, GIVE_BACK):
        issue = tracked.issue
        username = username_of(tracked.marker.key)
        if not issue.is_open or username in active or left_label in issue.labels:
            continue
        member = team.member(username)
        why = "is marked as left" if member is not None else "is no longer on the roster"
        comment = Comment(
            IssueRef(iid=issue.iid),
            f"{username} {why} (team roster). This issue stays open for the manager "
            "to close or hand over; salesbot will not nudge it.",
            reason="member left",
            add_labels=(left_label,),
        )
        steps.append(Step(tracked.marker.workflow, comment))
    return steps
