"""The HTML report's charts, drawn with matplotlib as inline SVG.

matplotlib is imported here only, and this module only when an HTML report is
rendered (`automation.report.html`), so the dashboard, `salesbot run` and the
other report formats never pay for it. The Agg backend and the object API
(`matplotlib.figure.Figure`, no pyplot and its global state) draw without a
display. Text is drawn as paths (`svg.fonttype: path`), so the page needs no
font, and the SVG is stripped of its XML prolog and of matplotlib's metadata;
a fixed `svg.hashsalt` makes the same figures give the same file. The SVG is
inline in the page: nothing is fetched (`url(#...)` in it names its own clip
paths).

Names a person typed (managers) reach matplotlib only through `_label`:
matplotlib reads `$...$` as mathematical text, so `$` is escaped, and the
label is cut to a readable length.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

from automation.report.cycle import CycleTimes
from automation.report.history import TrendWeek
from automation.report.model import Snapshot, Totals

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

BLUE, RED, GREEN, GREY = "#1f75cb", "#c91c00", "#108548", "#737278"
_PROLOG_RE = re.compile(r"\A.*?(?=<svg\b)", re.DOTALL)
_METADATA_RE = re.compile(r"<metadata>.*?</metadata>\s*", re.DOTALL)
MAX_LABEL = 28
MAX_MANAGERS = 20
MAX_TICKS = 10


def _figure(width: float, height: float) -> Figure:
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams.update(
        {
            "svg.fonttype": "path",
            "svg.hashsalt": "salesbot",
            "font.size": 9,
            "axes.spines.top": False,
            "axes.spines.right": False,
        }
    )
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def _svg(figure: Figure, title: str) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    text = _METADATA_RE.sub("", _PROLOG_RE.sub("", buffer.getvalue(), count=1), count=1)
    # an accessible name for the chart (our own words, no user text)
    return text.replace("<svg ", f'<svg role="img" aria-label="{title}" ', 1).strip()


def _week_label(day: date) -> str:
    return day.strftime("%d %b %y")


def _label(text: str) -> str:
    short = text if len(text) <= MAX_LABEL else f"{text[: MAX_LABEL - 1]}…"
    return short.replace("\\", "\\\\").replace("$", r"\$")


def _legend(axes: Axes, columns: int) -> None:
    """The legend above the plot, on the right: never over a bar or a line."""
    axes.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), ncols=columns, frameon=False)


def _integers(axes: Axes, *, horizontal: bool = False) -> None:
    """Whole-number ticks: these are counts of issues."""
    from matplotlib.ticker import MaxNLocator

    (axes.xaxis if horizontal else axes.yaxis).set_major_locator(MaxNLocator(integer=True))


def trend_svg(weeks: Sequence[TrendWeek]) -> str:
    """Open, overdue and completed-on-time issues per week."""
    figure = _figure(10.5, 3.2)
    axes = figure.add_subplot()
    starts: list[date] = [w.start for w in weeks]
    days = list(range(len(starts)))
    step = max(1, -(-len(starts) // MAX_TICKS))
    axes.set_xticks(days[::step], [_week_label(d) for d in starts[::step]])
    axes.plot(days, [w.open for w in weeks], marker="o", color=BLUE, label="open")
    axes.plot(days, [w.overdue for w in weeks], marker="o", color=RED, label="overdue")
    axes.plot(
        days,
        [w.completed_on_time for w in weeks],
        marker="o",
        color=GREEN,
        label="completed on time",
    )
    axes.set_title("Per week (week starting)", loc="left")
    axes.set_ylim(bottom=0)
    _integers(axes)
    _legend(axes, 3)
    return _svg(figure, "Open, overdue and completed on time per week")


def _bars(title: str, names: Sequence[str], opened: Sequence[int], late: Sequence[int]) -> str:
    figure = _figure(10.5, 0.9 + 0.34 * max(len(names), 2))
    axes = figure.add_subplot()
    places = range(len(names))
    axes.barh(places, opened, color=BLUE, label="open")
    axes.barh(places, late, color=RED, label="of which overdue")
    axes.set_yticks(list(places), [_label(n) for n in names])
    axes.invert_yaxis()
    axes.set_title(title, loc="left")
    _integers(axes, horizontal=True)
    _legend(axes, 2)
    return _svg(figure, title)


def workflows_svg(totals: Sequence[Totals]) -> str:
    """Open and overdue issues per workflow."""
    return _bars(
        "Open and overdue per workflow",
        [t.title for t in totals],
        [t.open for t in totals],
        [t.overdue for t in totals],
    )


def managers_svg(snapshot: Snapshot) -> str | None:
    """Open and overdue issues per manager's team (the first MAX_MANAGERS)."""
    managers = snapshot.managers()[:MAX_MANAGERS]
    if not managers:
        return None
    names, opened, late = [], [], []
    for manager in managers:
        part = snapshot.for_manager(manager)
        names.append(manager.name if manager else "No manager")
        opened.append(len(part.rows))
        late.append(sum(1 for r in part.rows if r.overdue))
    return _bars("Open and overdue per manager's team", names, opened, late)


def cycle_svg(cycle: CycleTimes) -> str | None:
    """Median and 90th percentile of each cycle time that has measurements."""
    spreads = [
        ("Handover: opened to closed", cycle.handover),
        ("Onboarding phase: done vs due", cycle.onboarding_phase),
        ("Consult: closed vs deal close", cycle.consult),
    ]
    shown = [(name, s) for name, s in spreads if s.count]
    if not shown:
        return None
    figure = _figure(10.5, 1.0 + 0.55 * len(shown))
    axes = figure.add_subplot()
    places = range(len(shown))
    axes.barh(
        [p + 0.2 for p in places], [s.p90 or 0 for _, s in shown], 0.4, color=GREY, label="p90"
    )
    axes.barh(
        [p - 0.2 for p in places],
        [s.median or 0 for _, s in shown],
        0.4,
        color=BLUE,
        label="median",
    )
    axes.set_yticks(list(places), [name for name, _ in shown])
    axes.invert_yaxis()
    axes.axvline(0, color="#999", linewidth=0.8)
    axes.set_title("Cycle times (days)", loc="left")
    _legend(axes, 2)
    return _svg(figure, "Cycle times in days")
