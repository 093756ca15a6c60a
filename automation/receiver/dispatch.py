"""Bounded queues and worker threads: one issue's events in order, different
issues in parallel.

Every issue is owned by one worker (its iid modulo the number of workers), so
two events for one issue are never processed at once or out of order. Work
is re-reading the issue and planning it, so an event that arrives while the
same issue is still waiting in the queue adds nothing: it is folded into the
waiting job ("coalesced"). An event that arrives while the issue is being
processed queues a new job, which re-reads what the first may have missed.

The queues hold at most `capacity` jobs in all. When they are full a new
event is dropped (the caller logs it): GitLab gets its 2xx anyway, and the
next scheduled sweep does what the event would have done.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

Submitted = Literal["queued", "coalesced", "dropped", "stopping"]
DEFAULT_WORKERS = 4
DEFAULT_CAPACITY = 1000


@dataclass
class Job:
    """The work for one issue, and the events folded into it (for the log)."""

    iid: int
    events: list[dict[str, object]] = field(default_factory=list)
    queued_at: float = field(default_factory=time.monotonic)


class Dispatcher:
    def __init__(
        self,
        handle: Callable[[Job], None],
        *,
        workers: int = DEFAULT_WORKERS,
        capacity: int = DEFAULT_CAPACITY,
    ) -> None:
        self._handle = handle
        self.workers = max(1, workers)
        self.capacity = max(1, capacity)
        self._queues: list[queue.SimpleQueue[Job | None]] = [
            queue.SimpleQueue() for _ in range(self.workers)
        ]
        self._waiting: dict[int, Job] = {}  # iid -> its job not yet started
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._stopping = False
        self.in_flight = 0
        self.processed = 0
        self.dropped = 0
        self.coalesced = 0

    def start(self) -> Dispatcher:
        for number, jobs in enumerate(self._queues):
            thread = threading.Thread(
                target=self._work, args=(jobs,), name=f"receiver-{number}", daemon=True
            )
            thread.start()
            self._threads.append(thread)
        return self

    def submit(self, iid: int, event: dict[str, object], arrived: float | None = None) -> Submitted:
        """Queue an event for issue `iid` (that arrived at `arrived`, a
        `time.monotonic()`; default now); never blocks."""
        with self._lock:
            if self._stopping:
                return "stopping"
            waiting = self._waiting.get(iid)
            if waiting is not None:
                waiting.events.append(event)
                self.coalesced += 1
                return "coalesced"
            if len(self._waiting) >= self.capacity:
                self.dropped += 1
                return "dropped"
            job = Job(iid, [event], time.monotonic() if arrived is None else arrived)
            self._waiting[iid] = job
        self._queues[iid % self.workers].put(job)
        return "queued"

    @property
    def queued(self) -> int:
        with self._lock:
            return len(self._waiting)

    def _work(self, jobs: queue.SimpleQueue[Job | None]) -> None:
        while True:
            job = jobs.get()
            if job is None:
                return
            with self._lock:
                # from now on a new event for this issue queues a new job
                self._waiting.pop(job.iid, None)
                self.in_flight += 1
            try:
                self._handle(job)
            finally:
                with self._lock:
                    self.in_flight -= 1
                    self.processed += 1

    def stop(self, timeout: float = 30.0) -> int:
        """Refuse new events, finish every job already queued (within `timeout`
        seconds in all) and stop the workers; returns how many jobs were left
        unfinished (the next sweep does their work)."""
        with self._lock:
            self._stopping = True
        for jobs in self._queues:
            jobs.put(None)  # after the jobs already queued
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        with self._lock:
            return len(self._waiting) + self.in_flight
