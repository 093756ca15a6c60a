"""Group consults and the Area Sales Manager's consult cadence (handbook rows 8, 10).

ASM page: group consults ("Schedule a 30-45 minute meeting once you have a
volunteer", "a recurring meeting series (1-2x per month)") and "ASMs should be
conducting multiple opportunity consults every week". `salesbot run` (and
`consults sync`) opens one "Group consult" issue a month for every Area Sales
Manager, keyed `<manager>@YYYY-MM` (workflow
`group-consult`): the first run of a month opens it, every later run finds it.
It is due at the month's end, the sweep nudges and closes it like any other
checklist, and its body lists the team's open consults when it was opened and
the weekly cadence of the four weeks before (`weekly_consults`).

Who is an Area Sales Manager: an active roster member whose role maps to the
`area-sales-manager` plan in `workflows.onboarding.roles` (the same rule that
gives them the manager's onboarding plan), from their start date. Not everyone
who manages people: a Commercial manager of SMB AEs holds Lightweight Deal
Reviews, not group consults, and the roster says who the ASMs are.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

from automation import registry
from automation.actions import Plan, Step
from automation.errors import TemplateError
from automation.index import Index, Tracked
from automation.neutralise import neutralise
from automation.team import Member, Team
from automation.workflows.common import Environment, assignees, new_issue

WORKFLOW: Final = registry.GROUP_CONSULT.name
WEEKS: Final = 4
# "multiple opportunity consults every week" (ASM): at least two
WEEKLY_TARGET: Final = 2


def managers(env: Environment, team: Team) -> tuple[Member, ...]:
    """The Area Sales Managers who hold group consults (see the module doc)."""
    roles = env.config.workflows.onboarding
    return tuple(
        m
        for m in team.active_members()
        if roles.plan_for(m.role) == "area-sales-manager" and m.start_date <= env.today
    )


def key_for(manager: str, today: date) -> str:
    return f"{manager}@{today:%Y-%m}"


def month_end(today: date) -> date:
    return today.replace(day=calendar.monthrange(today.year, today.month)[1])


def _consults(index: Index | Iterable[Tracked]) -> list[Tracked]:
    """The consults (not LDRs) of the index, oldest first."""
    found = [t for t in index if t.marker.workflow == registry.OPPORTUNITY.name]
    return sorted(found, key=lambda t: t.issue.iid)


def _is_consult(env: Environment, tracked: Tracked) -> bool:
    kind = registry.kind_of(env.config, tracked.marker.workflow, tracked.issue.labels)
    return kind is not None and kind.template == "consult"


def _team_of(team: Team, manager: str) -> frozenset[str]:
    """The manager and everyone who reports to them."""
    return frozenset({manager, *(m.username for m in team.members if m.manager == manager)})


def _owner(tracked: Tracked) -> str | None:
    return tracked.issue.assignees[0] if tracked.issue.assignees else None


def weekly_consults(
    env: Environment, team: Team, manager: str, issues: Iterable[Tracked], *, weeks: int = WEEKS
) -> tuple[int, ...]:
    """Consults opened for `manager`'s team in each of the `weeks` seven-day
    weeks before today, oldest first (pure; the report's manager rollups can
    call it). A consult counts for the team of its owner (first assignee).
    Compare each figure with `WEEKLY_TARGET` ("multiple ... every week")."""
    members = _team_of(team, manager)
    counts = [0] * weeks
    first = env.today - timedelta(days=7 * weeks)
    for tracked in _consults(issues):
        if not _is_consult(env, tracked) or _owner(tracked) not in members:
            continue
        opened = date.fromisoformat(tracked.issue.created_at[:10])
        if first <= opened < env.today:
            counts[(opened - first).days // 7] += 1
    return tuple(counts)


def _open_consults(env: Environment, team: Team, manager: str, index: Index) -> list[Tracked]:
    members = _team_of(team, manager)
    return [
        t
        for t in _consults(index)
        if t.issue.is_open and _is_consult(env, t) and _owner(t) in members
    ]


def plan(env: Environment, team: Team, index: Index) -> Plan:
    """This month's group consult issue for every ASM who has none yet."""
    kind = registry.GROUP_CONSULT.kinds[0]
    settings = kind.settings(env.config)
    try:
        env.templates.info(settings.template)
    except TemplateError as exc:
        # a team's own templates folder made before group consults existed
        if "template file not found" not in str(exc):
            raise
        return Plan((), (f"group consults not opened: {exc} (copy it from salesbot's)",))
    steps: list[Step] = []
    for member in managers(env, team):
        key = key_for(member.username, env.today)
        if index.get(WORKFLOW, key) is not None:
            continue  # opened earlier this month: found, never reopened
        data = _data(env, team, member, index)
        steps.append(
            Step(
                WORKFLOW,
                new_issue(
                    env,
                    workflow=WORKFLOW,
                    key=key,
                    settings=settings,
                    data=data,
                    assignees=assignees(settings, {"manager": member.username}),
                    due_date=month_end(env.today),
                    extra_labels=[env.labels.segment(str(member.segment))],
                ),
            )
        )
    return Plan(tuple(steps))


def _data(env: Environment, team: Team, member: Member, index: Index) -> dict[str, object]:
    cadence = weekly_consults(env, team, member.username, index)
    return {
        "manager": member.username,
        "name": member.name,
        "month": f"{env.today:%B %Y}",
        "due_date": month_end(env.today),
        "consults": tuple(
            (t.issue.reference, t.issue.title, _owner(t) or "")
            for t in _open_consults(env, team, member.username, index)
        ),
        "weekly": _weeks(env.today, cadence),
        "weekly_target": WEEKLY_TARGET,
    }


def _weeks(today: date, counts: Sequence[int]) -> tuple[tuple[date, int], ...]:
    """(first day of the week, consults opened) for `weekly_consults`' figures."""
    first = today - timedelta(days=7 * len(counts))
    return tuple((first + timedelta(days=7 * n), c) for n, c in enumerate(counts))


@dataclass(frozen=True)
class Cadence:
    """One Area Sales Manager's consults opened per week (`weekly_consults`)."""

    manager: str
    weeks: tuple[tuple[date, int], ...]  # (first day of the week, consults), oldest first

    @property
    def weeks_below_target(self) -> int:
        return sum(1 for _, count in self.weeks if count < WEEKLY_TARGET)


def cadences(env: Environment, team: Team, issues: Iterable[Tracked]) -> tuple[Cadence, ...]:
    """Every Area Sales Manager's cadence over the last `WEEKS` weeks (pure): what
    a report or dashboard shows per ASM against "multiple every week"."""
    tracked = list(issues)
    return tuple(
        Cadence(m.username, _weeks(env.today, weekly_consults(env, team, m.username, tracked)))
        for m in managers(env, team)
    )


def cadence_markdown(found: Iterable[Cadence]) -> list[str]:
    """A Markdown table of `cadences`: one row per ASM, one column per week."""
    rows = list(found)
    if not rows:
        return []
    heads = [f"{first:%m-%d}" for first, _ in rows[0].weeks]
    lines = [
        f"| Area Sales Manager | {' | '.join(heads)} | Weeks below {WEEKLY_TARGET} |",
        "|---" * (len(heads) + 2) + "|",
    ]
    for row in rows:
        counts = " | ".join(str(count) for _, count in row.weeks)
        who = neutralise(row.manager, "table")
        lines.append(f"| {who} | {counts} | {row.weeks_below_target} |")
    return lines
