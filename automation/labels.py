"""The bot's label vocabulary, derived from `config.labels`.

Scoped labels (`scope::value`) are exclusive only on GitLab Premium; on Free
both stay (reference §3). So the bot always removes the siblings itself with
`remove_labels` in the same PUT, and the result is the same on every tier.

The status scope holds values that different planners set (the sweep sets
`overdue`, onboarding `left-company`, consults a deal outcome, the duplicate
check `duplicate`), so they follow one precedence (`STATUS_RANKS`): a planner
never adds a status while a higher one holds, because on Premium that add
would silently remove the higher one (`/label ~"status::overdue"` drops
`status::left-company`, reference §3) and the two planners would then undo
each other on every run.
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


# Status precedence, highest first. A value not named here (a deal outcome
# from the CRM stage, e.g. `closed-won`, `closed-lost`, `below-threshold`)
# ranks at DEAL_OUTCOME_RANK. Values of one rank replace each other (a deal
# that fell below its threshold and is later won is now won).
STATUS_RANKS: dict[str, int] = {"duplicate": 0, "left-company": 1, "overdue": 3}
DEAL_OUTCOME_RANK = 2


def status_rank(value: str) -> int:
    """Lower is stronger: see STATUS_RANKS."""
    return STATUS_RANKS.get(value, DEAL_OUTCOME_RANK)


@dataclass(frozen=True)
class LabelChange:
    add: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()


def status_change(labels: LabelSet, present: Iterable[str], value: str) -> LabelChange | None:
    """How to set `status::value` on an issue carrying `present`, on any tier.

    None when a status of higher precedence holds (then the bot must not ask
    for it: on Premium the add would remove the higher one). Otherwise the
    label to add (none when it is already there) and every other status label
    to remove, so that Free ends with one status label, as Premium does."""
    wanted = labels.status(value)
    current = [x for x in present if scope_of(x) == labels.status_scope]
    rank = status_rank(value)
    if any(status_rank(x.rpartition("::")[2]) < rank for x in current if x != wanted):
        return None
    return LabelChange(
        add=() if wanted in current else (wanted,),
        remove=tuple(sorted({x for x in current if x != wanted})),
    )


def status_blocked(labels: LabelSet, present: Iterable[str], value: str) -> bool:
    """Whether a status of higher precedence than `value` holds."""
    return status_change(labels, present, value) is None


def siblings(labels: Iterable[str], label: str) -> tuple[str, ...]:
    """Labels of `labels` in the same scope as `label`, other than itself."""
    scope = scope_of(label)
    if scope is None:
        return ()
    return tuple(sorted(x for x in labels if x != label and scope_of(x) == scope))
