"""The figures: a pure function of one listing of the bot's issues and today's date."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from automation import attention, registry
from automation.adoption import Adoption, Ledger
from automation.adoption import build as build_adoption
from automation.attention import Attention
from automation.checklist import Checklist, parse
from automation.config import Config
from automation.index import Index, Listing, Tracked
from automation.report import facts, history
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
from automation.workflows import group_consults, onboarding, sweep
from automation.workflows.common import Environment

_OPPORTUNITY = registry.OPPORTUNITY.name


def figures(env: Environment, team: Team, listing: Listing, project: str) -> Snapshot:
    """The figures as of `env.today` (pure: no GitLab), from the listing the
    bot read: each key's oldest issue, and the "Needs attention" section the
    dashboard issue carries."""
    snapshot = build(env, team, listing.first_of_each_key(), project)
    index = listing.index()  # markers, labels, states: no descriptions held
    snapshot = replace(
        snapshot,
        give_back_adoption=adoption_of(env, team, listing),
        cadences=group_consults.cadences(env, team, index),
    )
    return replace(snapshot, attention=attention_of(index), history_found=history_of(index))


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


def history_of(index: Index) -> history.Found:
    """The history block the dashboard issue carries (`automation.report.history`)."""
    board = index.get(registry.DASHBOARD.name, "main")
    return history.read(board.issue.description if board else None)


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
            closed_rows.append(_closed_row(team, tracked, env.config.timezone))
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


def _phase(
    config: Config, assessment: sweep.Assessment, today: date | None = None
) -> tuple[str, date | None]:
    """The phase column and the due date that goes with it."""
    tracked = assessment.tracked
    if tracked.marker.workflow == onboarding.ONBOARDING:
        return _onboarding_phase(assessment, today)
    if tracked.marker.workflow == registry.OPPORTUNITY.name:
        found = facts.read(tracked.issue.description)
        if found is not None and found.command_plan:
            return facts.COMMAND_PLAN, tracked.issue.due_date
    if tracked.marker.workflow == onboarding.GIVE_BACK:
        # the template's sections are the project's stages: Problem, Proposal, Adoption...
        part = next((s for s in assessment.checklist.sections if not s.is_complete), None)
        return (part.title if part else "done"), tracked.issue.due_date
    if tracked.marker.workflow == registry.OPPORTUNITY.name:
        kind = registry.kind_of(config, tracked.marker.workflow, tracked.issue.labels)
        consult = kind is not None and kind.template == "consult"
        return ("consult" if consult else "LDR"), tracked.issue.due_date
    return "", tracked.issue.due_date


def _onboarding_phase(assessment: sweep.Assessment, today: date | None) -> tuple[str, date | None]:
    """The first unfinished 30/60/90 phase and its due date (the week 1-2
    items are due inside the first phase, not phases of their own); after the
    last phase's end, the column says so rather than show a phase as current."""
    phases = [s for s in assessment.sections if s.phase_days is not None]
    current = next((s for s in phases if not s.complete), None)
    if current is None:
        return "done", assessment.tracked.issue.due_date
    last = phases[-1]
    if today is not None and last.due is not None and today > last.due:
        return f"{current.title} (unfinished after {last.title})", current.due
    return current.title, current.due


def days_overdue(assessment: sweep.Assessment, today: date) -> int:
    """Days past the due date of the earliest overdue part (phase, early items, issue)."""
    dues = [s.due for s in assessment.overdue if s.due is not None]
    return (today - min(dues)).days if dues else 0


def _closed_on(closed_at: str, timezone: str) -> date | None:
    """The day an issue was closed, in the team's timezone (GitLab answers in UTC)."""
    if not closed_at:
        return None
    try:
        moment = datetime.fromisoformat(closed_at.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(ZoneInfo(timezone)).date()


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
    days_late: int = 0,
    closed_on: date | None = None,
) -> Row:
    issue = tracked.issue
    owner, manager = _people(team, tracked)
    # only a Give Back project has the adoption boxes: no scan of other checklists
    give_back = tracked.marker.workflow == onboarding.GIVE_BACK
    adopted, used = (
        checklist.item(k) if give_back else None for k in (ADOPTED_KEY, USED_MONTHLY_KEY)
    )
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
        days_overdue=days_late if status == "overdue" else 0,
        facts=facts.read(issue.description) if tracked.marker.workflow == _OPPORTUNITY else None,
        closed_on=closed_on,
        opened=history.day_of(issue.created_at),
    )


def _row(env: Environment, team: Team, assessment: sweep.Assessment) -> Row:
    phase, due = _phase(env.config, assessment, env.today)
    status = _status(env, assessment)
    return _row_of(
        team,
        assessment.tracked,
        assessment.checklist,
        phase=phase,
        due=due,
        status=status,
        days_late=_late(assessment, due, env.today),
    )


def _late(assessment: sweep.Assessment, due: date | None, today: date) -> int:
    """Days overdue as the row shows it: from its Due column when that is past
    (an onboarding plan's current phase), else from the earliest overdue part
    (the week 1-2 items due inside a phase not yet due)."""
    if due is not None and due < today:
        return (today - due).days
    return days_overdue(assessment, today)


def _closed_row(team: Team, tracked: Tracked, timezone: str = "UTC") -> Row:
    checklist = parse(tracked.issue.description)
    due = tracked.issue.due_date
    closed_on = _closed_on(tracked.issue.closed_at, timezone)
    return _row_of(
        team, tracked, checklist, phase="", due=due, status="complete", closed_on=closed_on
    )


def _hire(row: Row, assessment: sweep.Assessment, today: date) -> Hire:
    """The plan's phases back to back from the start date: done, overdue,
    active (today falls in it) or upcoming."""
    start = onboarding.start_of(assessment.tracked.marker.key)
    bars: list[PhaseBar] = []
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
        elif begin <= today <= due and not (bars and bars[-1].state == "active"):
            # back to back, a phase ends the day the next begins: one is active
            state = "active"
        else:
            state = "upcoming"
        bars.append(PhaseBar(section.title, begin, due, state))
        begin = due
    return Hire(row=row, start=start, phases=tuple(bars))
