"""A consult's or LDR's deal facts, as the issue keeps them.

The opportunities planner (`automation.workflows.consults`) writes the CRM
export's iACV, segment, close date and stage on a hidden line of the issue
(`automation.hidden.facts`) when it opens it, and rewrites that line only
when the export's values change. The report reads them from the listing
(the line is kept with the marker, `automation.index.slim_text`), so it
needs no CSV. An issue opened before facts were kept has none: its cells
show "—".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from automation import hidden

COMMAND_PLAN = "Command Plan"


@dataclass(frozen=True)
class Facts:
    iacv: Decimal | None
    segment: str
    close_date: date | None
    stage: str
    review: str = ""  # "Opportunity Consult", "Command Plan", "Lightweight Deal Review"

    @property
    def command_plan(self) -> bool:
        return self.review == COMMAND_PLAN

    @property
    def iacv_text(self) -> str:
        return f"${self.iacv:,.0f}" if self.iacv is not None else "—"


def _iacv(value: object) -> Decimal | None:
    try:
        found = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return found if found.is_finite() else None


def _date(value: object) -> date | None:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def read(description: str) -> Facts | None:
    """The facts an issue keeps, or None (none kept, or a mangled line)."""
    found = hidden.facts_payload(description)
    if found is None:
        return None
    return Facts(
        iacv=_iacv(found.get("iacv")),
        segment=str(found.get("segment") or ""),
        close_date=_date(found.get("close_date")),
        stage=str(found.get("stage") or ""),
        review=str(found.get("review") or ""),
    )
