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

Flow: `reading.read` (the bot's reads: one listing, and only when a box is
ticked the notes and users it needs) -> `plan.plan_ticks` and
`plan.plan_write` (pure) -> `Bot.apply` (every write, under the run's
deadline). Modules: `boxes` (the body, its boxes, offers and notices),
`ticks` (who ticked what), `reading`, `plan`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import TYPE_CHECKING

from automation import attention, hidden
from automation.actions import Comment, CreateIssue, EditIssue, Plan
from automation.adoption import Adoption
from automation.applier import Outcome, Report, same_text
from automation.dashboard.boxes import (
    KEY,
    MARKER,
    NOTICE_DAYS,
    WORKFLOW,
    DashboardSettings,
    Kind,
    Notice,
    action_key,
    action_lines,
    box_text,
    merge_notices,
    next_offer,
    notice_lines,
    offers,
    read_notices,
    render,
    settings_for,
)
from automation.dashboard.plan import (
    Decided,
    Job,
    action_id,
    done_record,
    jobs_plan,
    plan_ticks,
    plan_write,
)
from automation.dashboard.reading import Reading, read
from automation.dashboard.ticks import Request, TickNote, read_tick, requesters, ticked, unescape
from automation.index import Listing
from automation.records import Issue
from automation.report import Snapshot, figures
from automation.report.history import nudges_posted

if TYPE_CHECKING:
    from automation.bot import Bot

__all__ = [
    "KEY",
    "MARKER",
    "NOTICE_DAYS",
    "WORKFLOW",
    "DashboardSettings",
    "Decided",
    "Job",
    "Kind",
    "Notice",
    "Prepared",
    "Reading",
    "Request",
    "Result",
    "TickNote",
    "action_id",
    "action_key",
    "action_lines",
    "apply",
    "box_text",
    "carry_out",
    "done_record",
    "merge_notices",
    "next_offer",
    "notice_lines",
    "offers",
    "prepare",
    "read_notices",
    "read_tick",
    "refresh",
    "refresh_dashboard",
    "render",
    "requesters",
    "same_text",
    "settings_for",
    "ticked",
    "unescape",
    "with_run_failures",
    "write",
]


@dataclass(frozen=True)
class Prepared:
    """What was read, and what the ticked boxes ask for; nothing written yet."""

    reading: Reading
    decided: Decided

    @property
    def today(self) -> date:
        return self.reading.env.today

    @property
    def snapshot(self) -> Snapshot:
        return self.reading.snapshot

    @property
    def dashboard(self) -> Issue | None:
        return self.reading.dashboard

    @property
    def jobs(self) -> tuple[Job, ...]:
        return self.decided.jobs

    def plan(self) -> Plan:
        """Everything `apply` would write when every write succeeds (--dry-run):
        each ticked action's steps, then the dashboard's real new content."""
        done = self.decided.handled | {job.request.key for job in self.jobs}
        return jobs_plan(self.decided) + plan_write(
            self.reading, self.decided, self.snapshot, frozenset(done)
        )


def prepare(
    bot: Bot,
    today: date,
    settings: DashboardSettings | None = None,
    *,
    listing: Listing | None = None,
) -> Prepared:
    """Read what the dashboard needs and plan the ticked actions; write nothing."""
    reading = read(bot, today, settings or settings_for(bot.config), listing)
    return Prepared(reading, plan_ticks(reading))


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


def carry_out(bot: Bot, prepared: Prepared) -> Result:
    """Carry out the ticked actions through `Bot.apply`; the dashboard itself
    is not written yet. A box is done once every step of its action went
    through; on a failure it stays ticked and the next run finds the note
    (when it was written) and finishes only what is missing."""
    decided = prepared.decided
    result = Result(prepared, done=set(decided.handled), notes=list(decided.notes))
    if not decided.jobs:
        return result
    report = bot.apply(jobs_plan(decided))
    result.report.extend(report)
    failed = {o.step.chain for o in report.failures}
    for job in decided.jobs:
        if job.chain not in failed:
            result.done.add(job.request.key)
    return result


def write(bot: Bot, result: Result) -> None:
    """Create the dashboard, or rewrite it if its content changed, through
    `Bot.apply`. A GitLab error is recorded in `result.report`, not raised:
    the next run writes it."""
    prepared = result.prepared
    snapshot = prepared.snapshot
    if prepared.jobs:  # the actions changed due dates and assignees: show the new state
        reading = prepared.reading
        listing = bot.after_writes(reading.listing, result.report.outcomes)
        fresh = figures(reading.env, bot.team, listing, bot.api.settings.project)
        snapshot = replace(
            fresh,
            attention=snapshot.attention,
            run_nudges=snapshot.run_nudges,
            give_back_adoption=snapshot.give_back_adoption,
        )
    done = frozenset(result.done)
    plan = plan_write(prepared.reading, prepared.decided, snapshot, done)
    result.dashboard = prepared.dashboard
    if plan:
        report = bot.apply(plan)
        result.report.extend(report)
        for outcome in report.outcomes:
            if outcome.ok and isinstance(outcome.step.action, CreateIssue | EditIssue):
                result.dashboard, result.written = outcome.issue, True
    result.notices = prepared.decided.notices(prepared.today, done)


def apply(bot: Bot, prepared: Prepared) -> Result:
    """Carry out the ticked actions, then write the dashboard if its content changed."""
    result = carry_out(bot, prepared)
    write(bot, result)
    return result


def refresh(
    bot: Bot,
    today: date,
    *,
    dry_run: bool = False,
    settings: DashboardSettings | None = None,
    listing: Listing | None = None,
) -> Result:
    """`salesbot dashboard`: carry out ticked actions and rewrite the dashboard if needed."""
    prepared = prepare(bot, today, settings, listing=listing)
    if dry_run:
        return Result(prepared, dashboard=prepared.dashboard, notes=list(prepared.decided.notes))
    return apply(bot, prepared)


def refresh_dashboard(
    bot: Bot,
    today: date,
    *,
    dry_run: bool,
    outcomes: Sequence[Outcome] = (),
    listing: Listing | None = None,
    adoption: Adoption | None = None,
) -> Report | None:
    """The hook for the end of `salesbot run`: None on a dry run, else what was written.

    `outcomes` are the run's: their failures replace the dashboard's "Needs
    attention" section (no failure: no section). `listing` is the run's one
    listing, brought up to date with what the run wrote; `adoption`: the Give
    Back roll-call figures this run read."""
    if dry_run:
        return None
    prepared = with_run_failures(prepare(bot, today, listing=listing), outcomes)
    if adoption is not None:  # read by this run (automation.workflows.roll_call)
        reading = prepared.reading
        snapshot = replace(reading.snapshot, give_back_adoption=adoption)
        prepared = replace(prepared, reading=replace(reading, snapshot=snapshot))
    return apply(bot, prepared).report


def nudges_of(outcomes: Sequence[Outcome]) -> tuple[tuple[int, int], ...]:
    """The nudge notes a run posted, per issue (waivers are not nudges)."""
    posted = [
        o.step.action.target.iid
        for o in outcomes
        if o.ok
        and isinstance(o.step.action, Comment)
        and o.step.action.target.iid is not None
        and hidden.nudge_date(o.step.action.body) is not None
        and not hidden.is_waived(o.step.action.body)
    ]
    return nudges_posted(posted)


def with_run_failures(prepared: Prepared, outcomes: Sequence[Outcome]) -> Prepared:
    """`prepared`, showing these failures instead of the ones the dashboard
    carries (see `automation.attention`)."""
    found = attention.from_outcomes(outcomes, prepared.today)
    reading = prepared.reading
    nudges = nudges_of(outcomes)
    snapshot = replace(reading.snapshot, attention=found, run_nudges=nudges)
    return replace(prepared, reading=replace(reading, snapshot=snapshot))
