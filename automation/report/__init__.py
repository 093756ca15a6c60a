"""The figures about the bot's work, and the report files made of them.

`figures(env, team, listing, project)` turns one listing of every bot
issue (`Bot.listing()`: one request per 100 issues, closed ones included;
`salesbot run` shares it with the syncs, the sweep and the dashboard) into a
`Snapshot`: per open issue its owner, manager, phase, progress, due date and status, worked out with
`automation.workflows.sweep.assess` so the figures agree with the sweep's
labels and nudges; the onboarding cohort's phases; and the Give Back projects
(finished ones too, for the adoption figures). The dashboard issue
(`automation.dashboard`) and `salesbot report` both render a snapshot.

`salesbot report --format md|html|json [--out FILE]`:

- **md**: the dashboard's content without its action checkboxes.
- **html**: one self-contained page (inline CSS, no scripts, nothing fetched
  from the network) with progress bars and a per-workflow summary.
- **json**: for other tools. The shape is stable within a `version`; a
  change that could break a reader bumps it, new keys may appear within one.

All three start with the "Needs attention" section when the last `salesbot
run` had failed actions (`automation.attention`).

Modules: `model` (the records), `figures` (the pure computation), `markdown`
(the report, the dashboard body and the cells the Slack digest shares),
`html` (an autoescaped Jinja template in `templates/`), `document` (the JSON
report as pydantic models; `salesbot report schema` prints its JSON Schema;
see `document.ReportDoc` for every field), `rollups` (per manager and per
seller: open, overdue, days overdue, completed on time) and `facts` (a
consult's or LDR's deal facts, read from the hidden line the consults
planner keeps on the issue).
see `document.ReportDoc` for every field); `history` (the dashboard's
history block: weekly figures, bounded, at no extra request), `cycle` (cycle
times), `mermaid` (the Trends section's chart), `charts` (the HTML report's
matplotlib SVG, imported only for HTML), `history_doc` (trends and cycle
times in JSON).
"""

from __future__ import annotations

import json
from datetime import date
from typing import TYPE_CHECKING

from automation.report.document import schema, to_json
from automation.report.figures import attention_of, build, figures
from automation.report.html import render_html
from automation.report.markdown import (
    ActionLines,
    attention_markdown,
    cell,
    gantt,
    issue_table,
    render_markdown,
    summary_table,
)
from automation.report.model import (
    DUE_SOON_DAYS,
    FORMATS,
    REPORT_VERSION,
    STATUS_TEXT,
    TITLES,
    WORKFLOWS,
    Hire,
    Person,
    PhaseBar,
    Row,
    Snapshot,
    Totals,
)

if TYPE_CHECKING:
    from automation.bot import Bot

__all__ = [
    "DUE_SOON_DAYS",
    "FORMATS",
    "REPORT_VERSION",
    "STATUS_TEXT",
    "TITLES",
    "WORKFLOWS",
    "ActionLines",
    "Hire",
    "Person",
    "PhaseBar",
    "Row",
    "Snapshot",
    "Totals",
    "attention_markdown",
    "attention_of",
    "build",
    "cell",
    "collect",
    "figures",
    "gantt",
    "issue_table",
    "render",
    "render_html",
    "render_markdown",
    "schema",
    "summary_table",
    "to_json",
]


def collect(bot: Bot, today: date) -> Snapshot:
    """The figures as of `today` from one listing the bot reads."""
    return figures(bot.env(today), bot.team, bot.listing(), bot.api.settings.project)


def render(snapshot: Snapshot, fmt: str, *, rollup_threshold: int, title: str) -> str:
    """The report in one of FORMATS."""
    if fmt == "md":
        return render_markdown(snapshot, rollup_threshold=rollup_threshold, title=title)
    if fmt == "html":
        return render_html(snapshot, title=title)
    if fmt == "json":
        return json.dumps(to_json(snapshot), indent=2, ensure_ascii=False) + "\n"
    raise ValueError(f"unknown report format {fmt!r}")
