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
    )
    return page.rstrip("\n") + "\n"
