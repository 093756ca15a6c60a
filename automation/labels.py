"""The bot's label vocabulary, derived from `config.labels`.

Scoped labels (`scope::value`) are exclusive only on GitLab Premium; on Free
both stay (reference §3). So the bot always removes the siblings itself with
`remove_labels` in the same PUT, and the result is the same on every tier.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Progress = Literal["not-started", "in-progress", "complete"]
PROGRESS_STATES: tuple[Progress, ...] = ("not-started", "in-progress", "complete")


def scope_of(label: str) -> str | None:
    """The scope key of a scoped label: everything up to the last `::`."""
    head, sep, _ = label.rpartition("::")
    return head if sep else None


@dataclass(frozen=True)
class LabelSet:
    bot: str
    progress_scope: str
    status_scope: str
    phase_scope: str
    segment_scope: str

    def progress(self, state: Progress) -> str:
        return f"{self.progress_scope}::{state}"

    def status(self, value: str) -> str:
        return f"{self.status_scope}::{value}"

    def phase(self, days: int) -> str:
        return f"{self.phase_scope}::day-{days}"

    def segment(self, segment: str) -> str:
        return f"{self.segment_scope}::{segment}"

    @property
    def overdue(self) -> str:
        return self.status("overdue")

    def all_static(self) -> list[str]:
        """Labels worth creating up front so they exist with colours."""
        return [
            self.bot,
            *(self.progress(s) for s in PROGRESS_STATES),
            self.overdue,
            *(self.phase(d) for d in (30, 60, 90)),
        ]


def siblings(labels: Iterable[str], label: str) -> tuple[str, ...]:
    """Labels of `labels` in the same scope as `label`, other than itself."""
    scope = scope_of(label)
    if scope is None:
        return ()
    return tuple(sorted(x for x in labels if x != label and scope_of(x) == scope))
