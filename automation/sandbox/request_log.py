"""`RequestLog`: every request the sandbox answered, in order, for tests and
benchmarks to count (all requests, writes that reached GitLab, per endpoint)."""

from __future__ import annotations

import threading
from collections import Counter
from typing import NamedTuple


class LogEntry(NamedTuple):
    method: str
    path: str
    status: int


class RequestLog:
    """Every request the sandbox answered, in order."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.entries: list[LogEntry] = []
        self._kinds: list[str] = []
        self._reached: list[bool] = []

    def add(self, entry: LogEntry, kind: str, *, reached_app: bool) -> None:
        with self._lock:
            self.entries.append(entry)
            self._kinds.append(kind)
            self._reached.append(reached_app)

    def count(
        self,
        method: str | None = None,
        path_contains: str | None = None,
        status: int | None = None,
    ) -> int:
        with self._lock:
            return sum(
                1
                for entry in self.entries
                if (method is None or entry.method == method.upper())
                and (path_contains is None or path_contains in entry.path)
                and (status is None or entry.status == status)
            )

    def writes(self) -> int:
        """Non-GET/HEAD requests that reached GitLab (not stopped by an injected
        fault or the throttle); commit-then-502 writes count."""
        with self._lock:
            return sum(
                1
                for entry, reached in zip(self.entries, self._reached, strict=True)
                if reached and entry.method not in ("GET", "HEAD")
            )

    def by_kind(self) -> dict[str, int]:
        """Counts per endpoint, e.g. {"GET /projects/:id/issues": 3}."""
        with self._lock:
            return dict(Counter(self._kinds))

    def clear(self) -> None:
        with self._lock:
            self.entries.clear()
            self._kinds.clear()
            self._reached.clear()
