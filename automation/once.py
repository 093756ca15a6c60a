"""Notes that must exist once even when two writers act at once.

The receiver and a scheduled run (or two receivers behind a load balancer)
may decide the same thing about one issue at the same moment: both read its
notes, both see no completion summary, both post one. GitLab has no
conditional write for notes, so the writers converge afterwards instead.
A note whose body carries a "once" marker (a completion summary, a nudge, a
dashboard action's record) is

1. not posted when the bot's notes already hold one with the same markers
   (the other writer got there first: its quick actions ran with it), and
2. after posting, the bot's notes with those markers are read again and all
   but the oldest (lowest id) are deleted: whichever writer reads last sees
   both and removes the later one; a delete that finds the note gone (the
   other writer removed it) is fine.

That costs two GETs per such note, which are rare next to label changes; a
nudge skips step 1 (see `post_once`).
"""

from __future__ import annotations

import contextlib

from automation import hidden
from automation.api import GitLabApi
from automation.errors import NotFoundError
from automation.records import Note


def once_key(body: str) -> tuple[str, ...]:
    """The body's once-markers, in order; empty for an ordinary note."""
    return hidden.once_markers(body)


def _same(api: GitLabApi, iid: int, key: tuple[str, ...]) -> list[Note]:
    me = api.me().username
    found = [
        n
        for n in api.newest_notes(iid)
        if n.author == me and not n.system and once_key(n.body) == key
    ]
    return sorted(found, key=lambda n: n.id)


def post_once(api: GitLabApi, iid: int, body: str) -> bool:
    """Post `body` on issue `iid` unless a note with its once-markers exists;
    True when this call posted it."""
    key = once_key(body)
    if not key:
        api.create_note(iid, body)
        return True
    # A nudge is decided from the notes the sweep just read (or from the
    # listing showing no note, or nothing since it fell due): a duplicate can
    # only come from a writer acting at this very moment, which the read after
    # posting resolves. Skipping the read before saves one GET per nudge
    # (issue 13: at most 2 requests per issue that turns overdue).
    if not key[0].startswith("<!-- salesbot:nudge") and _same(api, iid, key):
        return False
    api.create_note(iid, body)
    for extra in _same(api, iid, key)[1:]:
        with contextlib.suppress(NotFoundError):  # the other writer removed it first
            api.delete_note(iid, extra.id)
    return True
