"""The JSON report's trends and cycle times (`ReportDoc.trends`,
`ReportDoc.cycle_times`): pydantic models published with the report's schema."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from automation.report import cycle, history
from automation.report.model import Snapshot


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TrendWeekDoc(_Model):
    week: str = Field(description="ISO week, e.g. 2026-W49")
    start: dt.date = Field(description="its Monday")
    open: int = Field(description="open issues at the week's last refresh")
    overdue: int
    completed: int = Field(description="issues closed that week")
    completed_on_time: int = Field(description="of those, closed by their due date")
    nudges: int = Field(description="nudges the runs of that week posted")


class SpreadDoc(_Model):
    count: int
    median: float | None = Field(description="days; null when nothing was measured")
    p90: float | None = Field(description="days, 90th percentile (nearest rank)")


class CycleTimesDoc(_Model):
    handover: SpreadDoc = Field(description="opened to closed")
    onboarding_phase: SpreadDoc = Field(
        description="day a phase was first seen done minus its due date"
    )
    consult: SpreadDoc = Field(
        description="consult / LDR closed minus the deal's close date (negative: before)"
    )
    completed: int = Field(description="issues closed since the history began")
    nudges: int = Field(description="nudges those issues had received")
    nudges_per_completed: float | None


def _spread(s: cycle.Spread) -> SpreadDoc:
    return SpreadDoc(count=s.count, median=s.median, p90=s.p90)


def fields(snapshot: Snapshot) -> dict[str, Any]:
    """`trends` and `cycle_times` of the report (null without a dashboard's history)."""
    if history.no_history(snapshot):
        return {"trends": None, "cycle_times": None}
    kept, weeks = history.weekly(snapshot)
    times = cycle.cycle_times(kept, snapshot.closed)
    return {
        "trends": [
            TrendWeekDoc(
                week=w.week,
                start=w.start,
                open=w.open,
                overdue=w.overdue,
                completed=w.completed,
                completed_on_time=w.completed_on_time,
                nudges=w.nudges,
            )
            for w in weeks
        ],
        "cycle_times": CycleTimesDoc(
            handover=_spread(times.handover),
            onboarding_phase=_spread(times.onboarding_phase),
            consult=_spread(times.consult),
            completed=times.completed,
            nudges=times.nudges,
            nudges_per_completed=times.nudges_per_completed,
        ),
    }
