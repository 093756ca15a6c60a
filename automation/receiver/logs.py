"""One structured (JSON) log line per event, on standard error.

Fields are chosen by the caller from what GitLab sent and what the receiver
did; the token and the secret never reach a log line (the headers are not
logged at all)."""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

LOGGER = logging.getLogger("salesbot.receiver")


def event(**fields: Any) -> None:
    """Log one event as a JSON object (`ts` first, then the fields given)."""
    record = {"ts": round(time.time(), 3), **fields}
    LOGGER.info(json.dumps(record, ensure_ascii=False, default=str, sort_keys=False))


def configure(stream: Any = None) -> None:
    """Plain JSON lines, one per record, for `salesbot serve` (journald and
    container logs keep them as they are)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    LOGGER.handlers[:] = [handler]
    LOGGER.setLevel(logging.INFO)
    LOGGER.propagate = False
