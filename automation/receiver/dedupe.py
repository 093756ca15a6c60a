"""Redeliveries are recognised and answered without doing the work twice.

GitLab 17.4 and later send an `Idempotency-Key` header that stays the same
when a delivery is retried (doc: "Delivery headers", user/project/integrations/
webhooks.md); older GitLab sends none, so the SHA-256 of the body stands in
(a retry resends the same bytes; two different events differ at least in
their `updated_at`). Memory is bounded twice: at most `size` keys (the oldest go
first) and none older than `ttl` seconds."""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

DEFAULT_SIZE = 10_000  # about 1 MB of keys
DEFAULT_TTL = 24 * 3600.0  # GitLab retries within minutes; a day is generous


def delivery_key(idempotency_key: str | None, body: bytes) -> str:
    if idempotency_key and idempotency_key.strip():
        return "key:" + idempotency_key.strip()[:200]
    return "sha256:" + hashlib.sha256(body).hexdigest()


class Seen:
    """A bounded set of keys in the order first seen, with expiry; thread-safe."""

    def __init__(
        self,
        size: int = DEFAULT_SIZE,
        ttl: float = DEFAULT_TTL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.size = size
        self.ttl = ttl
        self._clock = clock
        self._keys: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def first_time(self, key: str) -> bool:
        """True the first time `key` is offered (and remembers it), False for a
        redelivery still remembered."""
        now = self._clock()
        with self._lock:
            while self._keys:
                oldest, when = next(iter(self._keys.items()))
                if now - when <= self.ttl:
                    break
                del self._keys[oldest]
            if key in self._keys:
                return False
            self._keys[key] = now
            while len(self._keys) > self.size:
                self._keys.popitem(last=False)
            return True

    def __len__(self) -> int:
        return len(self._keys)
