"""Progress of a long command: a bar on a terminal, a line every few seconds in a CI log.

`with progress("sweep: writes", total) as bar: ... bar.advance()`. On a
terminal (standard error is a TTY) it is a rich progress bar; otherwise one
plain line `label: 120/1000 (12%)` at least every SALESBOT_PROGRESS_SECONDS
(default 10) while the work runs, so a CI log shows a job is alive, and a
last line when it ends if any line was printed. Everything goes to standard
error: standard output stays the command's result (its JSON, its table).
`advance` is thread-safe (the applier's workers call it).
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol

DEFAULT_SECONDS = 10.0
VARIABLE = "SALESBOT_PROGRESS_SECONDS"


class Bar(Protocol):
    def advance(self, n: int = 1) -> None: ...


def interval() -> float:
    """Seconds between two progress lines off a terminal (SALESBOT_PROGRESS_SECONDS)."""
    value = os.environ.get(VARIABLE, "").strip()
    try:
        seconds = float(value) if value else DEFAULT_SECONDS
    except ValueError:
        seconds = DEFAULT_SECONDS
    return seconds if seconds > 0 else DEFAULT_SECONDS


def describe(label: str, done: int, total: int | None) -> str:
    if total:
        return f"{label}: {done}/{total} ({done * 100 // total}%)"
    return f"{label}: {done} done"


class _Lines:
    """Off a terminal: a ticker thread prints the count every `every` seconds."""

    def __init__(self, label: str, total: int | None, every: float) -> None:
        self.label, self.total, self.every = label, total, every
        self.done = 0
        self.printed = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._tick, name="salesbot-progress", daemon=True)
        self._started = time.monotonic()

    def advance(self, n: int = 1) -> None:
        with self._lock:
            self.done += n

    def _line(self, suffix: str = "") -> None:
        with self._lock:
            text = describe(self.label, self.done, self.total)
        elapsed = time.monotonic() - self._started
        sys.stderr.write(f"{text}{suffix} [{elapsed:.0f}s]\n")
        sys.stderr.flush()
        self.printed += 1

    def _tick(self) -> None:
        while not self._stop.wait(self.every):
            self._line()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        if self.printed:  # a short job prints nothing at all
            self._line(" finished")


class _RichBar:
    def __init__(self, advance_task: Callable[..., None], task: Any) -> None:
        self._advance, self._task = advance_task, task

    def advance(self, n: int = 1) -> None:
        self._advance(self._task, advance=n)


@contextmanager
def progress(label: str, total: int | None) -> Iterator[Bar]:
    """Show the progress of `total` steps (None: unknown) named `label`."""
    if sys.stderr.isatty():
        from rich.console import Console
        from rich.progress import Progress

        with Progress(console=Console(stderr=True), transient=True) as shown:
            task = shown.add_task(label, total=total)
            yield _RichBar(shown.advance, task)
        return
    lines = _Lines(label, total, interval())
    lines.start()
    try:
        yield lines
    finally:
        lines.stop()
