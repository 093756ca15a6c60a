"""The dashboard issue: one bot-owned issue that shows every workflow at a glance.

It is found by its marker (`Marker("dashboard", "main")`, on an issue the bot
authored and labelled), never by its title, and rewritten by `salesbot
dashboard` (and at the end of `salesbot run`) only when its content changed:
a rerun with nothing new makes no write.

Its content is the Markdown report (`automation.report`): a summary, one
section per workflow with overdue issues first, the onboarding cohort as a
Mermaid gantt chart and Give Back adoption as a table; one section per
manager once the team is larger than `rollup_threshold`.

Under each table are action checkboxes a manager ticks, carried out by the
next run:

- *extend*: move the issue's due date a week later (from its due date, or
  from today when that has passed; for a 30/60/90 plan the current phase's);
- *waive*: skip the next nudge (the bot records a nudge for the day it would
  have been sent, so the sweep waits one more cadence);
- *reassign* (handovers): assign the handover to the person who ticked it.

Who ticked is read from GitLab's system note "marked the checklist item
**…** as completed", which names its author. Every action leaves a note on
the affected issue naming that person and carrying the id of the tick's
system note, so a rerun (even after a failed dashboard write) never extends
twice; the rewritten dashboard has the box unticked again. Right before the
write the issue is read again: when someone ticked another box meanwhile,
their tick is kept for the next run.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any, Literal

from automation import attention
from automation.actions import Action, Comment, CreateIssue, IssueRef, Plan, Step, UpdateIssue
from automation.api import GitLabApi, Issue, Note, User
from automation.applier import Applier, Outcome, Report
from automation.bot import Bot
from automation.checklist import parse
from automation.config import Config, DashboardConfig
from automation.errors import SalesbotError
from automation.index import Tracked
from automation.marker import Marker
from automation.report import WORKFLOWS, Row, Snapshot, collect_with_index, render_markdown
from automation.workflows import sweep
from automation.workflows.common import Environment

WORKFLOW = "dashboard"
KEY = "main"
MARKER = Marker(WORKFLOW, KEY)
# Someone may tick a box between our read and our write: re-read this often,
# then leave the rest to the next run.
WRITE_ATTEMPTS = 3

Kind = Literal["extend", "waive", "reassign"]
_ACTION_KEY = re.compile(r"^dashboard\.(extend|waive|reassign)\.(\d+)$")
# GitLab's system note for a ticked box (SystemNotes::IssuablesService#change_task_status).
_TICK_NOTE = re.compile(
    r"^marked the checklist item \*\*(?P<text>.*)\*\* as (?P<state>completed|incomplete)\s*$",
    re.DOTALL,
)
_TASK_KEY = re.compile(r"<!--\s*task:([A-Za-z0-9._-]+)\s*-->")
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_DONE = re.compile(r"<!-- salesbot:dashboard-action kind=(\w+) tick=(\d+) -->")


# `dashboard:` in config/salesbot.yml, declared once in automation.config
DashboardSettings = DashboardConfig


def settings_for(config: Config) -> DashboardSettings:
    return config.dashboard


# -- rendering ------------------------------------------------------------------


def action_key(kind: Kind, iid: int) -> str:
    return f"dashboard.{kind}.{iid}"


def _box(kind: Kind, iid: int, text: str, pending: frozenset[str]) -> str:
    key = action_key(kind, iid)
    mark = "x" if key in pending else " "
    return f"- [{mark}] {text} <!-- task:{key} -->"


def action_lines(
    rows: Sequence[Row], *, today: date, settings: DashboardSettings, pending: frozenset[str]
) -> list[str]:
    """The checkboxes under one table: extend for issues overdue or due soon,
    waive for overdue ones, reassign for handovers, and any box still waiting
    to be carried out. Their text holds no untrusted text and no dates, so it
    stays the same while a tick waits for the next run."""
    soon = today + timedelta(days=settings.extend_days)
    span = "a week" if settings.extend_days == 7 else f"{settings.extend_days} days"
    boxes: list[str] = []
    for row in rows:
        offered: list[tuple[Kind, bool, str]] = [
            (
                "extend",
                row.overdue or (row.due is not None and row.due <= soon),
                f"Extend #{row.iid} by {span}",
            ),
            ("waive", row.overdue, f"Waive the next nudge on #{row.iid}"),
            ("reassign", row.workflow == "handover", f"Reassign handover #{row.iid} to me"),
        ]
        for kind, wanted, text in offered:
            if wanted or action_key(kind, row.iid) in pending:
                boxes.append(_box(kind, row.iid, text, pending))
    if not boxes:
        return []
    return [
        "Tick a box: the next salesbot run carries it out and notes on the issue who asked.",
        "",
        *boxes,
    ]


def render(snapshot: Snapshot, settings: DashboardSettings, pending: Iterable[str] = ()) -> str:
    """The dashboard's description; `pending` are action keys ticked but not yet
    carried out, which stay ticked."""
    waiting = frozenset(pending)
    body = render_markdown(
        snapshot,
        rollup_threshold=settings.rollup_threshold,
        max_rows=settings.max_rows,
        actions=lambda rows: action_lines(
            rows, today=snapshot.today, settings=settings, pending=waiting
        ),
    )
    intro = (
        "salesbot keeps this issue up to date; edits other than ticking a box are "
        "overwritten on the next change."
    )
    return f"{intro}\n\n{body.rstrip()}\n\n{_carried(snapshot)}{MARKER.render()}\n"


def _carried(snapshot: Snapshot) -> str:
    """The "Needs attention" section as data the report and the next run read
    back (`automation.attention`), next to the marker; empty without one."""
    found = snapshot.attention
    return f"{attention.hidden(found)}\n" if found is not None else ""


def same_text(a: str, b: str) -> bool:
    """Equal once line endings and trailing blanks are normalised (GitLab keeps
    what it is sent, but a person's edit in the browser may send CRLF)."""

    def norm(text: str) -> str:
        return "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").split("\n")).strip()

    return norm(a) == norm(b)


# -- reading the ticks ---------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    """A ticked action box, and who ticked it (from GitLab's system note)."""

    kind: Kind
    iid: int
    key: str
    text: str
    by: str | None = None
    tick: int | None = None  # id of the system note that recorded the tick


def ticked(description: str) -> list[Request]:
    """The action boxes ticked in a dashboard description."""
    found = []
    for item in parse(description).items:
        match = _ACTION_KEY.match(item.key or "")
        if match and item.checked:
            kind: Kind = match[1]  # type: ignore[assignment]
            found.append(Request(kind, int(match[2]), item.key or "", item.text))
    return found


def _normalise(text: str) -> str:
    return " ".join(_COMMENT.sub(" ", text).split())


def requesters(requests: Sequence[Request], notes: Iterable[Note]) -> list[Request]:
    """Each request with the author of the latest system note that ticked its box."""
    latest: dict[str, Note] = {}
    by_text = {_normalise(r.text): r.key for r in requests}
    for note in sorted(notes, key=lambda n: (n.created_at, n.id)):
        match = _TICK_NOTE.match(note.body.strip()) if note.system else None
        if not match or match["state"] != "completed":
            continue
        keyed = _TASK_KEY.search(match["text"])
        key = keyed[1] if keyed else by_text.get(_normalise(match["text"]))
        if key is not None:
            latest[key] = note
    return [
        replace(r, by=latest[r.key].author, tick=latest[r.key].id) if r.key in latest else r
        for r in requests
    ]


# -- planning the actions ------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    """What one ticked box makes the bot do."""

    request: Request
    workflow: str
    actions: tuple[Action, ...]  # through the applier, in order
    assign_to: User | None = None  # reassign: an assignee change the applier cannot express

    def steps(self) -> list[Step]:
        steps = []
        if self.assign_to is not None:
            steps.append(Step(self.workflow, _assign_record(self.request, self.assign_to)))
        steps += [Step(self.workflow, a) for a in self.actions]
        return steps


def _assign_record(request: Request, user: User) -> UpdateIssue:
    return UpdateIssue(IssueRef(iid=request.iid), reason=f"assign to @{user.username} (dashboard)")


def _who(request: Request) -> str:
    return f"@{request.by}" if request.by else "someone (GitLab did not record who ticked it)"


def _trailer(request: Request) -> str:
    tick = request.tick if request.tick is not None else 0
    return f"<!-- salesbot:dashboard-action kind={request.kind} tick={tick} -->"


def _already_done(request: Request, notes: Sequence[Note], bot: str) -> bool:
    if request.tick is None:
        return False
    for note in notes:
        match = _DONE.search(note.body) if note.author == bot else None
        if match and match[1] == request.kind and int(match[2]) == request.tick:
            return True
    return False


def _last_nudge(notes: Sequence[Note], bot: str) -> date | None:
    dates = [
        date.fromisoformat(m[1])
        for n in notes
        if n.author == bot and (m := sweep.NUDGE_RE.search(n.body))
    ]
    return max(dates, default=None)


@dataclass(frozen=True)
class _Context:
    api: GitLabApi
    env: Environment
    settings: DashboardSettings
    dashboard: Issue
    bot: str


def _job(
    ctx: _Context, row: Row, tracked: Tracked, notes: Sequence[Note], request: Request
) -> Job | str:
    """The actions for one request, or why there are none."""
    issue = tracked.issue
    today = ctx.env.today
    ref = IssueRef(iid=row.iid)
    asked = f"{_who(request)} asked for it on the dashboard #{ctx.dashboard.iid}"
    trailer = _trailer(request)
    if request.kind == "extend":
        base = max(row.due or today, today)
        new_due = base + timedelta(days=ctx.settings.extend_days)
        after = sweep.assess(ctx.env, replace(tracked, issue=replace(issue, due_date=new_due)))
        overdue = ctx.env.labels.overdue
        drop = (overdue,) if overdue in issue.labels and not after.overdue else ()
        was = f" from {row.due}" if row.due else ""
        return Job(
            request,
            row.workflow,
            (
                UpdateIssue(ref, due_date=new_due, remove_labels=drop, reason="dashboard: extend"),
                Comment(
                    ref,
                    f"Due date moved{was} to {new_due}: {asked}.\n\n{trailer}",
                    reason="dashboard: extend",
                ),
            ),
        )
    if request.kind == "waive":
        cadence = ctx.env.config.nudges.cadence_days
        last = _last_nudge(notes, ctx.bot)
        skipped = max(today, last + timedelta(days=cadence)) if last else today
        # The sweep nudges again `cadence` days after its latest nudge note: a
        # nudge note dated the day the next nudge was due makes it skip that one.
        body = (
            f"The reminder due on {skipped} is waived: {asked}. The next one comes no "
            f"earlier than {skipped + timedelta(days=cadence)}.\n\n"
            f"<!-- salesbot:nudge date={skipped.isoformat()} -->\n"
            f"<!-- salesbot:waived by={request.by or 'unknown'} -->\n{trailer}"
        )
        return Job(request, row.workflow, (Comment(ref, body, reason="dashboard: waive"),))
    if row.workflow != "handover":
        return f"#{row.iid}: only handovers can be reassigned from the dashboard"
    if request.by is None:
        return f"#{row.iid}: GitLab did not record who ticked 'reassign', so it was not reassigned"
    if issue.assignees[:1] == (request.by,):
        return f"#{row.iid}: already assigned to @{request.by}"
    user = ctx.api.find_user(request.by)
    if user is None:
        return f"#{row.iid}: GitLab user '{request.by}' was not found"
    was = ", ".join(f"@{a}" for a in issue.assignees) or "nobody"
    body = f"Reassigned to @{user.username} (was {was}): {asked}.\n\n{trailer}"
    return Job(
        request, row.workflow, (Comment(ref, body, reason="dashboard: reassign"),), assign_to=user
    )


# -- the run ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Prepared:
    """Everything read before writing: the figures, the dashboard, the ticked boxes."""

    today: date
    settings: DashboardSettings
    bot_label: str
    snapshot: Snapshot
    dashboard: Issue | None
    jobs: tuple[Job, ...]
    handled: frozenset[str]  # action keys that need nothing more (done before, or no-ops)
    notes: tuple[str, ...]

    def plan(self) -> Plan:
        """What `apply` would do, for --dry-run."""
        steps = [s for job in self.jobs for s in job.steps()]
        body = render(self.snapshot, self.settings)
        if self.dashboard is None:
            steps.append(Step(WORKFLOW, _create(body, self.settings, (self.bot_label,))))
        elif self.jobs or not same_text(body, self.dashboard.description):
            steps.append(Step(WORKFLOW, _refresh_record(self.dashboard)))
        return Plan(tuple(steps), self.notes)


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


def _write_record(prepared: Prepared, snapshot: Snapshot) -> Action:
    if prepared.dashboard is None:
        body = render(snapshot, prepared.settings)
        return _create(body, prepared.settings, (prepared.bot_label,))
    return _refresh_record(prepared.dashboard)


def _refresh_record(dashboard: Issue) -> UpdateIssue:
    return UpdateIssue(IssueRef(iid=dashboard.iid), reason="dashboard refreshed")


def prepare(bot: Bot, today: date, settings: DashboardSettings | None = None) -> Prepared:
    """Read the bot's issues and the dashboard's ticked boxes; write nothing.

    Costs one list request per 100 issues; only when a box is ticked also the
    dashboard's notes and the notes of each issue a ticked box names."""
    settings = settings or settings_for(bot.config)
    env = bot.env(today)
    snapshot, index = collect_with_index(bot, today)
    tracked = index.get(WORKFLOW, KEY)
    dashboard = tracked.issue if tracked else None
    jobs: list[Job] = []
    handled: set[str] = set()
    notes: list[str] = []
    requests = ticked(dashboard.description) if dashboard else []
    if dashboard is not None and requests:
        ctx = _Context(bot.api, env, settings, dashboard, bot.api.me().username)
        requests = requesters(requests, bot.api.iter_notes(dashboard.iid))
        rows = {r.iid: r for r in snapshot.rows}
        issues = {t.issue.iid: t for t in index.of(*WORKFLOWS)}
        history: dict[int, list[Note]] = {}
        for request in requests:
            row = rows.get(request.iid)
            if row is None:
                handled.add(request.key)
                notes.append(f"#{request.iid} is closed or not a salesbot issue: nothing to do")
                continue
            if request.iid not in history:
                history[request.iid] = list(bot.api.iter_notes(request.iid))
            if _already_done(request, history[request.iid], ctx.bot):
                handled.add(request.key)
                continue
            job = _job(ctx, row, issues[request.iid], history[request.iid], request)
            if isinstance(job, str):
                handled.add(request.key)
                notes.append(job)
            else:
                jobs.append(job)
    return Prepared(
        today,
        settings,
        bot.config.labels.bot,
        snapshot,
        dashboard,
        tuple(jobs),
        frozenset(handled),
        tuple(notes),
    )


@dataclass
class Result:
    prepared: Prepared
    report: Report = field(default_factory=Report)
    done: set[str] = field(default_factory=set)  # action keys to untick
    dashboard: Issue | None = None
    written: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def plan(self) -> Plan:
        return self.prepared.plan()


def _record(
    report: Report, step: Step, write: Callable[[], Issue | None]
) -> Issue | SalesbotError | None:
    """Run one write the applier cannot express and record its outcome."""
    try:
        issue = write()
    except SalesbotError as exc:
        report.outcomes.append(Outcome(step, error=str(exc)))
        return exc
    report.outcomes.append(Outcome(step, issue=issue))
    return issue


def _carry_out(api: GitLabApi, job: Job, report: Report) -> bool:
    """True once the job's effect is in GitLab (its note may still have failed)."""
    effect_done = False
    if job.assign_to is not None:
        user = job.assign_to
        step = Step(job.workflow, _assign_record(job.request, user))
        outcome = _record(
            report, step, lambda: api.update_issue(job.request.iid, {"assignee_ids": [user.id]})
        )
        if isinstance(outcome, SalesbotError):
            return False
        effect_done = True
    applier = Applier(api)
    for action in job.actions:
        sub = applier.apply(Plan.of(job.workflow, [action]))
        report.extend(sub)
        if sub.failures:
            return effect_done
        effect_done = True
    return effect_done


def carry_out(bot: Bot, prepared: Prepared) -> Result:
    """Carry out the ticked actions; the dashboard itself is not written yet."""
    result = Result(prepared, done=set(prepared.handled), notes=list(prepared.notes))
    for job in prepared.jobs:
        if _carry_out(bot.api, job, result.report):
            result.done.add(job.request.key)
    return result


def write(bot: Bot, result: Result) -> None:
    """Create the dashboard, or rewrite it if its content changed, unticking
    the boxes carried out and keeping every other tick. A GitLab error is
    recorded in `result.report`, not raised: the next run writes it."""
    prepared = result.prepared
    snapshot = prepared.snapshot
    try:
        if prepared.jobs:  # the actions changed due dates and assignees: show the new state
            fresh = collect_with_index(bot, prepared.today)[0]
            snapshot = replace(fresh, attention=snapshot.attention)
        _write(bot, prepared, snapshot, frozenset(result.done), result)
    except SalesbotError as exc:
        step = Step(WORKFLOW, _write_record(prepared, snapshot))
        result.report.outcomes.append(Outcome(step, error=str(exc)))


def apply(bot: Bot, prepared: Prepared) -> Result:
    """Carry out the ticked actions, then write the dashboard if its content changed."""
    result = carry_out(bot, prepared)
    write(bot, result)
    return result


def _write(
    bot: Bot, prepared: Prepared, snapshot: Snapshot, done: frozenset[str], result: Result
) -> None:
    settings = prepared.settings
    dashboard = prepared.dashboard
    if dashboard is None:
        body = render(snapshot, settings)
        create = _create(body, settings, (prepared.bot_label,))
        sub = Applier(bot.api).apply(Plan.of(WORKFLOW, [create]))
        result.report.extend(sub)
        result.dashboard = sub.created[0] if sub.created else None
        result.written = bool(sub.created)
        return
    _rewrite(bot.api, dashboard, snapshot, settings, done, result)


def _rewrite(
    api: GitLabApi,
    dashboard: Issue,
    snapshot: Snapshot,
    settings: DashboardSettings,
    done: frozenset[str],
    result: Result,
) -> None:
    """Write the new body unless it is what GitLab has; keep ticks made meanwhile."""
    seen = dashboard.description
    for _ in range(WRITE_ATTEMPTS):
        pending = {r.key for r in ticked(seen)} - done
        body = render(snapshot, settings, pending)
        if same_text(body, seen) and dashboard.title == settings.title:
            result.dashboard = dashboard
            return
        # re-read right before writing: a tick made since our read must survive
        fresh = api.get_issue(dashboard.iid)
        if not same_text(fresh.description, seen):
            seen, dashboard = fresh.description, fresh
            continue
        _put(api, dashboard, {"description": body, "title": settings.title}, result)
        return
    result.notes.append(
        f"the dashboard #{dashboard.iid} kept changing while salesbot wrote it; "
        "the next run updates it"
    )
    result.dashboard = dashboard


def _put(api: GitLabApi, dashboard: Issue, fields: dict[str, Any], result: Result) -> None:
    outcome = _record(
        result.report,
        Step(WORKFLOW, _refresh_record(dashboard)),
        lambda: api.update_issue(dashboard.iid, fields),
    )
    if isinstance(outcome, Issue):
        result.dashboard, result.written = outcome, True


def refresh(
    bot: Bot, today: date, *, dry_run: bool = False, settings: DashboardSettings | None = None
) -> Result:
    """`salesbot dashboard`: carry out ticked actions and rewrite the dashboard if needed."""
    prepared = prepare(bot, today, settings)
    if dry_run:
        return Result(prepared, dashboard=prepared.dashboard, notes=list(prepared.notes))
    return apply(bot, prepared)


def refresh_dashboard(
    bot: Bot, today: date, *, dry_run: bool, outcomes: Sequence[Outcome] = ()
) -> Report | None:
    """The hook for the end of `salesbot run`: None on a dry run, else what was written.

    `outcomes` are the run's: their failures replace the dashboard's "Needs
    attention" section (no failure: no section)."""
    if dry_run:
        return None
    return apply(bot, with_run_failures(prepare(bot, today), outcomes)).report


# -- the last run's failures ----------------------------------------------------------


def with_run_failures(prepared: Prepared, outcomes: Sequence[Outcome]) -> Prepared:
    """`prepared`, showing these failures instead of the ones the dashboard
    carries (see `automation.attention`)."""
    found = attention.from_outcomes(outcomes, prepared.today)
    return replace(prepared, snapshot=replace(prepared.snapshot, attention=found))
