"""The trend as Markdown: a Mermaid `xychart-beta` that GitLab renders, and
the recent weeks as a table (the figures for readers whose GitLab's Mermaid
predates xy charts: `xychart-beta` arrived in Mermaid 10.6.0, mermaid-js
release notes; such a GitLab shows the block as code).

Only our own figures and ISO week names go into the chart: no text a person
typed, so nothing needs escaping. 104 weeks make about 2 KB.
"""

from __future__ import annotations

from collections.abc import Sequence

from automation.report.cycle import CycleTimes, Spread
from automation.report.history import TrendWeek

TABLE_WEEKS = 8


def trend_chart(weeks: Sequence[TrendWeek]) -> list[str]:
    """Open issues (bars) and overdue ones (line) per week."""
    if not weeks:
        return []
    top = max(max(w.open for w in weeks), 1)
    labels = ", ".join(f'"{w.week[2:]}"' for w in weeks)
    return [
        "```mermaid",
        "xychart-beta",
        '    title "Open (bars) and overdue (line) per week"',
        f"    x-axis [{labels}]",
        f'    y-axis "Issues" 0 --> {top}',
        f"    bar [{', '.join(str(w.open) for w in weeks)}]",
        f"    line [{', '.join(str(w.overdue) for w in weeks)}]",
        "```",
    ]


def trend_table(weeks: Sequence[TrendWeek]) -> list[str]:
    lines = [
        "| Week of | Open | Overdue | Completed | On time | Nudges |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for w in list(weeks)[-TABLE_WEEKS:]:
        lines.append(
            f"| {w.start} | {w.open} | {w.overdue} | {w.completed} | {w.completed_on_time} "
            f"| {w.nudges} |"
        )
    return lines


def _days(value: float | None) -> str:
    return "—" if value is None else f"{value:g}"


def _spread_row(what: str, s: Spread) -> str:
    return f"| {what} | {s.count} | {_days(s.median)} | {_days(s.p90)} |"


def cycle_table(cycle: CycleTimes) -> list[str]:
    per = cycle.nudges_per_completed
    return [
        "| Cycle time (days) | Measured | Median | 90th percentile |",
        "|---|---:|---:|---:|",
        _spread_row("Handover, opened to closed", cycle.handover),
        _spread_row("Onboarding phase, done after its due date", cycle.onboarding_phase),
        _spread_row("Consult / LDR, closed after the deal's close date", cycle.consult),
        "",
        f"Nudges per completed issue: {'—' if per is None else f'{per:g}'} "
        f"({cycle.nudges} nudges, {cycle.completed} issues completed since history began).",
    ]


def trends_markdown(
    weeks: Sequence[TrendWeek], cycle: CycleTimes, notice: str | None, level: str = "##"
) -> list[str]:
    """The "Trends" section of the dashboard and the Markdown report."""
    lines = ["", f"{level} Trends", ""]
    if notice:
        lines += [f"> {notice}", ""]
    lines += [*trend_chart(weeks), "", *trend_table(weeks), "", *cycle_table(cycle)]
    return lines
