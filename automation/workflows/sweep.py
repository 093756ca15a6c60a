"""Closing the loop: read every open bot issue's checklist and act on it.

The sweep works from the list responses it already has. Per issue it decides
a progress label, for onboarding the current phase and its due date, whether
a section is overdue, whether to nudge, and whether the work is complete.
Only three situations need more than the list response, and then one extra
GET each: a nudge (the bot's own notes hold the nudge history), a completion
(the notes show whether the summary was already written, or whether a person
reopened the issue), and adding a label the issue carries no sibling of (the
label events show whether a person removed it, which the bot respects).

The planner is split in two pure steps, `assess` and `decide`, so that the
caller can fetch that history only for the issues that need it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date

from automation import hidden, registry
from automation.actions import Action, Comment, IssueRef, Step, UpdateIssue
from automation.checklist import Checklist, TaskItem, parse
from automation.index import Duplicate, Tracked
from automation.labels import Progress, scope_of, siblings, status_blocked, status_change
from automation.neutralise import neutralise
from automation.records import Issue, LabelEvent, Note
from automation.team import Team
from automation.workflows import onboarding
from automation.workflows.common import Environment

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class Section:
    """A part of the issue with its own due date: an onboarding phase, or the whole issue."""

    title: str
    due: date | None
    open_required: tuple[TaskItem, ...]
    complete: bool
    phase_days: int | None = None


@dataclass(frozen=True)
class Assessment:
    tracked: Tracked
    checklist: Checklist
    progress: Progress
    sections: tuple[Section, ...]
    want_labels: tuple[str, ...]
    drop_labels: tuple[str, ...]
    due_date: date | None  # a new due date to set, or None
    overdue: tuple[Section, ...]
    nudge_due: bool  # overdue, not a quiet day, not departed
    completing: bool  # complete and not yet labelled complete
    reopened: bool  # labelled complete, complete, open, and the workflow closes when complete
    needs_events: tuple[str, ...]  # labels to add that have no sibling: check who removed them

    @property
    def needs_notes(self) -> bool:
        return self.nudge_due or self.completing or self.reopened


@dataclass(frozen=True)
class History:
    notes: Sequence[Note] = ()
    label_events: Sequence[LabelEvent] = ()
    bot: str = ""


@dataclass(frozen=True)
class Decision:
    actions: tuple[Action, ...] = field(default=())


def fingerprint(checklist: Checklist) -> str:
    """Identifies the checklist's ticked state, so a reopened issue is closed
    again only once a person changes its checklist."""
    text = "\n".join(f"{i.key or i.text}:{int(i.checked)}" for i in checklist.items)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _closes(env: Environment, tracked: Tracked) -> bool:
    """Whether the issue's workflow closes its issues when complete."""
    settings = registry.settings_of(env.config, tracked.marker.workflow, tracked.issue.labels)
    return settings.close_when_complete if settings else False


def _sections(env: Environment, tracked: Tracked, checklist: Checklist) -> tuple[Section, ...]:
    issue = tracked.issue
    if tracked.marker.workflow == onboarding.ONBOARDING:
        start = onboarding.start_of(tracked.marker.key)
        found = []
        for phase in onboarding.phases(env, start):
            part = checklist.section(phase.title)
            open_required = part.open_required if part else ()
            found.append(
                Section(
                    phase.title,
                    phase.due,
                    tuple(open_required),
                    complete=part.is_complete if part else True,
                    phase_days=phase.days,
                )
            )
        # a person (or a dashboard action) may have moved the issue's due date
        # later: the current phase is then due on that date, not the plan's.
        current = next((i for i, s in enumerate(found) if not s.complete), None)
        moved = False
        if current is not None and issue.due_date:
            section = found[current]
            assert section.due is not None and section.phase_days is not None
            in_phase = env.labels.phase(section.phase_days) in issue.labels
            if in_phase and issue.due_date > section.due:
                moved = True
                found[current] = Section(
                    section.title,
                    issue.due_date,
                    section.open_required,
                    section.complete,
                    section.phase_days,
                )
        # Items due before their phase (onboarding.early_items) come after the
        # phases: each is inside one, so the current phase stays the first
        # incomplete one; they make the issue overdue (and nudged) earlier,
        # unless a person moved the due date later (then that date holds).
        in_phases = [i for section in found for i in section.open_required]
        for early, keys in [] if moved else onboarding.early_items(env, start):
            # only items still open in a phase: a plan whose phases are all
            # complete (or that lost its phase headings) has nothing due early
            pending = tuple(i for i in in_phases if i.key in keys)
            found.append(Section(early.title, early.due, pending, complete=not pending))
        return tuple(found)
    return (
        Section(
            "",
            issue.due_date,
            tuple(checklist.open_required),
            complete=checklist.is_complete,
        ),
    )


def progress_of(checklist: Checklist) -> Progress:
    if checklist.count and checklist.is_complete:
        return "complete"
    if checklist.completed_count == 0:
        return "not-started"
    return "in-progress"


def is_quiet(env: Environment) -> bool:
    return WEEKDAYS[env.today.weekday()] in {d.lower() for d in env.config.nudges.quiet_days}


def assess(env: Environment, tracked: Tracked) -> Assessment:
    issue = tracked.issue
    labels = env.labels
    checklist = parse(issue.description)
    progress = progress_of(checklist)
    sections = _sections(env, tracked, checklist)
    want: list[str] = [labels.progress(progress)]
    due_date = None
    if tracked.marker.workflow == onboarding.ONBOARDING and progress != "complete":
        phases = [s for s in sections if s.phase_days is not None]  # not early items
        current = next((s for s in phases if not s.complete), phases[-1])
        assert current.phase_days is not None
        phase_label = labels.phase(current.phase_days)
        want.append(phase_label)
        # the due date moves with the phase, and only when the phase changes,
        # so a due date a person set within a phase is left alone.
        if phase_label not in issue.labels and current.due != issue.due_date:
            due_date = current.due
    overdue = tuple(
        s
        for s in sections
        if s.due is not None and s.due < env.today and not s.complete and s.open_required
    )
    departed = labels.status("left-company") in issue.labels
    present = set(issue.labels)
    # a higher status (left-company, a deal outcome) outranks overdue: asking
    # for overdue then would, on Premium, remove it (see automation.labels)
    outranked = status_blocked(labels, present, "overdue")
    if overdue and progress != "complete" and not outranked:
        want.append(labels.overdue)
    add = [x for x in want if x not in present]
    drop: list[str] = []
    for label in want:
        if scope_of(label) in (labels.progress_scope, labels.phase_scope):
            drop.extend(siblings(present, label))
    # no longer overdue, or outranked: on Free the older overdue label would
    # otherwise stay beside the higher status
    if labels.overdue in present and labels.overdue not in want:
        drop.append(labels.overdue)
    needs_events = tuple(
        x
        for x in add
        if not siblings(present, x)
        and not (x == labels.overdue and _untouched_since(issue, overdue))
    )
    complete_label = labels.progress("complete")
    return Assessment(
        tracked=tracked,
        checklist=checklist,
        progress=progress,
        sections=sections,
        want_labels=tuple(add),
        drop_labels=tuple(sorted(set(drop))),
        due_date=due_date,
        overdue=overdue,
        nudge_due=bool(overdue)
        and not departed
        and not outranked
        and not is_quiet(env)
        and progress != "complete"
        and not _touched_while_overdue(env, issue, overdue),
        completing=progress == "complete" and complete_label not in present,
        reopened=progress == "complete" and complete_label in present and _closes(env, tracked),
        needs_events=needs_events,
    )


def _updated(issue: Issue) -> date | None:
    """The UTC day the issue last changed (the listing's `updated_at`)."""
    try:
        return date.fromisoformat(issue.updated_at[:10])
    except ValueError:
        return None


def _untouched_since(issue: Issue, overdue: Sequence[Section]) -> bool:
    """Nobody, the bot included, has changed the issue since a day before its
    first overdue section fell due: so the overdue label cannot have been
    added for this lateness and then taken off by a person, and their label
    events need not be read (one GET per overdue issue saved). The day of
    margin covers a team whose `today` runs ahead of UTC."""
    updated = _updated(issue)
    due = min((s.due for s in overdue if s.due is not None), default=None)
    return updated is not None and due is not None and updated < due


def _touched_while_overdue(env: Environment, issue: Issue, overdue: Sequence[Section]) -> bool:
    """The issue changed after it fell due and within the nudge cadence: the
    bot nudged it lately (a same-day rerun), or a person is at work on it. No
    nudge is due either way, and its notes need not be read. An issue untouched
    since before it fell due is read as before (a nudge may well be due)."""
    updated = _updated(issue)
    due = min((s.due for s in overdue if s.due is not None), default=None)
    if updated is None or due is None or updated <= due:
        return False
    return (env.today - updated).days < env.config.nudges.cadence_days


def _removed_by_person(label: str, history: History) -> bool:
    """True when the label's latest event is a removal by someone other than the bot."""
    latest = None
    for event in history.label_events:
        if event.label == label:
            latest = event
    return latest is not None and latest.action == "remove" and latest.user != history.bot


def _bot_notes(history: History) -> list[Note]:
    return [n for n in history.notes if n.author == history.bot and not n.system]


def _nudges_since_activity(history: History) -> tuple[int, date | None]:
    """(nudges since the owner last did anything, date of the last nudge).

    Activity is any note or system note (a ticked box, an edit) by someone
    other than the bot; the bot's own notes and label changes never count."""
    count = 0
    last: date | None = None
    for note in sorted(history.notes, key=lambda n: (n.created_at, n.id)):
        nudged = hidden.nudge_date(note.body) if note.author == history.bot else None
        if nudged:
            last = nudged
        # a manager waived a nudge from the dashboard: activity, not a nudge
        if note.author != history.bot or hidden.is_waived(note.body):
            count = 0
        elif nudged:
            count += 1
    return count, last


def _last_completion(history: History) -> str | None:
    found = None
    for note in _bot_notes(history):
        fp = hidden.completion_fingerprint(note.body)
        if fp:
            found = fp
    return found


def decide(
    env: Environment, team: Team, assessment: Assessment, history: History | None
) -> Decision:
    """The actions for one issue, given its assessment and (when needed) its history."""
    history = history or History()
    tracked = assessment.tracked
    issue = tracked.issue
    ref = IssueRef(iid=issue.iid)
    # Someone the roster says has left is never nudged, even when no
    # left-company label is there yet (the next onboarding sync adds it) or a
    # person took that label off.
    gone = has_left(team, tracked)
    add = tuple(
        x
        for x in assessment.want_labels
        if (x not in assessment.needs_events or not _removed_by_person(x, history))
        and not (gone and x == env.labels.overdue)
    )
    drop = assessment.drop_labels
    actions: list[Action] = []
    if assessment.completing or assessment.reopened:
        fp = fingerprint(assessment.checklist)
        if _last_completion(history) == fp:
            # We wrote this summary already and a person has since reopened the
            # issue or taken the label off: leave it until the checklist changes.
            return Decision()
        close = _closes(env, tracked)
        # summary, labels and close in one request (see actions.Comment)
        actions.append(
            Comment(
                ref,
                _summary(assessment, fp),
                reason="complete",
                add_labels=add,
                remove_labels=drop,
                close=close,
            )
        )
        return Decision(tuple(actions))
    if add or drop or assessment.due_date:
        actions.append(
            UpdateIssue(
                ref,
                add_labels=add,
                remove_labels=drop,
                due_date=assessment.due_date,
                reason="overdue" if env.labels.overdue in add else assessment.progress,
            )
        )
    owners = nudge_owners(team, issue.assignees, item_owners(assessment))
    if assessment.nudge_due and not gone and owners:
        count, last = _nudges_since_activity(history)
        if last is None or (env.today - last).days >= env.config.nudges.cadence_days:
            escalate = count >= env.config.nudges.escalate_after
            actions.append(_nudge(env, team, assessment, owners, escalate=escalate))
    return Decision(_one_write(actions))


def _one_write(actions: list[Action]) -> tuple[Action, ...]:
    """A label change and a nudge on the same issue as one request: the nudge
    carries the labels as quick actions (see actions.Comment), so the label
    and its explanation land together. A due date move stays a PUT of its own
    (rare: once per onboarding phase)."""
    if len(actions) != 2:
        return tuple(actions)
    update, nudge = actions
    if not (isinstance(update, UpdateIssue) and isinstance(nudge, Comment)):
        return tuple(actions)
    if update.due_date or update.state_event or nudge.add_labels or nudge.remove_labels:
        return tuple(actions)
    return (replace(nudge, add_labels=update.add_labels, remove_labels=update.remove_labels),)


def item_owners(assessment: Assessment) -> tuple[str | None, ...]:
    """The owner of each open required item of the overdue sections, in
    order: the `<!-- owner:USER -->` on its line or under its section's
    heading (`automation.hidden`), or None where the issue names none (issues
    opened before templates named owners: their assignees own everything)."""
    items = [item for section in assessment.overdue for item in section.open_required]
    found = hidden.owners_of_lines(assessment.tracked.issue.description, (i.line for i in items))
    return tuple(found.get(item.line) for item in items)


def nudge_owners(
    team: Team, assignees: Sequence[str], owned: Sequence[str | None] = ()
) -> tuple[str, ...]:
    """Who a nudge mentions: the owner of each overdue item (`owned`, from
    `item_owners`), the assignees for an item without one (or when `owned`
    is empty). Nobody the roster marks as left is nudged (README "Departures
    and undo"): a departed owner's items go to their manager, if active; of
    several assignees only those still here, and their managers when every
    one has left; otherwise nobody (the dashboard still lists the issue as
    overdue). Someone not on the roster at all is nudged: handover sellers
    need not be on this team's roster."""

    def left(username: str) -> bool:
        member = team.member(username)
        return member is not None and member.status != "active"

    def of(group: Sequence[str]) -> tuple[str, ...]:
        staying = tuple(a for a in group if not left(a))
        if staying:
            return staying
        managers = {m.manager for a in group if (m := team.member(a)) and m.manager}
        return tuple(sorted(x for x in managers if not left(x)))

    groups = [(owner,) if owner else tuple(assignees) for owner in owned] or [tuple(assignees)]
    found: list[str] = []
    for group in groups:
        found.extend(x for x in of(group) if x not in found)
    return tuple(found)


def has_left(team: Team, tracked: Tracked) -> bool:
    """Whether an onboarding or Give Back issue belongs to someone no longer
    active on the roster."""
    if tracked.marker.workflow not in (onboarding.ONBOARDING, onboarding.GIVE_BACK):
        return False
    member = team.member(onboarding.username_of(tracked.marker.key))
    return member is None or member.status != "active"


def _summary(assessment: Assessment, fp: str) -> str:
    checklist = assessment.checklist
    return (
        f"All required items are done ({checklist.completed_count} of {checklist.count} "
        "checklist items completed). Nice work: salesbot marked this issue complete.\n\n"
        f"{hidden.completion(fp)}"
    )


def _nudge(
    env: Environment,
    team: Team,
    assessment: Assessment,
    owners: Sequence[str],
    *,
    escalate: bool,
) -> Comment:
    issue = assessment.tracked.issue
    lines = []
    listed: set[int] = set()
    for section in assessment.overdue:
        # an item due early (onboarding.early_items) is also in its phase: once
        items = [i for i in section.open_required if i.line not in listed]
        listed.update(i.line for i in items)
        if not items:
            continue
        heading = (
            f"**{neutralise(section.title)}** (due {section.due})"
            if section.title
            else (f"due {section.due}")
        )
        lines.append(f"Open required items, {heading}:")
        # an item's owner comment is part of its text (automation.hidden): not shown
        lines.extend(
            f"- {neutralise(hidden.COMMENT_RE.sub('', item.text).strip())}" for item in items
        )
    mentions = " ".join(f"@{o}" for o in owners)
    body = [f"{mentions}: this issue is behind plan.", "", *lines]
    if escalate:
        # an owner's manager, even when they own a section too (an onboarding
        # plan's manager owns the buddy item and is escalated to for the rest)
        managers = sorted(
            {
                m.manager
                for o in owners
                if (m := team.member(o)) is not None and m.manager and m.manager != o
            }
        )
        if managers:
            body += [
                "",
                f"Escalating to {' '.join('@' + m for m in managers)} after "
                f"{env.config.nudges.escalate_after} reminders without activity.",
            ]
    body += ["", hidden.nudge(env.today)]
    return Comment(IssueRef(iid=issue.iid), "\n".join(body), reason="nudge")


def close_duplicates(duplicates: Sequence[Duplicate], env: Environment) -> list[Step]:
    """Two runs at once can open one key twice: keep the oldest, close the rest."""
    steps = []
    for dup in duplicates:
        if dup.extra.issue.is_open:
            # duplicate outranks every status: the others go, as on Premium
            change = status_change(env.labels, dup.extra.issue.labels, "duplicate")
            assert change is not None
            comment = Comment(
                IssueRef(iid=dup.extra.issue.iid),
                f"Duplicate of {dup.kept.issue.reference}: salesbot keeps the oldest issue "
                "for each key.",
                reason="duplicate",
                add_labels=change.add,
                remove_labels=change.remove,
                close=True,
            )
            steps.append(Step(dup.extra.marker.workflow, comment))
    return steps
