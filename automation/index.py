"""The bot's view of GitLab: every issue it owns, keyed by workflow and business key.

GitLab is the database. A run lists the issues carrying the bot label (one
request per 100 issues) and keeps those whose description holds a marker
*and* whose author is the bot's own user: a person can paste a marker into an
issue, but cannot make it the bot's. Two issues with one key (two runs at
once) are both seen; the oldest is the real one and the others are reported
as duplicates for the planner to close.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

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


class Index:
    """Bot issues by (workflow, key); the oldest issue wins a key."""

    def __init__(self, tracked: Iterable[Tracked]) -> None:
        self._by_key: dict[tuple[str, str], Tracked] = {}
        self.duplicates: list[Duplicate] = []
        for item in sorted(tracked, key=lambda t: (t.issue.created_at, t.issue.iid)):
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
