"""Deliveries accepted but not yet read: what lets the receiver answer first.

The handler decides 202 or 401 from the secret alone, hands the body here
and answers; reading it (JSON, whose event, whether it was seen before, into
which queue) happens on the intake thread, after GitLab has its answer. The
intake is bounded twice (`capacity` deliveries, `max_bytes` of bodies): when
it is full a delivery is dropped with a log line, and still answered 202 (the
next scheduled sweep does its work).

The intake thread and the workers keep the answering thread's CPU priority.
Linux would let them run nicer (the nice value is per thread, setpriority(2)
NOTES), but they share the GIL with the answering loop: measured on a 2-core
machine at a load of about 10, a nice worker descheduled while holding the
GIL kept the loop waiting longer (answers p95 318 ms, max 2.4 s, against
235 ms and 0.7 s without; README "Real time: webhooks").
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from automation.receiver import logs

DEFAULT_CAPACITY = 10_000  # deliveries waiting to be read
DEFAULT_MAX_BYTES = 64 * 1024 * 1024  # their bodies, in all


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
    ) -> None:
        self._read = read
        self.capacity = max(1, capacity)
        self.max_bytes = max_bytes
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
        while True:
            accepted = self._queue.get()
            if accepted is None:
                return
            try:
                self._read(accepted)
            except Exception as exc:  # a bug must not stop the intake
                logs.event(
                    **accepted.fields,
                    outcome="failed",
                    failures=[f"internal error: {type(exc).__name__}"],
                )
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
