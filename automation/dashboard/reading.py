"""What the dashboard needs from GitLab, read by the bot before anything is
planned: the listing's figures, the dashboard issue, its ticked boxes and who
ticked them, the notes of each issue a ticked box names, and the people a
reassign would assign. Only when a box is ticked does this cost more than
the listing (one request per 100 issues)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import TYPE_CHECKING

from automation import registry
from automation.dashboard.boxes import KEY, WORKFLOW, DashboardSettings
from automation.dashboard.ticks import Request, requesters, ticked
from automation.index import Index, Listing, Tracked
from automation.records import Issue, Note, User
from automation.report import Snapshot, figures
from automation.workflows.common import Environment

if TYPE_CHECKING:
    from automation.bot import Bot


@dataclass(frozen=True)
class Reading:
    """Everything the dashboard's planners need, read before planning."""

    env: Environment
    settings: DashboardSettings
    bot: str  # the bot's username
    bot_label: str
    listing: Listing
    snapshot: Snapshot
    dashboard: Issue | None
    requests: tuple[Request, ...] = ()  # ticked boxes, with who ticked them
    issues: Mapping[int, Tracked] = field(default_factory=dict)  # workflows' issues by iid
    history: Mapping[int, tuple[Note, ...]] = field(default_factory=dict)  # per issue named
    users: Mapping[str, User | None] = field(default_factory=dict)  # who a reassign assigns


def read(
    bot: Bot, today: date, settings: DashboardSettings, listing: Listing | None = None
) -> Reading:
    """Read what the dashboard needs (reads only); `listing` is the run's."""
    env = bot.env(today)
    listing = listing if listing is not None else bot.listing()
    snapshot = figures(env, bot.team, listing, bot.api.settings.project)
    index = listing.index()
    tracked = index.get(WORKFLOW, KEY)
    dashboard = tracked.issue if tracked else None
    me = bot.api.me().username
    base = Reading(env, settings, me, bot.config.labels.bot, listing, snapshot, dashboard)
    requests = ticked(dashboard.description) if dashboard else []
    if dashboard is None or not requests:
        return base
    requests = requesters(requests, bot.api.iter_notes(dashboard.iid), me)
    return with_requests(bot, base, requests, index)


def with_requests(bot: Bot, base: Reading, requests: list[Request], index: Index) -> Reading:
    """`base` with the ticked boxes and what they need read: the notes of each
    open issue a box names (one listing each), the users a reassign names."""
    open_rows = {r.iid for r in base.snapshot.rows}
    named = sorted({r.iid for r in requests if r.iid in open_rows})
    history = {iid: tuple(bot.api.iter_notes(iid)) for iid in named}
    wanted = sorted({r.by for r in requests if r.kind == "reassign" and r.by is not None})
    return replace(
        base,
        requests=tuple(requests),
        issues={t.issue.iid: t for t in index.of(*registry.NAMES)},
        history=history,
        users={name: bot.api.find_user(name) for name in wanted},
    )
