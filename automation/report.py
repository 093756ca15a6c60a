"""The figures about the bot's work, and the report files made of them.

`collect(bot, today)` reads every bot issue once (one request per 100 issues,
closed ones included) and turns it into a `Snapshot`: per open issue its
owner, manager, phase, progress, due date and status, worked out with
`automation.workflows.sweep.assess` so the figures agree with the sweep's
labels and nudges; the onboarding cohort's phases; and the Give Back projects
(finished ones too, for the adoption figures). The dashboard issue
(`automation.dashboard`) and `salesbot report` both render a snapshot.

`salesbot report --format md|html|json [--out FILE]`:

- **md**: the dashboard's content without its action checkboxes.

All three start with the "Needs attention" section when the last `salesbot
run` had failed actions (`automation.attention`).
- **html**: one self-contained page (inline CSS, no scripts, nothing fetched
  from the network) with progress bars and a per-workflow summary.
- **json**: for other tools. The shape is stable within a `version`; a
  change that could break a reader bumps it, new keys may appear within one.

JSON, version 1 (dates are `YYYY-MM-DD`, fractions are 0.0 to 1.0 rounded to
4 places, a person is `{"username": str, "name": str}` or null)::

    {
      "version": 1,
      "date": "2026-12-01",                 # the day the figures are for
      "project": "sales/workflows",
      "attention": {                        # the last `salesbot run`'s failed actions,
        "date": "2026-12-01",               # as the dashboard keeps them; null when
        "total": 1,                         # that run had none. At most 50 listed.
        "failures": [
          {"workflow": "onboarding", "iid": null,        # null: an issue to open
           "issue": "new issue", "action": "open '...' for @zed",
           "answer": "GitLab has no user 'zed' (...)"}
        ]
      },
      "workflows": [                        # always all four, in this order:
        {                                   # onboarding, give-back, opportunity, handover
          "workflow": "onboarding",
          "title": "Onboarding 30/60/90",
          "open": 3, "overdue": 1,
          "due_soon": 1,                    # open, not overdue, due within 7 days
          "closed": 2,
          "average_progress": 0.4167        # over open issues; 0.0 when none
        }
      ],
      "issues": [                           # open issues, per workflow, overdue first
        {
          "workflow": "onboarding", "key": "alice@2026-11-30",
          "iid": 12, "reference": "sales/workflows#12",
          "title": "...", "url": "https://...",
          "owner": {...}, "manager": {...},
          "phase": "Day 30",                # onboarding: current phase; opportunity:
                                            # "consult" or "LDR"; otherwise ""
          "progress": 0.5, "completed_count": 2, "count": 4,
          "due_date": "2026-12-30",         # or null
          "status": "overdue"               # overdue | not-started | in-progress |
        }                                   # complete | left (owner left the company)
      ],
      "onboarding_cohort": [
        {
          "iid": 12, "hire": {...}, "manager": {...}, "start_date": "2026-11-30",
          "phases": [
            {"title": "Day 30", "start": "2026-11-30", "due": "2026-12-30",
             "state": "overdue"}            # done | overdue | active | upcoming
          ]
        }
      ],
      "give_back": {
        "projects": 4,                      # open and closed
        "complete": 1,
        "adopted": 1,                       # "adopted by 70% of the team" ticked
        "used_monthly": 1,                  # "used at least once a month" ticked
        "adoption": 0.25,                   # adopted / projects; 0.0 when none
        "issues": [                         # shaped like "issues", plus:
          {..., "state": "opened",          # or "closed" (status is then "complete")
           "adopted": false, "used_monthly": false}
        ]
      }
    }
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Literal

from automation import attention
from automation.attention import Attention
from automation.checklist import Checklist, parse, progress_bar
from automation.config import Config, Team
from automation.index import Index, Tracked, track
from automation.neutralise import Context, neutralise
from automation.workflows import onboarding, sweep
from automation.workflows.common import Environment

if TYPE_CHECKING:
    from automation.bot import Bot

REPORT_VERSION = 1
FORMATS = ("md", "html", "json")
DUE_SOON_DAYS = 7
WORKFLOWS = ("onboarding", "give-back", "opportunity", "handover")
TITLES = {
    "onboarding": "Onboarding 30/60/90",
    "give-back": "Give Back projects",
    "opportunity": "Opportunity consults and deal reviews",
    "handover": "Account handovers",
}

Status = Literal["overdue", "not-started", "in-progress", "complete", "left"]
PhaseState = Literal["done", "overdue", "active", "upcoming"]
# The Give Back template's adoption items (templates/give-back.md.j2).
ADOPTED_KEY = "give-back.adopted-70"
USED_MONTHLY_KEY = "give-back.used-monthly"
STATUS_TEXT: dict[str, str] = {
    "overdue": "overdue",
    "not-started": "not started",
    "in-progress": "in progress",
    "complete": "complete",
    "left": "owner left",
}


@dataclass(frozen=True, order=True)
class Person:
    name: str
    username: str

    def to_json(self) -> dict[str, str]:
        return {"username": self.username, "name": self.name}


@dataclass(frozen=True)
class Row:
    """One bot issue as a manager reads it."""

    workflow: str
    key: str
    iid: int
    reference: str
    title: str
    url: str
    owner: Person | None
    manager: Person | None
    phase: str
    progress: float
    done: int
    count: int
    due: date | None
    status: Status
    is_open: bool = True
    # Give Back only: the template's adoption boxes are ticked
    adopted: bool = False
    used_monthly: bool = False

    @property
    def overdue(self) -> bool:
        return self.status == "overdue"

    def to_json(self) -> dict[str, Any]:
        return {
            "workflow": self.workflow,
            "key": self.key,
            "iid": self.iid,
            "reference": self.reference,
            "title": self.title,
            "url": self.url,
            "owner": self.owner.to_json() if self.owner else None,
            "manager": self.manager.to_json() if self.manager else None,
            "phase": self.phase,
            "progress": round(self.progress, 4),
            "completed_count": self.done,
            "count": self.count,
            "due_date": self.due.isoformat() if self.due else None,
            "status": self.status,
        }


@dataclass(frozen=True)
class PhaseBar:
    title: str
    start: date
    due: date
    state: PhaseState


@dataclass(frozen=True)
class Hire:
    """A 30/60/90 plan on the cohort chart."""

    row: Row
    start: date
    phases: tuple[PhaseBar, ...]


@dataclass(frozen=True)
class Totals:
    workflow: str
    open: int
    overdue: int
    due_soon: int
    closed: int
    average_progress: float

    @property
    def title(self) -> str:
        return TITLES.get(self.workflow, self.workflow)

    def to_json(self) -> dict[str, Any]:
        return {
            "workflow": self.workflow,
            "title": self.title,
            "open": self.open,
            "overdue": self.overdue,
            "due_soon": self.due_soon,
            "closed": self.closed,
            "average_progress": round(self.average_progress, 4),
        }


@dataclass(frozen=True)
class Snapshot:
    today: date
    project: str
    rows: tuple[Row, ...]  # open issues, per workflow, overdue first
    closed: tuple[Row, ...]  # closed issues (only their counts and Give Back are shown)
    cohort: tuple[Hire, ...]
    # the last `salesbot run`'s failed actions, as the dashboard keeps them
    attention: Attention | None = None

    def of(self, workflow: str) -> list[Row]:
        return [r for r in self.rows if r.workflow == workflow]

    @property
    def give_back(self) -> list[Row]:
        """Every Give Back project, open ones first (overdue first), then finished ones."""
        return self.of("give-back") + [r for r in self.closed if r.workflow == "give-back"]

    @property
    def people(self) -> set[str]:
        """Who owns at least one open issue: the size of the team the dashboard tracks."""
        return {r.owner.username for r in self.rows if r.owner}

    def totals(self) -> list[Totals]:
        soon = self.today + timedelta(days=DUE_SOON_DAYS)
        found = []
        for workflow in WORKFLOWS:
            rows = self.of(workflow)
            found.append(
                Totals(
                    workflow=workflow,
                    open=len(rows),
                    overdue=sum(r.overdue for r in rows),
                    due_soon=sum(
                        1 for r in rows if not r.overdue and r.due and self.today <= r.due <= soon
                    ),
                    closed=sum(1 for r in self.closed if r.workflow == workflow),
                    average_progress=sum(r.progress for r in rows) / len(rows) if rows else 0.0,
                )
            )
        return found

    def for_manager(self, manager: Person | None) -> Snapshot:
        """Only the issues and hires of one manager's people (None: people without one)."""
        return replace(
            self,
            rows=tuple(r for r in self.rows if r.manager == manager),
            closed=tuple(r for r in self.closed if r.manager == manager),
            cohort=tuple(h for h in self.cohort if h.row.manager == manager),
        )

    def managers(self) -> list[Person | None]:
        """Managers with at least one open issue or Give Back project, by name; None last."""
        found = {r.manager for r in (*self.rows, *self.give_back)}
        named = sorted(m for m in found if m is not None)
        return [*named, None] if None in found else list(named)


# -- collecting -----------------------------------------------------------------


def collect(bot: Bot, today: date) -> Snapshot:
    """Read every bot issue once and work out the figures as of `today`."""
    return collect_with_index(bot, today)[0]


def collect_with_index(bot: Bot, today: date) -> tuple[Snapshot, Index]:
    """The figures, and the bot's index, from one streamed listing. Each
    checklist is read as its page arrives and the index keeps issues without
    their descriptions (but the dashboard's own), so 10,000 issues are never
    all held in memory with their text."""
    me = bot.api.me().username
    light: list[Tracked] = []
    seen: set[tuple[str, str]] = set()

    def stream() -> Iterator[Tracked]:
        # oldest first, so the first issue of a key is the one the Index keeps
        for issue in bot.issues(state="all"):
            tracked = track(issue, me)
            if tracked is None:
                continue
            keep = tracked.marker.workflow not in WORKFLOWS
            light.append(
                tracked if keep else Tracked(tracked.marker, replace(issue, description=""))
            )
            if tracked.key not in seen:  # a duplicate's figures are not the workflow's
                seen.add(tracked.key)
                yield tracked

    snapshot = build(bot.env(today), bot.team, stream(), bot.api.settings.project)
    index = Index(light)
    return replace(snapshot, attention=_attention_of(index)), index


def _attention_of(index: Index) -> Attention | None:
    """The "Needs attention" section the dashboard issue carries (the dashboard
    is the one bot issue whose description the index keeps)."""
    board = index.get("dashboard", "main")  # automation.dashboard.MARKER
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
    if tracked.marker.workflow == "opportunity":
        labels = set(tracked.issue.labels)
        ldr = bool(set(config.workflows.ldr.labels) & labels) and not bool(
            set(config.workflows.consult.labels) & labels
        )
        return ("LDR" if ldr else "consult"), tracked.issue.due_date
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
    for section in assessment.sections:
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


# -- Markdown ----------------------------------------------------------------------

ActionLines = Callable[[Sequence[Row]], list[str]]


def cell(value: object) -> str:
    """Untrusted text made safe for one Markdown table cell."""
    return neutralise(str(value), "table")


def _who(person: Person | None, context: Context = "table") -> str:
    if person is None:
        return "—"
    if person.name == person.username:
        return neutralise(person.username, context)
    return f"{neutralise(person.name, context)} ({neutralise(person.username, context)})"


def _issue_cell(row: Row) -> str:
    return f"[#{row.iid}]({row.url}) {cell(row.title)}"


def _status_cell(row: Row) -> str:
    text = STATUS_TEXT[row.status]
    return f"**{text}**" if row.overdue else text


def _progress(row: Row) -> str:
    return f"{progress_bar(row.progress)} ({row.done}/{row.count})"


def summary_table(snapshot: Snapshot) -> list[str]:
    lines = [
        "| Workflow | Open | Overdue | Due within a week | Closed | Average progress |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for t in snapshot.totals():
        lines.append(
            f"| {t.title} | {t.open} | {t.overdue} | {t.due_soon} | {t.closed} "
            f"| {progress_bar(t.average_progress) if t.open else '—'} |"
        )
    return lines


def issue_table(rows: Sequence[Row]) -> list[str]:
    lines = [
        "| Issue | Owner | Manager | Phase | Progress | Due | Status |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {_issue_cell(row)} | {_who(row.owner)} | {_who(row.manager)} "
            f"| {cell(row.phase) or '—'} | {_progress(row)} | {row.due or '—'} "
            f"| {_status_cell(row)} |"
        )
    return lines


def _mermaid_text(text: str) -> str:
    """Mermaid has no escaping: keep letters, digits and harmless punctuation only,
    so a name cannot end a task (`:`), start a comment (`%%`) or a new line."""
    kept = "".join(ch if ch.isalnum() or ch in " .,'()&+-_" else " " for ch in text)
    return " ".join(kept.split()) or "?"


def gantt(cohort: Sequence[Hire]) -> list[str]:
    """The cohort's 30/60/90 phases as a Mermaid gantt chart (GitLab renders it)."""
    lines = [
        "```mermaid",
        "gantt",
        "    title Onboarding cohort",
        "    dateFormat YYYY-MM-DD",
        "    axisFormat %d %b",
    ]
    tags: dict[PhaseState, str] = {
        "done": "done, ",
        "overdue": "crit, ",
        "active": "active, ",
        "upcoming": "",
    }
    for hire in cohort:
        who = hire.row.owner.name if hire.row.owner else hire.row.key
        lines.append(f"    section {_mermaid_text(who)}")
        for bar in hire.phases:
            lines.append(f"    {_mermaid_text(bar.title)} :{tags[bar.state]}{bar.start}, {bar.due}")
    lines.append("```")
    return lines


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def adoption_line(rows: Sequence[Row]) -> str:
    done = sum(1 for r in rows if r.status == "complete")
    adopted = sum(1 for r in rows if r.adopted)
    used = sum(1 for r in rows if r.used_monthly)
    share = adopted / len(rows) if rows else 0.0
    return (
        f"{len(rows)} Give Back project(s): {done} complete, {adopted} adopted by at least 70% "
        f"of the team ({int(share * 100)}%), {used} used at least once a month."
    )


def give_back_table(rows: Sequence[Row]) -> list[str]:
    """Every Give Back project with the template's adoption boxes as columns."""
    lines = [
        adoption_line(rows),
        "",
        "| Project | Hire | Manager | Stage | Progress | Adopted by 70% | Used monthly "
        "| Due | Status |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        status = _status_cell(row) if row.is_open else "complete (closed)"
        lines.append(
            f"| {_issue_cell(row)} | {_who(row.owner)} | {_who(row.manager)} "
            f"| {cell(row.phase) or '—'} | {_progress(row)} | {_yes(row.adopted)} "
            f"| {_yes(row.used_monthly)} | {row.due or '—'} | {status} |"
        )
    return lines


def _capped(rows: Sequence[Row], max_rows: int | None) -> tuple[Sequence[Row], list[str]]:
    """At most `max_rows` rows (the most urgent come first), and a line saying
    how many were left out: an issue description holds at most 1 MB."""
    if max_rows is None or len(rows) <= max_rows:
        return rows, []
    left = len(rows) - max_rows
    return rows[:max_rows], ["", f"…and {left} more, in the report (`salesbot report`)."]


def _workflow_blocks(
    snapshot: Snapshot, level: str, actions: ActionLines | None, max_rows: int | None
) -> list[str]:
    lines: list[str] = []
    for totals in snapshot.totals():
        workflow = totals.workflow
        rows, more = _capped(snapshot.of(workflow), max_rows)
        if workflow == "give-back":
            every, more = _capped(snapshot.give_back, max_rows)
            if not every:
                continue
            lines += ["", f"{level} Give Back adoption", "", *give_back_table(every), *more]
            rows = [r for r in every if r.is_open]
        elif rows:
            counts = f"{totals.open} open, {totals.overdue} overdue"
            lines += ["", f"{level} {totals.title} ({counts})", "", *issue_table(rows), *more]
        else:
            continue
        if actions is not None and rows:
            extra = actions(rows)
            if extra:
                lines += ["", *extra]
        if workflow == "onboarding" and snapshot.cohort:
            shown = {r.iid for r in rows}
            lines += ["", *gantt([h for h in snapshot.cohort if h.row.iid in shown])]
    return lines


def _run_words(found: Attention) -> str:
    count = f"{found.total} action" + ("" if found.total == 1 else "s")
    return (
        f"The last `salesbot run` ({found.day}) could not carry out {count}; "
        "the next run tries again. Fix what GitLab's answer points at."
    )


def attention_markdown(found: Attention) -> list[str]:
    """The "Needs attention" section: the last run's failures, first on the page."""
    lines = [
        "## Needs attention",
        "",
        _run_words(found),
        "",
        "| Workflow | Issue | Action | GitLab's answer |",
        "|---|---|---|---|",
    ]
    for failure in found.failures:
        lines.append(
            f"| {cell(failure.workflow)} | {cell(failure.issue)} | {cell(failure.action)} "
            f"| {cell(failure.answer)} |"
        )
    if found.left_out:
        lines += ["", f"…and {found.left_out} more, in the run's job log."]
    return lines


def render_markdown(
    snapshot: Snapshot,
    *,
    rollup_threshold: int,
    title: str | None = None,
    actions: ActionLines | None = None,
    max_rows: int | None = None,
) -> str:
    """Summary, then one section per workflow (overdue first), the onboarding
    cohort as a gantt chart and Give Back adoption as a table. With more than
    `rollup_threshold` people, one section per manager with only their people.
    `actions` adds lines (the dashboard's checkboxes) under each workflow's
    table; `max_rows` caps each table."""
    lines: list[str] = [f"# {neutralise(title, 'heading')}", ""] if title else []
    if snapshot.attention is not None:
        lines += [*attention_markdown(snapshot.attention), ""]
    lines += ["## Summary", "", *summary_table(snapshot)]
    if not snapshot.rows and not snapshot.give_back:
        lines += ["", "No open salesbot issues."]
    elif len(snapshot.people) > rollup_threshold:
        for manager in snapshot.managers():
            part = snapshot.for_manager(manager)
            heading = f"Team of {_who(manager, 'heading')}" if manager else "No manager"
            people = len(part.people)
            lines += ["", f"## {heading} ({people} {'person' if people == 1 else 'people'})"]
            lines += _workflow_blocks(part, "###", actions, max_rows)
    else:
        lines += _workflow_blocks(snapshot, "##", actions, max_rows)
    return "\n".join(lines) + "\n"


# -- JSON -------------------------------------------------------------------------


def _phase_json(bar: PhaseBar) -> dict[str, str]:
    return {
        "title": bar.title,
        "start": bar.start.isoformat(),
        "due": bar.due.isoformat(),
        "state": bar.state,
    }


def to_json(snapshot: Snapshot) -> dict[str, Any]:
    """The documented, versioned shape (see the module docstring)."""
    projects = snapshot.give_back
    done = sum(1 for r in projects if r.status == "complete")
    adopted = sum(1 for r in projects if r.adopted)
    return {
        "version": REPORT_VERSION,
        "date": snapshot.today.isoformat(),
        "project": snapshot.project,
        "attention": snapshot.attention.to_json() if snapshot.attention else None,
        "workflows": [t.to_json() for t in snapshot.totals()],
        "issues": [r.to_json() for r in snapshot.rows],
        "onboarding_cohort": [
            {
                "iid": h.row.iid,
                "hire": h.row.owner.to_json() if h.row.owner else None,
                "manager": h.row.manager.to_json() if h.row.manager else None,
                "start_date": h.start.isoformat(),
                "phases": [_phase_json(bar) for bar in h.phases],
            }
            for h in snapshot.cohort
        ],
        "give_back": {
            "projects": len(projects),
            "complete": done,
            "adopted": adopted,
            "used_monthly": sum(1 for r in projects if r.used_monthly),
            "adoption": round(adopted / len(projects), 4) if projects else 0.0,
            "issues": [
                {
                    **r.to_json(),
                    "state": "opened" if r.is_open else "closed",
                    "adopted": r.adopted,
                    "used_monthly": r.used_monthly,
                }
                for r in projects
            ],
        },
    }


# -- HTML -------------------------------------------------------------------------

_CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;
background:#fafafa;color:#1f1f1f}
main{max-width:1120px;margin:0 auto;padding:24px}
h1{margin:0 0 4px}h2{margin:32px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
.meta{color:#666;margin:0 0 16px}
table{border-collapse:collapse;width:100%;background:#fff;margin:8px 0}
th,td{border:1px solid #e3e3e3;padding:6px 8px;text-align:left;vertical-align:middle}
th{background:#f0f0f0;font-weight:600}td.num,th.num{text-align:right}
.bar{display:inline-block;width:120px;height:10px;background:#e6e6e6;border-radius:5px;
overflow:hidden;vertical-align:middle;margin-right:6px}
.bar>span{display:block;height:100%;background:#1f75cb}
td.overdue{color:#c91c00;font-weight:600}tr.overdue{background:#fff4f2}
td.complete{color:#108548}
.phase{display:inline-block;padding:2px 8px;border-radius:4px;margin:1px;font-size:13px}
.phase.done{background:#c3e6cd}.phase.overdue{background:#fdd4cd}
.phase.active{background:#cbe2f9}.phase.upcoming{background:#ececef}
a{color:#1f75cb}
"""


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _bar_html(fraction: float) -> str:
    pct = int(min(max(fraction, 0.0), 1.0) * 100)
    return (
        f'<span class="bar" role="progressbar" aria-valuenow="{pct}" aria-valuemin="0" '
        f'aria-valuemax="100"><span style="width:{pct}%"></span></span>{pct}%'
    )


def _who_html(person: Person | None) -> str:
    if person is None:
        return "—"
    if person.name == person.username:
        return _e(person.username)
    return f"{_e(person.name)} <small>({_e(person.username)})</small>"


def _issue_html(row: Row) -> str:
    return f'<a href="{_e(row.url)}">#{row.iid}</a> {_e(row.title)}'


def _rows_html(rows: Iterable[Row]) -> list[str]:
    out = [
        "<table><thead><tr><th>Issue</th><th>Owner</th><th>Manager</th><th>Phase</th>"
        "<th>Progress</th><th>Due</th><th>Status</th></tr></thead><tbody>"
    ]
    out.extend(_row_html(row) for row in rows)
    out.append("</tbody></table>")
    return out


def _row_html(row: Row, extra: str = "") -> str:
    """One table row; `extra` cells go between progress and due date."""
    status = STATUS_TEXT[row.status] if row.is_open else "complete (closed)"
    return (
        f'<tr class="{_e(row.status)}"><td>{_issue_html(row)}</td>'
        f"<td>{_who_html(row.owner)}</td><td>{_who_html(row.manager)}</td>"
        f"<td>{_e(row.phase) or '—'}</td>"
        f"<td>{_bar_html(row.progress)} <small>{row.done}/{row.count}</small></td>{extra}"
        f'<td>{row.due or "—"}</td><td class="{_e(row.status)}">{_e(status)}</td></tr>'
    )


def _give_back_html(rows: Sequence[Row]) -> list[str]:
    adopted = sum(1 for r in rows if r.adopted)
    out = [
        f'<p class="adoption">{_e(adoption_line(rows))}</p>',
        f"<p>Adopted by at least 70% of the team: {_bar_html(adopted / len(rows))}</p>",
        "<table><thead><tr><th>Project</th><th>Hire</th><th>Manager</th><th>Stage</th>"
        "<th>Progress</th><th>Adopted by 70%</th><th>Used monthly</th><th>Due</th>"
        "<th>Status</th></tr></thead><tbody>",
    ]
    for row in rows:
        out.append(_row_html(row, f"<td>{_yes(row.adopted)}</td><td>{_yes(row.used_monthly)}</td>"))
    out.append("</tbody></table>")
    return out


def _summary_html(snapshot: Snapshot) -> list[str]:
    out = [
        '<section id="summary"><h2>Summary</h2><table><thead><tr><th>Workflow</th>'
        '<th class="num">Open</th><th class="num">Overdue</th>'
        '<th class="num">Due within a week</th><th class="num">Closed</th>'
        "<th>Average progress</th></tr></thead><tbody>"
    ]
    for t in snapshot.totals():
        out.append(
            f'<tr data-workflow="{_e(t.workflow)}"><td><a href="#{_e(t.workflow)}">'
            f'{_e(t.title)}</a></td><td class="num">{t.open}</td>'
            f'<td class="num{" overdue" if t.overdue else ""}">{t.overdue}</td>'
            f'<td class="num">{t.due_soon}</td><td class="num">{t.closed}</td>'
            f"<td>{_bar_html(t.average_progress) if t.open else '—'}</td></tr>"
        )
    out.append("</tbody></table></section>")
    return out


def _cohort_html(cohort: Sequence[Hire]) -> list[str]:
    out = [
        '<section id="cohort"><h2>Onboarding cohort</h2><table><thead><tr><th>Hire</th>'
        "<th>Start</th><th>Phases</th></tr></thead><tbody>"
    ]
    for hire in cohort:
        phases = " ".join(
            f'<span class="phase {bar.state}" title="{_e(bar.state)}">{_e(bar.title)}: '
            f"{bar.start} – {bar.due}</span>"
            for bar in hire.phases
        )
        out.append(
            f"<tr><td>{_who_html(hire.row.owner)} (#{hire.row.iid})</td>"
            f"<td>{hire.start}</td><td>{phases}</td></tr>"
        )
    out.append("</tbody></table></section>")
    return out


def _attention_html(found: Attention) -> list[str]:
    out = [
        '<section id="attention"><h2>Needs attention</h2>',
        f"<p>{_e(_run_words(found).replace('`', ''))}</p>",
        "<table><thead><tr><th>Workflow</th><th>Issue</th><th>Action</th>"
        "<th>GitLab's answer</th></tr></thead><tbody>",
    ]
    for f in found.failures:
        out.append(
            f'<tr class="overdue"><td>{_e(f.workflow)}</td><td>{_e(f.issue)}</td>'
            f"<td>{_e(f.action)}</td><td>{_e(f.answer)}</td></tr>"
        )
    out.append("</tbody></table>")
    if found.left_out:
        out.append(f"<p>…and {found.left_out} more, in the run's job log.</p>")
    out.append("</section>")
    return out


def render_html(snapshot: Snapshot, *, title: str = "salesbot report") -> str:
    """One self-contained page: inline CSS, no scripts, no external resources."""
    body = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)} · {_e(snapshot.project)} · {snapshot.today}</title>",
        f"<style>{_CSS}</style></head><body><main>",
        f"<h1>{_e(title)}</h1>",
        f'<p class="meta">{_e(snapshot.project)} · as of {snapshot.today}</p>',
        *(_attention_html(snapshot.attention) if snapshot.attention else []),
        *_summary_html(snapshot),
    ]
    for t in snapshot.totals():
        rows = snapshot.give_back if t.workflow == "give-back" else snapshot.of(t.workflow)
        if not rows:
            continue
        heading = "Give Back adoption" if t.workflow == "give-back" else t.title
        body.append(f'<section id="{_e(t.workflow)}"><h2>{_e(heading)}</h2>')
        if t.workflow == "give-back":
            body += _give_back_html(rows)
        else:
            body += _rows_html(rows)
        body.append("</section>")
        if t.workflow == "onboarding" and snapshot.cohort:
            body += _cohort_html(snapshot.cohort)
    body.append("</main></body></html>")
    return "\n".join(body) + "\n"


def render(snapshot: Snapshot, fmt: str, *, rollup_threshold: int, title: str) -> str:
    """The report in one of FORMATS."""
    if fmt == "md":
        return render_markdown(snapshot, rollup_threshold=rollup_threshold, title=title)
    if fmt == "html":
        return render_html(snapshot, title=title)
    if fmt == "json":
        return json.dumps(to_json(snapshot), indent=2, ensure_ascii=False) + "\n"
    raise ValueError(f"unknown report format {fmt!r}")
