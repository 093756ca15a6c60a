"""Progress of a long command (import, sweep, syncs, run, bench), on stderr.

On a terminal it is a rich progress bar; elsewhere (CI logs, a pipe) it is one
plain line at least every `every` seconds (10 by default), and a final line
for a job that lasted that long, so a log shows a long job is alive without
flooding it:

    with Progress("validating handover.csv", total=None) as progress:
        for row in rows:
            ...
            progress.advance()

`total` may be None when the count is unknown (a stream being read). A short
job (finished before the first report is due) prints nothing off a terminal.
Progress never goes to stdout: `--json` output stays clean.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from types import TracebackType
from typing import TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.progress import Progress as RichProgress

DEFAULT_EVERY = 10.0


class Progress:
    """A progress report: a bar on a terminal, a line every `every` s elsewhere.

    `stream` defaults to stderr; `tty` overrides terminal detection (tests);
    `clock` is injectable so tests need not sleep."""

    def __init__(
        self,
        description: str,
        total: int | None = None,
        *,
        stream: TextIO | None = None,
        tty: bool | None = None,
        every: float = DEFAULT_EVERY,
        clock: Callable[[], float] = time.monotonic,
        unit: str = "rows",
    ) -> None:
        self.description = description
        self.total = total
        self.done = 0
        self.unit = unit
        self._stream = stream if stream is not None else sys.stderr
        self._tty = self._stream.isatty() if tty is None else tty
        self._every = every
        self._clock = clock
        self._start = clock()
        self._last = self._start
        self._bar: RichProgress | None = None
        self._task: object = None

    def __enter__(self) -> Progress:
        if self._tty:
            self._bar = RichProgress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=Console(file=self._stream),
                transient=True,
            )
            self._bar.__enter__()
            self._task = self._bar.add_task(self.description, total=self.total)
        return self

    def advance(self, n: int = 1) -> None:
        """`n` more units done; off a terminal, a line if one is due."""
        self.done += n
        if self._bar is not None:
            self._bar.update(self._task, completed=self.done)  # type: ignore[arg-type]
            return
        now = self._clock()
        if now - self._last >= self._every:
            self._last = now
            self._line(now)

    def _line(self, now: float) -> None:
        of = f"/{self.total}" if self.total is not None else ""
        elapsed = now - self._start
        rate = self.done / elapsed if elapsed > 0 else 0.0
        self._stream.write(
            f"{self.description}: {self.done}{of} {self.unit} ({elapsed:.0f} s, {rate:.0f}/s)\n"
        )
        self._stream.flush()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.__exit__(exc_type, exc, tb)
            return
        now = self._clock()
        if exc_type is None and now - self._start >= self._every:
            self._line(now)
