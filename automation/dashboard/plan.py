"""Planning what the ticked boxes ask for, and the dashboard's own write: pure
functions of what the bot read (`automation.dashboard.reading`), like the
other planners. Each ticked box becomes one action of ordered steps (a
`Step.chain`): its note carrying the action id first, then its effect, so
the applier stops at the first failure and a rerun that finds the note only
finishes what is missing."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

from automation import hidden, registry
from automation.actions import (
    Action,
    Comment,
    CreateIssue,
    EditIssue,
    IssueRef,
    Plan,
    SetAssignees,
    Step,
    UpdateIssue,
)
from automation.applier import same_text
from automation.dashboard.boxes import (
    MARKER,
    WORKFLOW,
    DashboardSettings,
    Notice,
    merge_notices,
    next_offer,
    offers,
    read_notices,
    render,
)
from automation.dashboard.reading import Reading
from automation.dashboard.ticks import Request, ticked
from automation.index import Tracked
from automation.records import Note
from automation.report import Row, Snapshot
from automation.workflows import sweep
from automation.workflows.common import Environment


@dataclass(frozen=True)
class Job:
    """What one ticked box makes the bot do: `actions` in order (the note
    carrying the action id first, then the effect), as one chain of steps."""

    request: Request
    workflow: str
    actions: tuple[Action, ...]
    chain: str = ""  # the action id

    def steps(self) -> list[Step]:
        return [Step(self.workflow, a, chain=self.chain or self.request.key) for a in self.actions]


def _who(request: Request) -> str:
    return f"@{request.by}" if request.by else "someone (GitLab did not record who ticked it)"


def action_id(dashboard_iid: int, request: Request) -> str:
    """The id of the action one tick asks for: the same on every run until the
    box is carried out and offered again, whether or not the tick was credited."""
    if request.offered is not None:
        generation = request.offered
    elif request.tick is not None:  # a box written before offers: its tick note
        generation = f"tick{request.tick}"
    else:
        generation = "first"
    return f"{dashboard_iid}/{request.key}/{generation}"


def _trailer(dashboard_iid: int, request: Request, **change: str) -> str:
    return hidden.dashboard_action(
        id=action_id(dashboard_iid, request), kind=request.kind, **change
    )


def done_record(
    dashboard_iid: int, request: Request, notes: Sequence[Note], bot: str
) -> dict[str, str] | None:
    """The fields of the bot's note that already carried out this request, if any."""
    wanted = action_id(dashboard_iid, request)
    for note in notes:
        if note.author != bot:
            continue
        for fields in hidden.dashboard_actions(note.body):
            if fields.get("id") == wanted:
                return fields
            # written before action ids: the tick's note id
            legacy = request.tick is not None and fields.get("tick") == str(request.tick)
            if legacy and fields.get("kind") == request.kind:
                return fields
    return None


def _last_nudge(notes: Sequence[Note], bot: str) -> date | None:
    dates = [d for n in notes if n.author == bot and (d := hidden.nudge_date(n.body))]
    return max(dates, default=None)


def _due_update(env: Environment, tracked: Tracked, ref: IssueRef, new_due: date) -> UpdateIssue:
    issue = tracked.issue
    after = sweep.assess(env, replace(tracked, issue=replace(issue, due_date=new_due)))
    overdue = env.labels.overdue
    drop = (overdue,) if overdue in issue.labels and not after.overdue else ()
    return UpdateIssue(ref, due_date=new_due, remove_labels=drop, reason="dashboard: extend")


def _assign(request: Request, username: str) -> SetAssignees:
    return SetAssignees(IssueRef(iid=request.iid), (username,), reason="dashboard: reassign")


def _job(
    reading: Reading, row: Row, tracked: Tracked, notes: Sequence[Note], request: Request
) -> Job | str:
    """The actions for one request, or why there are none."""
    assert reading.dashboard is not None
    env, settings = reading.env, reading.settings
    issue = tracked.issue
    today = env.today
    ref = IssueRef(iid=row.iid)
    board = reading.dashboard.iid
    chain = action_id(board, request)
    asked = f"{_who(request)} asked for it on the dashboard #{board}"
    if request.kind == "extend":
        base = max(row.due or today, today)
        new_due = base + timedelta(days=settings.extend_days)
        was = f" from {row.due}" if row.due else ""
        trailer = _trailer(
            board,
            request,
            **{"from": row.due.isoformat() if row.due else "none", "to": new_due.isoformat()},
        )
        note = Comment(
            ref,
            f"Due date moved{was} to {new_due}: {asked}.\n\n{trailer}",
            reason="dashboard: extend",
        )
        return Job(request, row.workflow, (note, _due_update(env, tracked, ref, new_due)), chain)
    if request.kind == "waive":
        cadence = env.config.nudges.cadence_days
        last = _last_nudge(notes, reading.bot)
        skipped = max(today, last + timedelta(days=cadence)) if last else today
        # The sweep nudges again `cadence` days after its latest nudge note: a
        # nudge note dated the day the next nudge was due makes it skip that one.
        body = (
            f"The reminder due on {skipped} is waived: {asked}. The next one comes no "
            f"earlier than {skipped + timedelta(days=cadence)}.\n\n"
            f"{hidden.nudge(skipped)}\n"
            f"{hidden.waived(request.by or 'unknown')}\n"
            f"{_trailer(board, request)}"
        )
        return Job(request, row.workflow, (Comment(ref, body, reason="dashboard: waive"),), chain)
    if request.kind == "escalate":
        if row.manager is None:
            return f"#{row.iid}: its owner has no manager on the roster to escalate to"
        note = _escalation(row, row.manager.username, asked, _trailer(board, request))
        return Job(request, row.workflow, (note,), chain)
    if row.workflow != registry.HANDOVER.name:
        return f"#{row.iid}: only handovers can be reassigned from the dashboard"
    if request.by is None:
        return f"#{row.iid}: GitLab did not record who ticked 'reassign', so it was not reassigned"
    if issue.assignees[:1] == (request.by,):
        return f"#{row.iid}: already assigned to @{request.by}"
    user = reading.users.get(request.by)
    if user is None:
        return f"#{row.iid}: GitLab user '{request.by}' was not found"
    was = ", ".join(f"@{a}" for a in issue.assignees) or "nobody"
    trailer = _trailer(board, request, to=user.username, was=",".join(issue.assignees) or "-")
    body = f"Reassigned to @{user.username} (was {was}): {asked}.\n\n{trailer}"
    note = Comment(ref, body, reason="dashboard: reassign")
    return Job(request, row.workflow, (note, _assign(request, user.username)), chain)


def _escalation(row: Row, manager: str, asked: str, trailer: str) -> Comment:
    """A note on the issue that mentions the owner's manager (roster usernames only)."""
    late = f"{row.days_overdue} day{'' if row.days_overdue == 1 else 's'} overdue"
    due = f" (due {row.due})" if row.due else ""
    owner = f"@{row.owner.username}" if row.owner else "its owner"
    body = (
        f"@{manager}: this is {late}{due}. {asked}: escalated to you as the "
        f"manager of {owner}.\n\n{trailer}"
    )
    return Comment(IssueRef(iid=row.iid), body, reason="dashboard: escalate")


def _resume(
    reading: Reading, row: Row, tracked: Tracked, request: Request, done: Mapping[str, str]
) -> Job | None:
    """What is left of an action whose note is written: its effect, when the
    issue still shows the state before it (a person's change since is kept)."""
    assert reading.dashboard is not None
    issue = tracked.issue
    ref = IssueRef(iid=row.iid)
    chain = action_id(reading.dashboard.iid, request)
    if request.kind == "extend" and "to" in done:
        before = None if done.get("from") in (None, "none") else done["from"]
        now = issue.due_date.isoformat() if issue.due_date else None
        if now != before or done["to"] == now:
            return None
        new_due = date.fromisoformat(done["to"])
        update = _due_update(reading.env, tracked, ref, new_due)
        return Job(request, row.workflow, (update,), chain)
    if request.kind == "reassign" and "to" in done:
        before = done.get("was", "-")
        if (",".join(issue.assignees) or "-") != before or issue.assignees[:1] == (done["to"],):
            return None
        return Job(request, row.workflow, (_assign(request, done["to"]),), chain)
    return None


@dataclass(frozen=True)
class Decided:
    """The ticked boxes planned: the jobs, and the keys that need nothing more."""

    jobs: tuple[Job, ...] = ()
    handled: frozenset[str] = frozenset()  # done before, or nothing to do
    notes: tuple[str, ...] = ()
    # ticks GitLab did not credit: carried out (credited to "someone") or refused
    uncredited: frozenset[str] = frozenset()
    refused: frozenset[str] = frozenset()

    def notices(self, today: date, done: Iterable[str]) -> list[Notice]:
        """The explanations this run adds to the dashboard, given the keys done."""
        carried = (self.uncredited & set(done)) - self.refused
        return [Notice(k, today, True) for k in carried] + [
            Notice(k, today, False) for k in self.refused
        ]


def plan_ticks(reading: Reading) -> Decided:
    """What each ticked box asks for (pure: everything was read before)."""
    if reading.dashboard is None:
        return Decided()
    jobs: list[Job] = []
    handled: set[str] = set()
    notes: list[str] = []
    uncredited: set[str] = set()
    refused: set[str] = set()
    rows = {r.iid: r for r in reading.snapshot.rows}
    for request in reading.requests:
        row = rows.get(request.iid)
        tracked = reading.issues.get(request.iid)
        if row is None or tracked is None:
            handled.add(request.key)
            notes.append(f"#{request.iid} is closed or not a salesbot issue: nothing to do")
            continue
        history = reading.history.get(request.iid, ())
        if request.by is None:
            uncredited.add(request.key)
        done = done_record(reading.dashboard.iid, request, history, reading.bot)
        if done is not None:  # carried out before: finish what a failure left
            rest = _resume(reading, row, tracked, request, done)
            if rest is None:
                handled.add(request.key)
            else:
                jobs.append(rest)
            continue
        job = _job(reading, row, tracked, history, request)
        if isinstance(job, str):
            handled.add(request.key)
            notes.append(job)
            if request.by is None and request.kind == "reassign":
                refused.add(request.key)
            elif request.by is None:
                uncredited.discard(request.key)  # nothing was done: nothing to explain
        else:
            jobs.append(job)
    return Decided(
        tuple(jobs), frozenset(handled), tuple(notes), frozenset(uncredited), frozenset(refused)
    )


def plan_write(
    reading: Reading, decided: Decided, snapshot: Snapshot, done: frozenset[str]
) -> Plan:
    """The dashboard's own write (pure): create it, or rewrite it when its
    content changed, unticking the `done` boxes (offered afresh) and keeping
    every other tick; nothing when GitLab already has this content."""
    settings = reading.settings
    notices = decided.notices(snapshot.today, done)
    dashboard = reading.dashboard
    if dashboard is None:
        body = render(snapshot, settings)
        return Plan.of(WORKFLOW, [_create(body, settings, (reading.bot_label,))])
    seen = dashboard.description
    pending = {r.key for r in ticked(seen)} - done
    offered = offers(seen)
    for key in done:
        offered[key] = next_offer(offered.get(key), snapshot.today)
    shown = merge_notices(read_notices(seen, snapshot.today), notices)
    body = render(snapshot, settings, pending, offered, shown)
    if same_text(body, seen) and dashboard.title == settings.title:
        return Plan()
    edit = EditIssue(
        IssueRef(iid=dashboard.iid),
        title=settings.title,
        description=body,
        seen=seen,
        release=tuple(sorted(done)),
        reason="dashboard refreshed",
    )
    return Plan.of(WORKFLOW, [edit])


def _create(body: str, settings: DashboardSettings, labels: tuple[str, ...]) -> CreateIssue:
    return CreateIssue(
        marker=MARKER,
        title=settings.title,
        description=body,
        labels=labels,
        assignees=(),
        due_date=None,
        confidential=settings.confidential,
    )


def jobs_plan(decided: Decided) -> Plan:
    return Plan(tuple(s for job in decided.jobs for s in job.steps()), decided.notes)
