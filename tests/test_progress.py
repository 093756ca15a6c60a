"""Progress off a terminal: a line at least every 10 s, nothing for a short job."""

from __future__ import annotations

import io

from automation.progress import Progress


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_line_every_ten_seconds_off_a_terminal() -> None:
    out, clock = io.StringIO(), Clock()
    with Progress("validating x.csv", stream=out, tty=False, clock=clock) as progress:
        for _ in range(25):
            clock.now += 1
            progress.advance(100)
    lines = out.getvalue().splitlines()
    assert lines[0] == "validating x.csv: 1000 rows (10 s, 100/s)"
    assert lines[-1].startswith("validating x.csv: 2500 rows (25 s")
    assert len(lines) == 3


def test_a_short_job_prints_nothing_off_a_terminal() -> None:
    out = io.StringIO()
    with Progress("sweep", total=3, stream=out, tty=False) as progress:
        progress.advance(3)
    assert out.getvalue() == ""


def test_a_bar_on_a_terminal() -> None:
    out = io.StringIO()
    with Progress("import", total=2, stream=out, tty=True) as progress:
        progress.advance(2)
    assert progress.done == 2
