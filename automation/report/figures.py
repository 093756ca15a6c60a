"""The figures: a pure function of one listing of the bot's issues and today's date."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date

from automation import attention, registry
from automation.adoption import Adoption, Ledger
from automation.adoption import build as build_adoption
from automation.attention import Attention
from automation.checklist import Checklist, parse
from automation.config import Config
from automation.index import Index, Listing, Tracked
from automation.report.model import (
    ADOPTED_KEY,
    USED_MONTHLY_KEY,
    WORKFLOWS,
    Hire,
    Person,
    PhaseBar,
    PhaseState,
    Row,
    Snapshot,
    Status,
)
from automation.team import Team
from automation.workflows import onboarding, sweep
from automation.workflows.common import Environment


def figures(env: Environment, team: Team, listing: Listing, project: str) -> Snapshot:
    """The figures as of `env.today` (pure: no GitLab), from the listing the
    bot read: each key's oldest issue, and the "Needs attention" section the
    dashboard issue carries."""
    snapshot = build(env, team, listing.first_of_each_key(), project)
    snapshot = replace(snapshot, give_back_adoption=adoption_of(env, team, listing))
    return replace(snapshot, attention=attention_of(listing.index()))


def adoption_of(env: Environment, team: Team, listing: Listing) -> Adoption | None:
    """Give Back adoption from the roll-call issues and the ledger the
    dashboard carries (as of the last run that read the notes); None without
    any roll-call."""
    board = next(listing.full_of(registry.DASHBOARD.name), None)
    ledger = Ledger.read(board.issue.description) if board else Ledger()
    found = build_adoption(
        team,
        listing.full_of(registry.GIVE_BACK.name),
        listing.full_of(registry.ROLL_CALL.name),
        ledger,
        env.today,
    )
    return found if found.projects or ledger.seen else None


def attention_of(index: Index) -> Attention | None:
    """The "Needs attention" section the dashboard issue carries."""
    board = index.get(registry.DASHBOARD.name, "main")  # automation.dashboard.MARKER
    return attention.read(board.issue.description) if board else None


def build(
    env: Environment, team: Team, tracked_issues: Iterable[Tracked], project: str
) -> Snapshot:
    """The figures of the workflows' issues (pure: no GitLab)."""
    open_rows: list[Row] = []
    closed_rows: list[Row] = []
    cohort: list[Hire] = []
    for tracked in tracked_issues:
        if tracked.marker.workflow not in WORKFLOWS:
            continue
        if not tracked.issue.is_open:
            closed_rows.append(_closed_row(team, tracked))
            continue
        assessment = sweep.assess(env, tracked)
        row = _row(env, team, assessment)
        open_rows.append(row)
        if tracked.marker.workflow == onboarding.ONBOARDING:
            cohort.append(_hire(row, assessment, env.today))
    order = {w: n for n, w in enumerate(WORKFLOWS)}
    open_rows.sort(key=lambda r: (order[r.workflow], *_urgency(r)))
    closed_rows.sort(key=lambda r: (order[r.workflow], r.due or date.max, r.iid))
    cohort.sort(key=lambda h: (h.start, h.row.iid))
    return Snapshot(env.today, project, tuple(open_rows), tuple(closed_rows), tuple(cohort))


def _urgency(row: Row) -> tuple[int, date, int]:
    """Overdue first (longest overdue first), then by due date, undated last."""
    return (0 if row.overdue else 1, row.due or date.max, row.iid)


def _person(team: Team, username: str | None) -> Person | None:
    if not username:
        return None
    member = team.member(username)
    return Person(name=member.name if member and member.name else username, username=username)


def _owner_of(tracked: Tracked) -> str | None:
    if tracked.marker.workflow in (onboarding.ONBOARDING, onboarding.GIVE_BACK):
        return onboarding.username_of(tracked.marker.key)
    return tracked.issue.assignees[0] if tracked.issue.assignees else None


def _people(team: Team, tracked: Tracked) -> tuple[Person | None, Person | None]:
    owner = _person(team, _owner_of(tracked))
    member = team.member(owner.username) if owner else None
    return owner, _person(team, member.manager if member else None)


def _phase(config: Config, assessment: sweep.Assessment) -> tuple[str, date | None]:
    """The phase column and the due date that goes with it."""
    tracked = assessment.tracked
    if tracked.marker.workflow == onboarding.ONBOARDING:
        current = next((s for s in assessment.sections if not s.complete), None)
        if current is None:
            return "done", tracked.issue.due_date
        return current.title, current.due
    if tracked.marker.workflow == onboarding.GIVE_BACK:
        # the template's sections are the project's stages: Problem, Proposal, Adoption...
        part = next((s for s in assessment.checklist.sections if not s.is_complete), None)
        return (part.title if part else "done"), tracked.issue.due_date
    if tracked.marker.workflow == registry.OPPORTUNITY.name:
        kind = registry.kind_of(config, tracked.marker.workflow, tracked.issue.labels)
        consult = kind is not None and kind.template == "consult"
        return ("consult" if consult else "LDR"), tracked.issue.due_date
    return "", tracked.issue.due_date


def _status(env: Environment, assessment: sweep.Assessment) -> Status:
    if env.labels.status("left-company") in assessment.tracked.issue.labels:
        return "left"
    if assessment.progress == "complete":
        return "complete"
    if assessment.overdue:
        return "overdue"
    return assessment.progress


def _row_of(
    team: Team,
    tracked: Tracked,
    checklist: Checklist,
    *,
    phase: str,
    due: date | None,
    status: Status,
) -> Row:
    issue = tracked.issue
    owner, manager = _people(team, tracked)
    adopted, used = (checklist.item(k) for k in (ADOPTED_KEY, USED_MONTHLY_KEY))
    return Row(
        workflow=tracked.marker.workflow,
        key=tracked.marker.key,
        iid=issue.iid,
        reference=issue.reference,
        title=issue.title,
        url=issue.web_url,
        owner=owner,
        manager=manager,
        phase=phase,
        progress=checklist.progress,
        done=checklist.completed_count,
        count=checklist.count,
        due=due,
        status=status,
        is_open=issue.is_open,
        adopted=bool(adopted and adopted.checked),
        used_monthly=bool(used and used.checked),
    )


def _row(env: Environment, team: Team, assessment: sweep.Assessment) -> Row:
    phase, due = _phase(env.config, assessment)
    status = _status(env, assessment)
    return _row_of(
        team, assessment.tracked, assessment.checklist, phase=phase, due=due, status=status
    )


def _closed_row(team: Team, tracked: Tracked) -> Row:
    checklist = parse(tracked.issue.description)
    due = tracked.issue.due_date
    return _row_of(team, tracked, checklist, phase="", due=due, status="complete")


def _hire(row: Row, assessment: sweep.Assessment, today: date) -> Hire:
    """The plan's phases back to back from the start date: done, overdue,
    active (today falls in it) or upcoming."""
    start = onboarding.start_of(assessment.tracked.marker.key)
    bars = []
    begin = start
    # the 30/60/90 phases only: the week 1-2 items (`items_due`) are due
    # inside the first phase, not phases of their own
    for section in (s for s in assessment.sections if s.phase_days is not None):
        due = max(section.due or begin, begin)
        state: PhaseState
        if section.complete:
            state = "done"
        elif section in assessment.overdue:
            state = "overdue"
        elif begin <= today <= due:
            state = "active"
        else:
            state = "upcoming"
        bars.append(PhaseBar(section.title, begin, due, state))
        begin = due
    return Hire(row=row, start=start, phases=tuple(bars))
