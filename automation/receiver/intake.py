"""Deliveries accepted but not yet read: what lets the receiver answer first.

The handler decides 202 or 401 from the secret alone, hands the body here
and answers; reading it (JSON, whose event, whether it was seen before, into
which queue) happens on the intake thread, after GitLab has its answer. The
intake is bounded twice (`capacity` deliveries, `max_bytes` of bodies): when
it is full a delivery is dropped with a log line, and still answered 202 (the
next scheduled sweep does its work).

The intake thread and the workers run at a lower CPU priority than the
thread that answers (`lower_priority`): on Linux the nice value is a
per-thread attribute (setpriority(2), NOTES: "under the current Linux/NPTL
implementation of POSIX threads, the nice value is a per-thread attribute"),
so on a busy machine the scheduler runs the answering loop first.
"""

from __future__ import annotations

import os
import queue
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

DEFAULT_CAPACITY = 10_000  # deliveries waiting to be read
DEFAULT_MAX_BYTES = 64 * 1024 * 1024  # their bodies, in all
# how much nicer (lower priority) than the answering thread the background runs
BACKGROUND_NICE = 10


def lower_priority(by: int) -> None:
    """Make the calling thread `by` nicer (Linux: per thread; elsewhere a no-op,
    since the nice value would be the whole process's)."""
    if by <= 0 or sys.platform != "linux" or not hasattr(os, "setpriority"):
        return
    me = threading.get_native_id()
    try:
        os.setpriority(os.PRIO_PROCESS, me, min(19, os.getpriority(os.PRIO_PROCESS, me) + by))
    except OSError:  # a sandbox (seccomp) refusing it: same priority, still correct
        return


@dataclass(frozen=True)
class Accepted:
    """A delivery answered 202, waiting to be read."""

    fields: dict[str, object]  # for the log line: hook, event and webhook UUIDs, instance
    idempotency_key: str | None
    body: bytes
    at: float = field(default_factory=time.monotonic)


class Intake:
    def __init__(
        self,
        read: Callable[[Accepted], None],
        *,
        capacity: int = DEFAULT_CAPACITY,
        max_bytes: int = DEFAULT_MAX_BYTES,
        nice: int = 0,
    ) -> None:
        self._read = read
        self.capacity = max(1, capacity)
        self.max_bytes = max_bytes
        self._nice = nice
        self._queue: queue.SimpleQueue[Accepted | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.waiting = 0
        self._bytes = 0
        self.dropped = 0

    def start(self) -> Intake:
        self._thread = threading.Thread(target=self._drain, name="receiver-intake", daemon=True)
        self._thread.start()
        return self

    def offer(self, accepted: Accepted) -> bool:
        """Keep the delivery for the intake thread; False (dropped) when full.
        Never blocks: called on the answering loop."""
        size = len(accepted.body)
        with self._lock:
            if self.waiting >= self.capacity or self._bytes + size > self.max_bytes:
                self.dropped += 1
                return False
            self.waiting += 1
            self._bytes += size
        self._queue.put(accepted)
        return True

    def _drain(self) -> None:
        lower_priority(self._nice)
        while True:
            accepted = self._queue.get()
            if accepted is None:
                return
            try:
                self._read(accepted)
            finally:
                with self._lock:
                    self.waiting -= 1
                    self._bytes -= len(accepted.body)

    def stop(self, timeout: float = 30.0) -> int:
        """Read every delivery already accepted (within `timeout`), then stop;
        returns how many were left unread."""
        self._queue.put(None)
        if self._thread is not None:
            self._thread.join(timeout)
        with self._lock:
            return self.waiting
