"""Cycle times: how long the work takes, from the listing and the history block.

- handover: opened to closed, in days (the listing's created and closed dates);
- onboarding phase: the day a phase was first seen done minus its due date
  (recorded by the refreshes into `automation.report.history`; a run sees a
  completion on the day it runs, so with a daily run the figure is exact to a
  day, with a weekly one to a week);
- consult / LDR: closed relative to the deal's close date (`Row.close_date`,
  from the export): negative is before the deal closed;
- nudges per completed issue: the nudges the runs posted on the issues that
  closed while history was kept, over the issues that closed since then.

Each spread is a count, a median and a 90th percentile (nearest rank).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from automation import registry
from automation.report.history import History
from automation.report.model import Row


@dataclass(frozen=True)
class Spread:
    """Days: how many measured, the median and the 90th percentile (None when none)."""

    count: int
    median: float | None
    p90: float | None


def spread(values: Iterable[int]) -> Spread:
    found = sorted(values)
    if not found:
        return Spread(0, None, None)
    rank = max(math.ceil(0.9 * len(found)) - 1, 0)
    return Spread(len(found), float(statistics.median(found)), float(found[rank]))


@dataclass(frozen=True)
class CycleTimes:
    handover: Spread
    onboarding_phase: Spread
    consult: Spread
    completed: int  # issues closed since the history began
    nudges: int  # nudges those issues had received
    nudges_per_completed: float | None


def handover_days(closed: Sequence[Row]) -> list[int]:
    return [
        (r.closed_on - r.opened).days
        for r in closed
        if r.workflow == registry.HANDOVER.name and r.opened and r.closed_on
    ]


def consult_days(closed: Sequence[Row]) -> list[int]:
    return [
        (r.closed_on - r.close_date).days
        for r in closed
        if r.workflow == registry.OPPORTUNITY.name and r.close_date and r.closed_on
    ]


def cycle_times(history: History, closed: Sequence[Row]) -> CycleTimes:
    """The cycle times of the closed issues and of the phases the history saw done."""
    since = history.since
    completed = sum(1 for r in closed if r.closed_on and r.closed_on >= since)
    nudges = sum(w.completed_nudges for w in history.weeks)
    return CycleTimes(
        handover=spread(handover_days(closed)),
        onboarding_phase=spread(d for w in history.weeks for d in w.phase_days),
        consult=spread(consult_days(closed)),
        completed=completed,
        nudges=nudges,
        nudges_per_completed=round(nudges / completed, 2) if completed else None,
    )
