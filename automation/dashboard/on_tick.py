"""A tick on the dashboard, carried out by the webhook receiver for what the
ticked boxes need, never a listing of every bot issue.

`salesbot dashboard` (and the end of `salesbot run`) reads the listing because
it redraws the figures. A tick only needs the dashboard (already read by the
receiver), its notes (who ticked), each issue a ticked box names (one GET
each), those issues' notes (an action already carried out), and, for a
reassign, the person. The ticked actions are planned by the same pure
planner (`plan.plan_ticks`, on figures built from just those issues) and
carried out by the same code (`carry_out`); then the dashboard is edited
where the boxes are: each box carried out unticked and offered afresh, and
the explanation of a tick GitLab did not credit added. The figures stay as
the last scheduled run drew them; that run redraws them and finds nothing
more to carry out.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

from automation.actions import EditIssue, IssueRef, Plan
from automation.applier import Report, same_text
from automation.dashboard import Prepared, carry_out
from automation.dashboard.boxes import (
    INTRO,
    WORKFLOW,
    DashboardSettings,
    Notice,
    merge_notices,
    next_offer,
    notice_lines,
    read_notices,
    settings_for,
)
from automation.dashboard.plan import plan_ticks
from automation.dashboard.reading import Reading, with_requests
from automation.dashboard.ticks import requesters, ticked
from automation.errors import NotFoundError
from automation.hidden import OFFERED_BOX_RE, offered_box
from automation.index import Listing
from automation.records import Issue
from automation.report import figures

if TYPE_CHECKING:
    from automation.bot import Bot

NOTICES_HEADER = "**Ticks GitLab did not credit.**"


def read_ticked(bot: Bot, today: date, board: Issue, settings: DashboardSettings) -> Reading:
    """What the ticked boxes of `board` need, read one issue at a time."""
    env = bot.env(today)
    me = bot.api.me().username
    requests = requesters(ticked(board.description), bot.api.iter_notes(board.iid), me)
    named: list[Issue] = []
    for iid in sorted({r.iid for r in requests}):
        try:
            named.append(bot.api.get_issue(iid))
        except NotFoundError:
            continue  # deleted: "not a salesbot issue", as the full reading says
    listing = Listing.of([board, *named], me)
    snapshot = figures(env, bot.team, listing, bot.api.settings.project)
    base = Reading(env, settings, me, bot.config.labels.bot, listing, snapshot, board)
    return with_requests(bot, base, requests, listing.index())


def release(
    description: str,
    done: frozenset[str],
    today: date,
    settings: DashboardSettings,
    notices: Sequence[Notice] = (),
) -> str:
    """`description` with the `done` boxes unticked and offered afresh (a next
    tick is a new action), and `notices` merged into its explanations."""
    lines = description.split("\n")
    for number, line in enumerate(lines):
        match = OFFERED_BOX_RE.search(line)
        if match is None or match["key"] not in done or not line.lstrip().startswith("- ["):
            continue
        start = line.index("- [")
        fresh = offered_box(next_offer(match["offered"], today), match["key"])
        line = f"{line[:start]}- [ ]{line[start + 5 :]}"
        lines[number] = line.replace(match[0], fresh, 1)
    body = "\n".join(lines)
    return _with_notices(body, notices, today, settings) if notices else body


def _with_notices(
    body: str, notices: Sequence[Notice], today: date, settings: DashboardSettings
) -> str:
    """The explanations paragraph after the intro, as `boxes.render` writes it."""
    if not body.startswith(INTRO + "\n\n"):
        return body  # not a layout this knows: the next scheduled run explains
    rest = body[len(INTRO) + 2 :]
    if rest.startswith(NOTICES_HEADER):
        rest = [*rest.split("\n\n", 2), "", ""][2]
    merged = merge_notices(read_notices(body, today), notices)
    return "\n\n".join([INTRO, *notice_lines(merged, settings), rest])


def carry_out_ticks(bot: Bot, today: date, board: Issue) -> Report:
    """The receiver's work for a tick on the dashboard issue `board` (just read)."""
    settings = settings_for(bot.config)
    reading = read_ticked(bot, today, board, settings)
    result = carry_out(bot, Prepared(reading, plan_ticks(reading)))
    done = frozenset(result.done)
    notices = result.prepared.decided.notices(today, done)
    body = release(board.description, done, today, settings, notices)
    if same_text(body, board.description):
        return result.report
    edit = EditIssue(
        IssueRef(iid=board.iid),
        title=board.title,
        description=body,
        seen=board.description,
        release=tuple(sorted(done)),
        reason="dashboard: ticked boxes carried out",
    )
    result.report.extend(bot.apply(Plan.of(WORKFLOW, [edit])))
    return result.report
