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
**…** as completed", which names its author. GitLab.com writes the item's
text with Markdown punctuation backslash-escaped and an HTML comment's inner
text kept as plain text (`Extend \\#2 by a week  task:dashboard\\.extend\\.2`);
other GitLabs write the item's source as typed. Both are read (`read_tick`).
A tick GitLab did not credit (a box ticked by editing the whole description
makes GitLab note only "changed the description") is never guessed: reassign
is refused, and the dashboard says so and what to do.

Exactly once: each box carries the day it was offered (`<!-- offered:… -->`,
a new one each time the box is offered again after being carried out), and
an action's id is the dashboard iid, the box's key and that day, known
whether or not the tick was credited. The action's first write is its note
on the affected issue, carrying that id and the change it makes (due date
from/to, assignee was/to); its effect (the due date or assignee, set to a
value, never moved relative to the current one) comes second. A rerun that
finds the note only finishes what is missing, so a failure after any write
(including the dashboard rewrite) never extends twice. The rewritten
dashboard has the box unticked again. Right before the write the issue is
read again: when someone ticked another box meanwhile, their tick is kept
for the next run.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any, Literal

from automation import attention, hidden
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
_TASK_KEY = hidden.TASK_KEY_RE
_COMMENT = hidden.COMMENT_RE
# CommonMark: a backslash before any ASCII punctuation character escapes it.
_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")
# The box's hidden comments at the end of a tick note's text, with or without
# their delimiters (GitLab.com keeps only a comment's inner text).
_HIDDEN_AT_END = hidden.HIDDEN_AT_END_RE
_BOX_OFFERED = hidden.OFFERED_BOX_RE
_DONE = hidden.DASHBOARD_ACTION_RE
_NOTICE = hidden.UNATTRIBUTED_RE
# An explanation of an uncredited tick stays on the dashboard this many days.
NOTICE_DAYS = 7


# `dashboard:` in config/salesbot.yml, declared once in automation.config
DashboardSettings = DashboardConfig


def settings_for(config: Config) -> DashboardSettings:
    return config.dashboard


# -- rendering ------------------------------------------------------------------


def action_key(kind: Kind, iid: int) -> str:
    return f"dashboard.{kind}.{iid}"


def box_text(kind: Kind, iid: int, settings: DashboardSettings) -> str:
    """A box's visible text: no untrusted text and no dates, so a tick note's
    text can be matched against it."""
    if kind == "extend":
        days = settings.extend_days
        return f"Extend #{iid} by {'a week' if days == 7 else f'{days} days'}"
    if kind == "waive":
        return f"Waive the next nudge on #{iid}"
    return f"Reassign handover #{iid} to me"


def _box(key: str, text: str, pending: frozenset[str], offered: str) -> str:
    mark = "x" if key in pending else " "
    return f"- [{mark}] {text} {hidden.offered_box(offered, key)}"


def action_lines(
    rows: Sequence[Row],
    *,
    today: date,
    settings: DashboardSettings,
    pending: frozenset[str],
    offered: Mapping[str, str] | None = None,
) -> list[str]:
    """The checkboxes under one table: extend for issues overdue or due soon,
    waive for overdue ones, reassign for handovers, and any box still waiting
    to be carried out. A box keeps the day it was first offered (`offered`,
    else today), so its text stays the same while a tick waits for the next
    run."""
    soon = today + timedelta(days=settings.extend_days)
    days = offered or {}
    boxes: list[str] = []
    for row in rows:
        wanted: list[tuple[Kind, bool]] = [
            ("extend", row.overdue or (row.due is not None and row.due <= soon)),
            ("waive", row.overdue),
            ("reassign", row.workflow == "handover"),
        ]
        for kind, offer in wanted:
            key = action_key(kind, row.iid)
            if offer or key in pending:
                text = box_text(kind, row.iid, settings)
                boxes.append(_box(key, text, pending, days.get(key, today.isoformat())))
    if not boxes:
        return []
    return [
        "Tick a box: the next salesbot run carries it out and notes on the issue who asked.",
        "",
        *boxes,
    ]


def render(
    snapshot: Snapshot,
    settings: DashboardSettings,
    pending: Iterable[str] = (),
    offered: Mapping[str, str] | None = None,
    notices: Sequence[Notice] = (),
) -> str:
    """The dashboard's description; `pending` are action keys ticked but not yet
    carried out, which stay ticked; `offered` the day each box was offered
    (`offers`); `notices` the ticks GitLab did not credit."""
    waiting = frozenset(pending)
    body = render_markdown(
        snapshot,
        rollup_threshold=settings.rollup_threshold,
        max_rows=settings.max_rows,
        actions=lambda rows: action_lines(
            rows, today=snapshot.today, settings=settings, pending=waiting, offered=offered
        ),
    )
    intro = (
        "salesbot keeps this issue up to date; edits other than ticking a box are "
        "overwritten on the next change."
    )
    explained = notice_lines(notices, settings)
    if explained:
        intro = "\n\n".join([intro, *explained])
    return f"{intro}\n\n{body.rstrip()}\n\n{_carried(snapshot)}{MARKER.render()}\n"


def _carried(snapshot: Snapshot) -> str:
    """The "Needs attention" section as data the report and the next run read
    back (`automation.attention`), next to the marker; empty without one."""
    found = snapshot.attention
    return f"{attention.hidden(found)}\n" if found is not None else ""


def offers(description: str) -> dict[str, str]:
    """The day each action box of a dashboard description was offered."""
    return {m["key"]: m["offered"] for m in _BOX_OFFERED.finditer(description)}


def next_offer(previous: str | None, today: date) -> str:
    """The offer of a box carried out and offered again: a new day, or the same
    day with a sequence number, so its next tick is a new action."""
    day = today.isoformat()
    if previous is None or not previous.startswith(day):
        return day
    _, _, seq = previous.partition(day)
    return f"{day}.{int(seq.lstrip('.') or 1) + 1}"


# -- ticks GitLab did not credit ------------------------------------------------------


@dataclass(frozen=True)
class Notice:
    """A tick GitLab did not say who made, explained on the dashboard."""

    key: str
    day: date
    done: bool  # carried out (credited to "someone") or refused (reassign)


def notice_lines(notices: Sequence[Notice], settings: DashboardSettings) -> list[str]:
    if not notices:
        return []
    lines = []
    for notice in sorted(notices, key=lambda n: (n.day, n.key)):
        match = _ACTION_KEY.match(notice.key)
        if match is None:
            continue
        kind: Kind = match[1]  # type: ignore[assignment]
        iid = int(match[2])
        text = box_text(kind, iid, settings)
        if notice.done:
            what = (
                f"done on {notice.day}; the note on #{iid} says someone asked for it. "
                "Nothing more to do."
            )
        else:
            what = (
                f"not done on {notice.day}: salesbot assigns only the person who ticked the "
                f"box and never guesses. Tick it again by clicking it, or assign #{iid} yourself."
            )
        trailer = hidden.unattributed(notice.key, notice.day, notice.done)
        lines.append(f"- {text}: {what} {trailer}")
    header = (
        "**Ticks GitLab did not credit.** GitLab records who ticked a box only when the "
        "box is clicked; when the description is edited as a whole it notes just "
        '"changed the description". Click boxes rather than editing this description.'
    )
    return [header, "\n".join(lines)]


def read_notices(description: str, today: date) -> list[Notice]:
    """The explanations a dashboard shows, less those older than NOTICE_DAYS."""
    found: dict[str, Notice] = {}
    for m in _NOTICE.finditer(description):
        notice = Notice(m["key"], date.fromisoformat(m["date"]), m["done"] == "yes")
        if notice.day >= today - timedelta(days=NOTICE_DAYS):
            found[notice.key] = notice
    return list(found.values())


def merge_notices(old: Iterable[Notice], new: Iterable[Notice]) -> list[Notice]:
    """One notice per box, the newest."""
    merged: dict[str, Notice] = {}
    for notice in [*old, *new]:
        kept = merged.get(notice.key)
        if kept is None or notice.day >= kept.day:
            merged[notice.key] = notice
    return list(merged.values())


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
    offered: str | None = None  # the day the box was offered (None: written before offers)


def ticked(description: str) -> list[Request]:
    """The action boxes ticked in a dashboard description."""
    found = []
    days = offers(description)
    for item in parse(description).items:
        match = _ACTION_KEY.match(item.key or "")
        if match and item.checked:
            kind: Kind = match[1]  # type: ignore[assignment]
            key = item.key or ""
            found.append(Request(kind, int(match[2]), key, item.text, offered=days.get(key)))
    return found


def _normalise(text: str) -> str:
    return " ".join(_COMMENT.sub(" ", text).split())


def unescape(text: str) -> str:
    """Undo CommonMark backslash escapes (`\\#` is `#`)."""
    return _ESCAPED.sub(r"\1", text)


@dataclass(frozen=True)
class TickNote:
    """What GitLab's "marked the checklist item **TEXT** as ..." note says."""

    text: str  # the item's text without its hidden key and offer
    key: str | None  # `task:` key, found with or without comment delimiters
    offered: str | None
    completed: bool


def read_tick(body: str) -> TickNote | None:
    """A checklist system note in any form GitLab writes it: the item's source
    (`Extend #2 by a week <!-- task:dashboard.extend.2 -->`) or GitLab.com's,
    escaped with comment delimiters dropped (`Extend \\#2 by a week
    task:dashboard\\.extend\\.2`). None for any other note."""
    match = _TICK_NOTE.match(body.strip())
    if match is None:
        return None
    text = unescape(match["text"])
    key = offered = None
    while (hidden := _HIDDEN_AT_END.search(text)) is not None:
        if hidden["name"] == "task":
            key = key or hidden["value"]
        else:
            offered = offered or hidden["value"]
        text = text[: hidden.start()]
    if key is None and (keyed := _TASK_KEY.search(text)) is not None:
        key = keyed[1]
    return TickNote(text.strip(), key, offered, match["state"] == "completed")


def requesters(
    requests: Sequence[Request], notes: Iterable[Note], bot: str | None = None
) -> list[Request]:
    """Each request with the person whose system note ticked its box in its
    current offer, when nothing since could have changed that box. A note
    naming the box's key must name its offer too (a tick of an earlier offer
    is not this one); a note with the text only counts when it is newer than
    the bot's last edit of the dashboard. A later untick, or a person's
    "changed the description" (an edit of the whole text, which may have
    unticked and ticked any box), withdraws the credit: never a guess."""
    ordered = sorted(notes, key=lambda n: (n.created_at, n.id))
    by_key = {r.key: r for r in requests}
    by_text = {_normalise(r.text): r for r in requests}
    bot_edits = [(n.created_at, n.id) for n in ordered if n.system and n.author == bot]
    last_edit = max(bot_edits, default=None)
    latest: dict[str, Note] = {}
    for note in ordered:
        if not note.system or note.author == bot:
            continue
        tick = read_tick(note.body)
        if tick is None:
            if note.body.strip() == "changed the description":
                latest.clear()
            continue
        if tick.key is not None:
            request = by_key.get(tick.key)
            if request is None or tick.offered != request.offered:
                continue
        else:
            request = by_text.get(_normalise(tick.text))
            if request is None or (
                last_edit is not None and (note.created_at, note.id) < last_edit
            ):
                continue
        if tick.completed:
            latest[request.key] = note
        else:
            latest.pop(request.key, None)
    return [
        replace(r, by=latest[r.key].author, tick=latest[r.key].id) if r.key in latest else r
        for r in requests
    ]


# -- planning the actions ------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    """What one ticked box makes the bot do: `actions` through the applier in
    order (the note carrying the action id first, then the effect), then the
    assignee change the applier cannot express."""

    request: Request
    workflow: str
    actions: tuple[Action, ...]
    assign_to: User | None = None

    def steps(self) -> list[Step]:
        steps = [Step(self.workflow, a) for a in self.actions]
        if self.assign_to is not None:
            steps.append(Step(self.workflow, _assign_record(self.request, self.assign_to)))
        return steps


def _assign_record(request: Request, user: User) -> UpdateIssue:
    return UpdateIssue(IssueRef(iid=request.iid), reason=f"assign to @{user.username} (dashboard)")


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
    dates = [
        date.fromisoformat(m[1])
        for n in notes
        if n.author == bot and (m := hidden.NUDGE_RE.search(n.body))
    ]
    return max(dates, default=None)


@dataclass(frozen=True)
class _Context:
    api: GitLabApi
    env: Environment
    settings: DashboardSettings
    dashboard: Issue
    bot: str


def _due_update(ctx: _Context, tracked: Tracked, ref: IssueRef, new_due: date) -> UpdateIssue:
    issue = tracked.issue
    after = sweep.assess(ctx.env, replace(tracked, issue=replace(issue, due_date=new_due)))
    overdue = ctx.env.labels.overdue
    drop = (overdue,) if overdue in issue.labels and not after.overdue else ()
    return UpdateIssue(ref, due_date=new_due, remove_labels=drop, reason="dashboard: extend")


def _job(
    ctx: _Context, row: Row, tracked: Tracked, notes: Sequence[Note], request: Request
) -> Job | str:
    """The actions for one request, or why there are none."""
    issue = tracked.issue
    today = ctx.env.today
    ref = IssueRef(iid=row.iid)
    asked = f"{_who(request)} asked for it on the dashboard #{ctx.dashboard.iid}"
    board = ctx.dashboard.iid
    if request.kind == "extend":
        base = max(row.due or today, today)
        new_due = base + timedelta(days=ctx.settings.extend_days)
        was = f" from {row.due}" if row.due else ""
        trailer = _trailer(
            board,
            request,
            **{"from": row.due.isoformat() if row.due else "none", "to": new_due.isoformat()},
        )
        return Job(
            request,
            row.workflow,
            (
                Comment(
                    ref,
                    f"Due date moved{was} to {new_due}: {asked}.\n\n{trailer}",
                    reason="dashboard: extend",
                ),
                _due_update(ctx, tracked, ref, new_due),
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
            f"{hidden.nudge(skipped)}\n{hidden.waived(request.by or 'unknown')}\n"
            f"{_trailer(board, request)}"
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
    trailer = _trailer(board, request, to=user.username, was=",".join(issue.assignees) or "-")
    body = f"Reassigned to @{user.username} (was {was}): {asked}.\n\n{trailer}"
    return Job(
        request, row.workflow, (Comment(ref, body, reason="dashboard: reassign"),), assign_to=user
    )


def _resume(
    ctx: _Context, row: Row, tracked: Tracked, request: Request, done: Mapping[str, str]
) -> Job | None:
    """What is left of an action whose note is written: its effect, when the
    issue still shows the state before it (a person's change since is kept)."""
    issue = tracked.issue
    ref = IssueRef(iid=row.iid)
    if request.kind == "extend" and "to" in done:
        before = None if done.get("from") in (None, "none") else done["from"]
        now = issue.due_date.isoformat() if issue.due_date else None
        if now != before or done["to"] == now:
            return None
        new_due = date.fromisoformat(done["to"])
        return Job(request, row.workflow, (_due_update(ctx, tracked, ref, new_due),))
    if request.kind == "reassign" and "to" in done:
        before = done.get("was", "-")
        if (",".join(issue.assignees) or "-") != before or issue.assignees[:1] == (done["to"],):
            return None
        user = ctx.api.find_user(done["to"])
        return Job(request, row.workflow, (), assign_to=user) if user is not None else None
    return None


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
    # ticks GitLab did not credit: carried out (credited to "someone") or refused
    uncredited: frozenset[str] = frozenset()
    refused: frozenset[str] = frozenset()

    def notices(self, done: Iterable[str]) -> list[Notice]:
        """The explanations this run adds to the dashboard, given the keys done."""
        carried = (self.uncredited & set(done)) - self.refused
        return [Notice(k, self.today, True) for k in carried] + [
            Notice(k, self.today, False) for k in self.refused
        ]

    def plan(self) -> Plan:
        """What `apply` would do, for --dry-run."""
        steps = [s for job in self.jobs for s in job.steps()]
        seen = self.dashboard.description if self.dashboard else ""
        body = render(
            self.snapshot,
            self.settings,
            {r.key for r in ticked(seen)},
            offers(seen),
            read_notices(seen, self.today),
        )
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
    uncredited: set[str] = set()
    refused: set[str] = set()
    requests = ticked(dashboard.description) if dashboard else []
    if dashboard is not None and requests:
        ctx = _Context(bot.api, env, settings, dashboard, bot.api.me().username)
        requests = requesters(requests, bot.api.iter_notes(dashboard.iid), ctx.bot)
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
            if request.by is None:
                uncredited.add(request.key)
            done = done_record(dashboard.iid, request, history[request.iid], ctx.bot)
            if done is not None:  # carried out before: finish what a failure left
                rest = _resume(ctx, row, issues[request.iid], request, done)
                if rest is None:
                    handled.add(request.key)
                else:
                    jobs.append(rest)
                continue
            job = _job(ctx, row, issues[request.iid], history[request.iid], request)
            if isinstance(job, str):
                handled.add(request.key)
                notes.append(job)
                if request.by is None and request.kind == "reassign":
                    refused.add(request.key)
                elif request.by is None:
                    uncredited.discard(request.key)  # nothing was done: nothing to explain
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
        frozenset(uncredited),
        frozenset(refused),
    )


@dataclass
class Result:
    prepared: Prepared
    report: Report = field(default_factory=Report)
    done: set[str] = field(default_factory=set)  # action keys to untick
    dashboard: Issue | None = None
    written: bool = False
    notes: list[str] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)  # uncredited ticks explained

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
    """True once every write of the job went through. On a failure the box
    stays ticked: the next run finds the note (when it was written) and
    finishes only what is missing."""
    applier = Applier(api)
    for action in job.actions:
        sub = applier.apply(Plan.of(job.workflow, [action]))
        report.extend(sub)
        if sub.failures:
            return False
    if job.assign_to is not None:
        user = job.assign_to
        step = Step(job.workflow, _assign_record(job.request, user))
        outcome = _record(
            report, step, lambda: api.update_issue(job.request.iid, {"assignee_ids": [user.id]})
        )
        if isinstance(outcome, SalesbotError):
            return False
    return True


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
        result.notices = prepared.notices(result.done)
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
    _rewrite(bot.api, dashboard, snapshot, settings, done, prepared.notices(done), result)


def _rewrite(
    api: GitLabApi,
    dashboard: Issue,
    snapshot: Snapshot,
    settings: DashboardSettings,
    done: frozenset[str],
    notices: Sequence[Notice],
    result: Result,
) -> None:
    """Write the new body unless it is what GitLab has; keep ticks made
    meanwhile; offer the boxes carried out afresh; explain uncredited ticks."""
    seen = dashboard.description
    for _ in range(WRITE_ATTEMPTS):
        pending = {r.key for r in ticked(seen)} - done
        offered = offers(seen)
        for key in done:
            offered[key] = next_offer(offered.get(key), snapshot.today)
        shown = merge_notices(read_notices(seen, snapshot.today), notices)
        body = render(snapshot, settings, pending, offered, shown)
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
