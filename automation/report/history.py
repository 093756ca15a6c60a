"""The dashboard's history: weekly figures and the facts a later run cannot
recover, kept in one hidden block of the dashboard issue's description.

Where it lives. The listing (`Bot.listing()`) already reads the dashboard
issue, so history costs no request at all: a run reads the block from the
listing, updates it (pure: `update`) and the dashboard write carries it
(`<!-- salesbot:history {JSON} -->`, next to the marker). The dashboard is
written only when its content changed, so a same-day rerun that finds the
same figures writes nothing.

What it holds (`History`):

- one `Week` per ISO week, the current week's replaced on each refresh:
  open and overdue issues as that day's listing counts them (a past week's
  figures cannot be read back from GitLab later), the nudges the runs of that
  week posted, the onboarding phases first seen done that week (days after
  their due date) and the nudges of the issues closed that week;
- the open onboarding plans' phases already seen done (`phases`), so a
  completion is counted once, in the week it was first seen;
- the open issues' nudge counts (`nudged`), moved into the week an issue
  closes in.

What is not kept: anything the listing gives again on every run (created and
closed dates, due dates): completions per week and handover / consult cycle
times are computed from it (`automation.report.cycle`).

Bounded: at most `MAX_WEEKS` (104) weeks, `MAX_PHASE_DAYS` completions per
week, and the per-issue maps hold open issues only. Should the block still
exceed `MAX_CHARS` (a team with many thousands of open, nudged issues), the
oldest issues' nudge counts are dropped first. GitLab caps a description at
1,048,576 characters; the rest of the dashboard is capped by `max_rows`.

A person who edits the block so it no longer reads is not an error: the
history restarts that day (`History.reset`) and the dashboard says so for
`RESET_NOTICE_DAYS` days.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from automation import hidden
from automation.report.model import Row, Snapshot

MAX_WEEKS = 104
MAX_PHASE_DAYS = 500
MAX_CHARS = 100_000
RESET_NOTICE_DAYS = 7
BLOCK_START = hidden.HISTORY_START
_WEEK_RE = r"^\d{4}-W\d{2}$"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Week(_Model):
    """One ISO week's figures, as the last refresh of that week saw them."""

    week: str = Field(pattern=_WEEK_RE, description="ISO week, e.g. 2026-W49")
    open: int = Field(ge=0)
    overdue: int = Field(ge=0)
    nudges: int = Field(default=0, ge=0, description="nudges the runs of that week posted")
    phase_days: tuple[int, ...] = Field(
        default=(),
        description="onboarding phases first seen done that week: days after their due date",
    )
    completed_nudges: int = Field(
        default=0, ge=0, description="nudges the issues that closed that week had received"
    )


class History(_Model):
    v: Literal[1] = 1
    since: date = Field(description="the first day recorded")
    reset: date | None = Field(default=None, description="the day an unreadable block was reset")
    weeks: tuple[Week, ...] = ()
    # open onboarding plans (iid) -> (their number of phases, *indices already seen done)
    phases: dict[str, tuple[int, ...]] = Field(default_factory=dict)
    # open issues (iid) -> nudges the runs posted on them since `since`
    nudged: dict[str, int] = Field(default_factory=dict)


@dataclass(frozen=True)
class Found:
    """The block a dashboard description holds: none, a history, or unreadable."""

    history: History | None = None
    malformed: bool = False


def read(description: str | None) -> Found:
    """The history block of a dashboard description. A block a person mangled
    (bad JSON, wrong fields, an unclosed comment) is `malformed`, never an error."""
    text = hidden.history_text(description or "")
    if text is None:
        return Found()
    try:
        return Found(History.model_validate(json.loads(text)))
    except (ValueError, ValidationError):
        return Found(malformed=True)


def render(history: History) -> str:
    """The block as one HTML comment. `<`, `>`, `@` are JSON-escaped: nothing in
    it can close the comment early or mention anyone."""
    data = history.model_dump(mode="json", exclude_defaults=True)
    data["v"] = history.v
    data["since"] = history.since.isoformat()
    text = json.dumps(data, separators=(",", ":"), sort_keys=True, ensure_ascii=True)
    for char in "<>@":
        text = text.replace(char, f"\\u{ord(char):04x}")
    return hidden.history(text)


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def monday(week: str) -> date:
    return date.fromisocalendar(int(week[:4]), int(week[6:]), 1)


def nudges_posted(targets: Iterable[int]) -> tuple[tuple[int, int], ...]:
    """Nudge notes posted, one iid per note, as (iid, count) pairs."""
    counts: dict[int, int] = {}
    for iid in targets:
        counts[iid] = counts.get(iid, 0) + 1
    return tuple(sorted(counts.items()))


def _phase_updates(
    base: History, first: bool, snapshot: Snapshot
) -> tuple[dict[str, tuple[int, ...]], list[int]]:
    """The open plans' phases seen done, and the days late of those seen done first now."""
    phases: dict[str, tuple[int, ...]] = {}
    late: list[int] = []
    today = snapshot.today
    for hire in snapshot.cohort:
        key = str(hire.row.iid)
        done = tuple(i for i, bar in enumerate(hire.phases) if bar.state == "done")
        kept = base.phases.get(key)
        seen = kept[1:] if kept else ()
        # A plan not seen before was opened since the last refresh, so its
        # phases were done since then; on the first refresh ever, the day is unknown.
        if kept is not None or not first:
            late += [(today - hire.phases[i].due).days for i in done if i not in seen]
        phases[key] = (len(hire.phases), *done)
    closed: dict[str, Row] = {str(r.iid): r for r in snapshot.closed}
    for key, kept in base.phases.items():
        row = closed.get(key)
        # A plan closes when its last phase is done: that phase was done by the
        # closing day, unless it was already seen done.
        unseen = not kept or len(kept) - 1 < kept[0]
        if row is not None and row.due and row.closed_on and unseen:
            late.append((row.closed_on - row.due).days)
    return phases, late


def update(found: Found, snapshot: Snapshot, run_nudges: Iterable[tuple[int, int]] = ()) -> History:
    """The history after this refresh (pure): this week's entry replaced by
    today's figures, the nudges `run_nudges` posted added, phase completions and
    closings first seen today recorded. Same inputs, same result: a second
    refresh on the same day with nothing new changes nothing."""
    today = snapshot.today
    first = found.history is None
    base = found.history or History(since=today)
    reset = today if found.malformed else base.reset
    week = iso_week(today)
    entry = next((w for w in base.weeks if w.week == week), None)
    posted = dict(run_nudges)
    open_ids = {str(r.iid) for r in snapshot.rows}
    closed_ids = {str(r.iid) for r in snapshot.closed}
    nudged: dict[str, int] = {}
    closed_nudges = 0
    for key, count in base.nudged.items():
        if key in open_ids:
            nudged[key] = count
        elif key in closed_ids:
            closed_nudges += count
    for iid, count in posted.items():
        if str(iid) in open_ids:
            nudged[str(iid)] = nudged.get(str(iid), 0) + count
    phases, late = _phase_updates(base, first, snapshot)
    earlier = entry.phase_days if entry else ()
    new = Week(
        week=week,
        open=len(snapshot.rows),
        overdue=sum(1 for r in snapshot.rows if r.overdue),
        nudges=(entry.nudges if entry else 0) + sum(posted.values()),
        phase_days=(*earlier, *late)[-MAX_PHASE_DAYS:],
        completed_nudges=(entry.completed_nudges if entry else 0) + closed_nudges,
    )
    weeks = sorted([*(w for w in base.weeks if w.week != week), new], key=lambda w: w.week)
    history = History(
        since=min(base.since, today),
        reset=reset,
        weeks=tuple(weeks[-MAX_WEEKS:]),
        phases=phases,
        nudged=nudged,
    )
    return bounded(history)


def bounded(history: History) -> History:
    """At most MAX_CHARS rendered: the oldest issues' nudge counts go first,
    then the oldest plans' phases."""
    if len(render(history)) <= MAX_CHARS:
        return history
    nudged = sorted(history.nudged.items(), key=lambda kv: int(kv[0]))
    phases = sorted(history.phases.items(), key=lambda kv: int(kv[0]))
    while len(render(history)) > MAX_CHARS and (nudged or phases):
        if nudged:
            nudged = nudged[len(nudged) // 4 + 1 :]
        else:
            phases = phases[len(phases) // 4 + 1 :]
        history = history.model_copy(update={"nudged": dict(nudged), "phases": dict(phases)})
    return history


def current(snapshot: Snapshot) -> History:
    """The history as this snapshot's refresh writes it."""
    return update(snapshot.history_found or Found(), snapshot, snapshot.run_nudges)


def reset_notice(history: History, today: date) -> str | None:
    """The words shown while a reset is recent: a person edited the block."""
    if history.reset is None or today - history.reset > timedelta(days=RESET_NOTICE_DAYS):
        return None
    return (
        f"The history kept in this issue could not be read on {history.reset} (it was "
        "edited by hand), so the trends restart from that day. Edit only the boxes."
    )


@dataclass(frozen=True)
class TrendWeek:
    """One week of the trend: stored figures and the completions the listing gives."""

    week: str
    start: date
    open: int
    overdue: int
    completed: int
    completed_on_time: int
    nudges: int


def completed_in(rows: Iterable[Row], week: str) -> tuple[int, int]:
    """Issues closed in an ISO week, and how many of those by their due date."""
    done = [r for r in rows if r.closed_on and iso_week(r.closed_on) == week]
    on_time = sum(1 for r in done if r.due is None or (r.closed_on and r.closed_on <= r.due))
    return len(done), on_time


def trends(history: History, closed: Iterable[Row]) -> list[TrendWeek]:
    """The weekly trend, oldest week first."""
    rows = list(closed)
    by_week: dict[str, list[Row]] = {}
    for row in rows:
        if row.closed_on:
            by_week.setdefault(iso_week(row.closed_on), []).append(row)
    found = []
    for w in history.weeks:
        done, on_time = completed_in(by_week.get(w.week, ()), w.week)
        found.append(TrendWeek(w.week, monday(w.week), w.open, w.overdue, done, on_time, w.nudges))
    return found


def weekly(snapshot: Snapshot) -> tuple[History, list[TrendWeek]]:
    """The history this refresh writes and the trend it shows."""
    history = current(snapshot)
    return history, trends(history, snapshot.closed)


def day_of(timestamp: str | None) -> date | None:
    """The day of one of GitLab's ISO timestamps (`2026-12-03T09:00:00.000Z`)."""
    if not timestamp:
        return None
    try:
        return date.fromisoformat(timestamp[:10])
    except ValueError:
        return None


def no_history(snapshot: Snapshot) -> bool:
    """True for a snapshot built without reading a dashboard (tests, tools)."""
    return snapshot.history_found is None
