"""Reading the dashboard's ticks: the boxes ticked, and who ticked each
(from GitLab's checklist system notes, in every form GitLab writes them)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from automation import hidden
from automation.checklist import parse
from automation.dashboard.boxes import Kind
from automation.records import Note

# -- reading the ticks ---------------------------------------------------------------

# GitLab's system note for a ticked box (SystemNotes::IssuablesService#change_task_status).
_TICK_NOTE = re.compile(
    r"^marked the checklist item \*\*(?P<text>.*)\*\* as (?P<state>completed|incomplete)\s*$",
    re.DOTALL,
)
# CommonMark: a backslash before any ASCII punctuation character escapes it.
_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")


@dataclass(frozen=True)
class Request:
    """A ticked action box, and who ticked it (from GitLab's system note)."""

    kind: Kind
    iid: int
    key: str
    text: str
    by: str | None = None
    tick: int | None = None  # id of the system note that recorded the tick
    offered: str | None = None  # the day the box was offered (None: written before offers)


def ticked(description: str) -> list[Request]:
    """The action boxes ticked in a dashboard description."""
    found = []
    days = hidden.offered_boxes(description)
    for item in parse(description).items:
        match = hidden.DASHBOARD_BOX_KEY_RE.match(item.key or "")
        if match and item.checked:
            kind: Kind = match[1]  # type: ignore[assignment]
            key = item.key or ""
            found.append(Request(kind, int(match[2]), key, item.text, offered=days.get(key)))
    return found


def _normalise(text: str) -> str:
    return " ".join(hidden.COMMENT_RE.sub(" ", text).split())


def unescape(text: str) -> str:
    """Undo CommonMark backslash escapes (`\\#` is `#`)."""
    return _ESCAPED.sub(r"\1", text)


@dataclass(frozen=True)
class TickNote:
    """What GitLab's "marked the checklist item **TEXT** as ..." note says."""

    text: str  # the item's text without its hidden key and offer
    key: str | None  # `task:` key, found with or without comment delimiters
    offered: str | None
    completed: bool


def read_tick(body: str) -> TickNote | None:
    """A checklist system note in any form GitLab writes it: the item's source
    (`Extend #2 by a week <!-- task:dashboard.extend.2 -->`) or GitLab.com's,
    escaped with comment delimiters dropped (`Extend \\#2 by a week
    task:dashboard\\.extend\\.2`). None for any other note."""
    match = _TICK_NOTE.match(body.strip())
    if match is None:
        return None
    text = unescape(match["text"])
    key = offered = None
    while (trailer := hidden.hidden_at_end(text)) is not None:
        if trailer["name"] == "task":
            key = key or trailer["value"]
        else:
            offered = offered or trailer["value"]
        text = text[: trailer.start()]
    if key is None and (keyed := hidden.TASK_KEY_RE.search(text)) is not None:
        key = keyed[1]
    return TickNote(text.strip(), key, offered, match["state"] == "completed")


def requesters(
    requests: Sequence[Request], notes: Iterable[Note], bot: str | None = None
) -> list[Request]:
    """Each request with the person whose system note ticked its box in its
    current offer, when nothing since could have changed that box. A note
    naming the box's key must name its offer too (a tick of an earlier offer
    is not this one); a note with the text only counts when it is newer than
    the bot's last edit of the dashboard. A later untick, or a person's
    "changed the description" (an edit of the whole text, which may have
    unticked and ticked any box), withdraws the credit: never a guess."""
    ordered = sorted(notes, key=lambda n: (n.created_at, n.id))
    by_key = {r.key: r for r in requests}
    by_text = {_normalise(r.text): r for r in requests}
    bot_edits = [(n.created_at, n.id) for n in ordered if n.system and n.author == bot]
    last_edit = max(bot_edits, default=None)
    latest: dict[str, Note] = {}
    for note in ordered:
        if not note.system or note.author == bot:
            continue
        tick = read_tick(note.body)
        if tick is None:
            if note.body.strip() == "changed the description":
                latest.clear()
            continue
        if tick.key is not None:
            request = by_key.get(tick.key)
            if request is None or tick.offered != request.offered:
                continue
        else:
            request = by_text.get(_normalise(tick.text))
            if request is None or (
                last_edit is not None and (note.created_at, note.id) < last_edit
            ):
                continue
        if tick.completed:
            latest[request.key] = note
        else:
            latest.pop(request.key, None)
    return [
        replace(r, by=latest[r.key].author, tick=latest[r.key].id) if r.key in latest else r
        for r in requests
    ]
