"""The HTML report: one self-contained page rendered by an autoescaped Jinja
template shipped in the package (`templates/report.html.j2`, with its inline
CSS `templates/report.css`). No HTML is assembled in Python."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from importlib import resources

import jinja2
from markupsafe import Markup

from automation import registry
from automation.report import cycle, history
from automation.report.markdown import adoption_line, days_words, run_words, status_words
from automation.report.model import Row, Snapshot
from automation.report.rollups import Rollup, by_manager, by_seller


@cache
def _environment() -> jinja2.Environment:
    # the templates ship in the package: read them with importlib.resources
    folder = resources.files("automation.report") / "templates"
    sources = {
        name: folder.joinpath(name).read_text(encoding="utf-8")
        for name in ("report.html.j2", "report.css")
    }
    env = jinja2.Environment(
        loader=jinja2.DictLoader(sources),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    env.globals.update(
        percent=_percent,
        yes=lambda flag: "yes" if flag else "no",
        status_text=_status_text,
        adoption_line=adoption_line,
        adopted_share=_adopted_share,
        on_time=_on_time,
        days_words=days_words,
        OPPORTUNITY=registry.OPPORTUNITY.name,
        # workflow names as automation.registry spells them
        GIVE_BACK=registry.GIVE_BACK.name,
        ONBOARDING=registry.ONBOARDING.name,
    )
    return env


def _percent(fraction: float) -> int:
    return int(min(max(fraction, 0.0), 1.0) * 100)


def _status_text(row: Row) -> str:
    return status_words(row) if row.is_open else "complete (closed)"


def _on_time(found: Rollup) -> str:
    share = found.on_time
    if share is None:
        return "—"
    return f"{int(share * 100)}% ({found.closed_on_time}/{found.closed_with_due})"


def _adopted_share(rows: Sequence[Row]) -> float:
    return sum(1 for r in rows if r.adopted) / len(rows) if rows else 0.0


def _charts(snapshot: Snapshot) -> dict[str, object]:
    """The charts (matplotlib SVG, `automation.report.charts`) and the cycle
    times' table; charts are our own SVG, marked safe."""
    from automation.report import charts

    drawn = [charts.workflows_svg(snapshot.totals()), charts.managers_svg(snapshot)]
    cycle_rows: list[tuple[str, str, str, str]] = []
    nudges = notice = ""
    if not history.no_history(snapshot):
        kept, weeks = history.weekly(snapshot)
        notice = history.reset_notice(kept, snapshot.today) or ""
        times = cycle.cycle_times(kept, snapshot.closed)
        drawn = [charts.trend_svg(weeks), *drawn, charts.cycle_svg(times)]
        for what, s in (
            ("Handover, opened to closed", times.handover),
            ("Onboarding phase, done after its due date", times.onboarding_phase),
            ("Consult / LDR, closed after the deal's close date", times.consult),
        ):
            cycle_rows.append((what, str(s.count), _days(s.median), _days(s.p90)))
        per = times.nudges_per_completed
        nudges = (
            f"Nudges per completed issue: {'—' if per is None else f'{per:g}'} "
            f"({times.nudges} nudges, {times.completed} issues completed since history began)."
        )
    return {
        "charts": [Markup(svg) for svg in drawn if svg],
        "cycle_rows": cycle_rows,
        "nudges_words": nudges,
        "history_notice": notice,
    }


def _days(value: float | None) -> str:
    return "—" if value is None else f"{value:g}"


def render_html(snapshot: Snapshot, *, title: str = "salesbot report") -> str:
    """One self-contained page: inline CSS, no scripts, no external resources."""
    env = _environment()
    css = env.loader.get_source(env, "report.css")[0] if env.loader else ""
    words = run_words(snapshot.attention).replace("`", "") if snapshot.attention else ""
    page = env.get_template("report.html.j2").render(
        snapshot=snapshot,
        totals=snapshot.totals(),
        title=title,
        css=Markup(css),  # our own file, shipped in the package: not user text
        attention_words=words,
        managers=by_manager(snapshot),
        sellers=by_seller(snapshot),
        **_charts(snapshot),
    )
    return page.rstrip("\n") + "\n"
