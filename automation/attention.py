"""The "Needs attention" section: the last `salesbot run`'s failed actions.

GitLab is the database, so the failures live where a manager looks: `salesbot
run` hands its failed outcomes to the dashboard it rewrites at its end, and the
dashboard's description carries them twice, as a table people read and as one
hidden comment (`<!-- salesbot:attention {...} -->`, JSON) that `salesbot
report` and the next `salesbot dashboard` read back. A run with no failure
drops the section (one write when the previous run had some, none otherwise),
so a clean rerun still makes no writes; `salesbot dashboard` on its own keeps
whatever the last run left.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from automation.actions import CreateIssue
from automation.applier import Outcome
from automation.hidden import attention as attention_comment
from automation.hidden import attention_payload

# At most this many failures are kept: a GitLab that is down fails every
# action, and an issue description holds at most 1 MB. The job log has them all.
MAX_SHOWN = 50
MAX_ANSWER = 300


@dataclass(frozen=True)
class Failure:
    """One failed action: its workflow, issue, what it tried and GitLab's answer."""

    workflow: str
    issue: str  # "#12", "new issue" (it was to be opened), or the new issue it needed
    iid: int | None  # None: the issue did not exist yet
    action: str
    answer: str

    def to_json(self) -> dict[str, Any]:
        return {
            "workflow": self.workflow,
            "iid": self.iid,
            "issue": self.issue,
            "action": self.action,
            "answer": self.answer,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Failure:
        iid = data.get("iid")
        return cls(
            workflow=str(data.get("workflow") or ""),
            issue=str(data.get("issue") or ""),
            iid=iid if isinstance(iid, int) and not isinstance(iid, bool) else None,
            action=str(data.get("action") or ""),
            answer=str(data.get("answer") or ""),
        )


@dataclass(frozen=True)
class Attention:
    """The failures of the run of `day` (the first MAX_SHOWN of `total`)."""

    day: date
    failures: tuple[Failure, ...]
    total: int

    @property
    def left_out(self) -> int:
        return self.total - len(self.failures)

    def to_json(self) -> dict[str, Any]:
        return {
            "date": self.day.isoformat(),
            "total": self.total,
            "failures": [f.to_json() for f in self.failures],
        }


def _one_line(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else f"{flat[: limit - 1]}…"


def from_outcomes(outcomes: Iterable[Outcome], day: date) -> Attention | None:
    """The section for a run's outcomes; None when nothing failed."""
    failed = [o for o in outcomes if not o.ok]
    if not failed:
        return None
    shown = []
    for outcome in failed[:MAX_SHOWN]:
        action = outcome.step.action
        new = isinstance(action, CreateIssue)
        shown.append(
            Failure(
                workflow=outcome.step.workflow,
                issue="new issue" if new else str(action.target),
                iid=None if new else action.target.iid,
                action=_one_line(action.summary(), MAX_ANSWER),
                answer=_one_line(outcome.error or "failed", MAX_ANSWER),
            )
        )
    return Attention(day, tuple(shown), len(failed))


def hidden(attention: Attention) -> str:
    """The section as one HTML comment (see automation.hidden)."""
    return attention_comment(attention.to_json())


def read(description: str) -> Attention | None:
    """The section a dashboard description carries, or None (also when a
    person mangled the hidden comment: the next run writes it afresh)."""
    data = attention_payload(description)
    if data is None:
        return None
    try:
        failures = tuple(Failure.from_json(f) for f in data["failures"])
        return Attention(date.fromisoformat(data["date"]), failures, int(data["total"]))
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
