"""The dashboard's body: its action boxes, when each was offered, and the
explanations of ticks GitLab did not credit."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from automation import attention, hidden, registry
from automation.api import MAX_DESCRIPTION
from automation.config import Config, DashboardConfig
from automation.marker import Marker
from automation.report import Row, Snapshot, history, render_markdown

WORKFLOW = registry.DASHBOARD.name
KEY = "main"
MARKER = Marker(WORKFLOW, KEY)
# Someone may tick a box between our read and our write: `actions.EditIssue`
# makes the applier read the dashboard again right before writing it.

Kind = Literal["extend", "waive", "reassign", "escalate"]
# An explanation of an uncredited tick stays on the dashboard this many days.
NOTICE_DAYS = 7


# `dashboard:` in config/salesbot.yml, declared once in automation.config
DashboardSettings = DashboardConfig


def settings_for(config: Config) -> DashboardSettings:
    return config.dashboard


# -- rendering ------------------------------------------------------------------


def action_key(kind: Kind, iid: int) -> str:
    return f"dashboard.{kind}.{iid}"


def box_text(kind: Kind, iid: int, settings: DashboardSettings) -> str:
    """A box's visible text: no untrusted text and no dates, so a tick note's
    text can be matched against it."""
    if kind == "extend":
        days = settings.extend_days
        return f"Extend #{iid} by {'a week' if days == 7 else f'{days} days'}"
    if kind == "waive":
        return f"Waive the next nudge on #{iid}"
    if kind == "escalate":
        return f"Escalate #{iid} to its owner's manager"
    return f"Reassign handover #{iid} to me"


def _box(key: str, text: str, pending: frozenset[str], offered: str) -> str:
    mark = "x" if key in pending else " "
    return f"- [{mark}] {text} {hidden.offered_box(offered, key)}"


def action_lines(
    rows: Sequence[Row],
    *,
    today: date,
    settings: DashboardSettings,
    pending: frozenset[str],
    offered: Mapping[str, str] | None = None,
) -> list[str]:
    """The checkboxes under one table: extend for issues overdue or due soon
    (escalate instead once more than `escalate_after_days` overdue), waive for
    overdue ones, reassign for handovers, and any box still waiting
    to be carried out. A box keeps the day it was first offered (`offered`,
    else today), so its text stays the same while a tick waits for the next
    run."""
    soon = today + timedelta(days=settings.extend_days)
    days = offered or {}
    boxes: list[str] = []
    for row in rows:
        # a week more makes no sense for an item long overdue: escalate it instead
        late = row.overdue and row.days_overdue > settings.escalate_after_days
        wanted: list[tuple[Kind, bool]] = [
            ("extend", not late and (row.overdue or (row.due is not None and row.due <= soon))),
            ("waive", row.overdue),
            ("escalate", late and row.manager is not None),
            ("reassign", row.workflow == registry.HANDOVER.name),
        ]
        for kind, offer in wanted:
            key = action_key(kind, row.iid)
            if offer or key in pending:
                text = box_text(kind, row.iid, settings)
                boxes.append(_box(key, text, pending, days.get(key, today.isoformat())))
    if not boxes:
        return []
    return [
        "Tick a box: the next salesbot run carries it out and notes on the issue who asked.",
        "",
        *boxes,
    ]


# the first paragraph of every dashboard (the receiver's `on_tick` finds it too)
INTRO = (
    "salesbot keeps this issue up to date; edits other than ticking a box are "
    "overwritten on the next change."
)


def render(
    snapshot: Snapshot,
    settings: DashboardSettings,
    pending: Iterable[str] = (),
    offered: Mapping[str, str] | None = None,
    notices: Sequence[Notice] = (),
) -> str:
    """The dashboard's description; `pending` are action keys ticked but not yet
    carried out, which stay ticked; `offered` the day each box was offered
    (`offers`); `notices` the ticks GitLab did not credit."""
    waiting = frozenset(pending)
    intro = INTRO
    explained = notice_lines(notices, settings)
    if explained:
        intro = "\n\n".join([intro, *explained])
    tail = f"{_carried(snapshot)}{_history(snapshot)}{MARKER.render()}\n"
    max_rows = settings.max_rows
    while True:
        body = render_markdown(
            snapshot,
            rollup_threshold=settings.rollup_threshold,
            max_rows=max_rows,
            actions=lambda rows: action_lines(
                rows, today=snapshot.today, settings=settings, pending=waiting, offered=offered
            ),
        )
        text = f"{intro}\n\n{body.rstrip()}\n\n{tail}"
        # GitLab refuses a description over 1,048,576 characters (a big team
        # with many managers can reach it at 200 rows a table): fewer rows per
        # table rather than no dashboard at all; the report keeps every row.
        if len(text) <= MAX_DESCRIPTION or max_rows == 1:
            return text
        max_rows = max(1, max_rows // 2)


def _history(snapshot: Snapshot) -> str:
    """The history block (`automation.report.history`) this refresh writes."""
    return f"{history.render(history.current(snapshot))}\n"


def _carried(snapshot: Snapshot) -> str:
    """The "Needs attention" section as data the report and the next run read
    back (`automation.attention`), next to the marker; empty without one."""
    found = snapshot.attention
    carried = f"{attention.hidden(found)}\n" if found is not None else ""
    # what the bot read of the Give Back roll-calls (automation.adoption.Ledger)
    adoption = snapshot.give_back_adoption
    # (none while there is nothing to keep: `salesbot dashboard` alone then agrees)
    kept = adoption is not None and (adoption.ledger.seen or adoption.ledger.flagged)
    return carried + (f"{adoption.ledger.record()}\n" if kept and adoption else "")


def offers(description: str) -> dict[str, str]:
    """The day each action box of a dashboard description was offered."""
    return hidden.offered_boxes(description)


def next_offer(previous: str | None, today: date) -> str:
    """The offer of a box carried out and offered again: a new day, or the same
    day with a sequence number, so its next tick is a new action."""
    day = today.isoformat()
    if previous is None or not previous.startswith(day):
        return day
    _, _, seq = previous.partition(day)
    return f"{day}.{int(seq.lstrip('.') or 1) + 1}"


# -- ticks GitLab did not credit ------------------------------------------------------


@dataclass(frozen=True)
class Notice:
    """A tick GitLab did not say who made, explained on the dashboard."""

    key: str
    day: date
    done: bool  # carried out (credited to "someone") or refused (reassign)


def notice_lines(notices: Sequence[Notice], settings: DashboardSettings) -> list[str]:
    if not notices:
        return []
    lines = []
    for notice in sorted(notices, key=lambda n: (n.day, n.key)):
        match = hidden.DASHBOARD_BOX_KEY_RE.match(notice.key)
        if match is None:
            continue
        kind: Kind = match[1]  # type: ignore[assignment]
        iid = int(match[2])
        text = box_text(kind, iid, settings)
        if notice.done:
            what = (
                f"done on {notice.day}; the note on #{iid} says someone asked for it. "
                "Nothing more to do."
            )
        else:
            what = (
                f"not done on {notice.day}: salesbot assigns only the person who ticked the "
                f"box and never guesses. Tick it again by clicking it, or assign #{iid} yourself."
            )
        trailer = hidden.unattributed(notice.key, notice.day, notice.done)
        lines.append(f"- {text}: {what} {trailer}")
    header = (
        "**Ticks GitLab did not credit.** GitLab records who ticked a box only when the "
        "box is clicked; when the description is edited as a whole it notes just "
        '"changed the description". Click boxes rather than editing this description.'
    )
    return [header, "\n".join(lines)]


def read_notices(description: str, today: date) -> list[Notice]:
    """The explanations a dashboard shows, less those older than NOTICE_DAYS."""
    found: dict[str, Notice] = {}
    for key, day, done in hidden.unattributed_notices(description):
        notice = Notice(key, day, done)
        if notice.day >= today - timedelta(days=NOTICE_DAYS):
            found[notice.key] = notice
    return list(found.values())


def merge_notices(old: Iterable[Notice], new: Iterable[Notice]) -> list[Notice]:
    """One notice per box, the newest."""
    merged: dict[str, Notice] = {}
    for notice in [*old, *new]:
        kept = merged.get(notice.key)
        if kept is None or notice.day >= kept.day:
            merged[notice.key] = notice
    return list(merged.values())
