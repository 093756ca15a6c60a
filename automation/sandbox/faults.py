"""What sits in front of GitLab's Rails app: proxy faults (502/503 before the
request reaches GitLab, or 502 after a write was committed) and the
Rack::Attack throttle with GitLab's `RateLimit-*` headers (reference §6)."""

from __future__ import annotations

import math
import random
import threading
import time
from email.utils import formatdate


class Faults:
    """Seeded dice for injected faults: the same seed fails the same requests."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(seed)
        self._lock = threading.Lock()

    def roll(self, rate: float, statuses: tuple[int, ...] = (502, 503)) -> int | None:
        """A status to answer with, `rate` of the time; None otherwise."""
        if rate <= 0:
            return None
        with self._lock:
            if self._rng.random() >= rate:
                return None
            return self._rng.choice(statuses)


class Throttle:
    """Fixed windows per identity, aligned on the epoch like Rack::Attack."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[int, int]] = {}

    def hit(self, key: str, name: str, limit: int, window: float) -> tuple[bool, dict[str, str]]:
        now = time.time()
        index = int(now // window)
        with self._lock:
            start, count = self._windows.get(key, (index, 0))
            count = count + 1 if start == index else 1
            self._windows[key] = (index, count)
        reset = (index + 1) * window
        headers = {
            "RateLimit-Name": name,
            "RateLimit-Limit": str(limit),
            "RateLimit-Observed": str(count),
            "RateLimit-Remaining": str(max(0, limit - count)),
            "RateLimit-Reset": str(math.ceil(reset)),
        }
        throttled = count > limit
        if throttled:
            headers["Retry-After"] = str(max(1, math.ceil(reset - now)))
            headers["RateLimit-ResetTime"] = formatdate(reset, usegmt=True)
        return throttled, headers
