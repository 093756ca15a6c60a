"""The bot's view of GitLab: every issue it owns, keyed by workflow and business key.

GitLab is the database. A run lists the issues carrying the bot label (one
request per 100 issues) and keeps those whose description holds a marker
*and* whose author is the bot's own user: a person can paste a marker into an
issue, but cannot make it the bot's. Two issues with one key (two runs at
once) are both seen; the oldest is the real one and the others are reported
as duplicates for the planner to close.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace

from automation import hidden, registry
from automation.marker import Marker, find, is_legacy
from automation.records import Issue


@dataclass(frozen=True)
class Tracked:
    marker: Marker
    issue: Issue

    @property
    def key(self) -> tuple[str, str]:
        return (self.marker.workflow, self.marker.key)


@dataclass(frozen=True)
class Duplicate:
    kept: Tracked
    extra: Tracked


def age(tracked: Tracked) -> tuple[str, int]:
    """The order of the issues of one key: the oldest issue wins a key (the one
    rule the index, the sweep and the report share)."""
    return (tracked.issue.created_at, tracked.issue.iid)


class Index:
    """Bot issues by (workflow, key); the oldest issue wins a key."""

    def __init__(self, tracked: Iterable[Tracked]) -> None:
        self._by_key: dict[tuple[str, str], Tracked] = {}
        self.duplicates: list[Duplicate] = []
        for item in sorted(tracked, key=age):
            kept = self._by_key.get(item.key)
            if kept is None:
                self._by_key[item.key] = item
            else:
                self.duplicates.append(Duplicate(kept, item))

    def get(self, workflow: str, key: str) -> Tracked | None:
        return self._by_key.get((workflow, key))

    def lookup(
        self,
        workflow: str,
        key: str,
        legacy: str | None = None,
        claims: Callable[[Tracked], bool] = lambda _: True,
    ) -> Tracked | None:
        """The issue of a business key: the one whose marker holds `key`, else
        one opened before keys were encoded whose marker holds the `legacy`
        slug key and that `claims` accepts as this item's. A legacy slug is
        lossy (several names share it), so the workflow's `claims` checks
        evidence on the issue itself before taking it: a different item whose
        slug collides must not find it (see README "Behaviour notes")."""
        found = self._by_key.get((workflow, key))
        if found is not None or legacy is None or not is_legacy(legacy):
            return found
        old = self._by_key.get((workflow, legacy))
        return old if old is not None and claims(old) else None

    def of(self, *workflows: str) -> list[Tracked]:
        return [t for t in self._by_key.values() if not workflows or t.marker.workflow in workflows]

    def __iter__(self) -> Iterator[Tracked]:
        return iter(self._by_key.values())

    def __len__(self) -> int:
        return len(self._by_key)


def track(issue: Issue, bot_username: str) -> Tracked | None:
    """The issue as a bot issue, or None when it is not one of ours."""
    if issue.author != bot_username:
        return None
    marker = find(issue.description)
    return Tracked(marker, issue) if marker else None


def build(issues: Iterable[Issue], bot_username: str) -> Index:
    return Index(t for issue in issues if (t := track(issue, bot_username)) is not None)


def slim_text(description: str, marker: Marker) -> str:
    """What a listing keeps of a description it drops: the marker, and the
    facts line of a consult or LDR (`hidden.facts`, a hundred bytes), so the
    report and the consults planner read a deal's facts without the text."""
    facts = hidden.facts_comment(description)
    return f"{facts}\n{marker.render()}" if facts else marker.render()


# Descriptions a listing keeps: the open workflow issues (their checklists are
# swept and reported), every Give Back project (its adoption boxes are
# reported, closed too), the dashboard (its ticks and "Needs attention") and
# the Give Back roll-calls (their boxes are the months' adoption figures).
_CLOSED_KEPT = frozenset(
    {registry.GIVE_BACK.name, registry.DASHBOARD.name, registry.ROLL_CALL.name}
)


@dataclass(frozen=True)
class Listing:
    """One listing of every bot issue, closed ones included, oldest first: what
    `salesbot run` reads once and hands to the syncs, the sweep, the report
    and the dashboard.

    The issues are kept with only their marker line; the descriptions a step
    reads are kept zlib-compressed and handed out one issue at a time, so
    10,000 issues cost about what their listing streamed did (a description
    is mostly ASCII checklist text with an emoji: 4 bytes a character as a
    Python string, a few hundred bytes compressed)."""

    tracked: tuple[Tracked, ...]
    texts: Mapping[int, bytes] = field(default_factory=dict)  # iid: compressed description
    # `updated_after` for what changed since the listing began (automation.recheck)
    since: str | None = None

    @classmethod
    def of(cls, issues: Iterable[Issue], bot_username: str) -> Listing:
        found = []
        texts: dict[int, bytes] = {}
        for issue in issues:
            item = track(issue, bot_username)
            if item is None:
                continue
            if issue.is_open or item.marker.workflow in _CLOSED_KEPT:
                texts[issue.iid] = zlib.compress(issue.description.encode(), 1)
            slim = replace(issue, description=slim_text(issue.description, item.marker))
            found.append(Tracked(item.marker, slim))
        return cls(tuple(sorted(found, key=age)), texts)

    def _full(self, item: Tracked) -> Tracked:
        text = self.texts.get(item.issue.iid)
        if text is None:
            return item
        issue = replace(item.issue, description=zlib.decompress(text).decode())
        return Tracked(item.marker, issue)

    def index(self) -> Index:
        """The index the planners use: markers, labels, states (descriptions
        only for the dashboard, whose ticks and sections are read)."""
        dashboard = registry.DASHBOARD.name
        return Index(self._full(t) if t.marker.workflow == dashboard else t for t in self.tracked)

    def open_issues(self) -> Iterator[Issue]:
        """The open issues with their descriptions, oldest first, as `state=opened` lists them."""
        return (self._full(t).issue for t in self.tracked if t.issue.is_open)

    def first_of_each_key(self) -> Iterator[Tracked]:
        """The issue of each key (the oldest) with its description; a
        duplicate's figures are not the workflow's."""
        seen: set[tuple[str, str]] = set()
        for item in self.tracked:
            if item.key not in seen:
                seen.add(item.key)
                yield self._full(item)

    def with_issues(self, fresh: Mapping[int, Issue], bot_username: str) -> Listing:
        """This listing with these issues as GitLab now has them (by iid),
        added when new: what a run wrote, without listing everything again."""
        if not fresh:
            return self
        kept = [t for t in self.tracked if t.issue.iid not in fresh]
        texts = {iid: text for iid, text in self.texts.items() if iid not in fresh}
        new = Listing.of(fresh.values(), bot_username)
        tracked = tuple(sorted([*kept, *new.tracked], key=age))
        return Listing(tracked, {**texts, **new.texts}, self.since)

    def full_of(self, *workflows: str) -> Iterator[Tracked]:
        """The issue of each key of these workflows (the oldest), with its description."""
        seen: set[tuple[str, str]] = set()
        for item in self.tracked:
            if item.marker.workflow in workflows and item.key not in seen:
                seen.add(item.key)
                yield self._full(item)
