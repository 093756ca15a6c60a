"""The report's model: the figures of the bot's issues as frozen records."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Literal

from automation import registry
from automation.adoption import Adoption
from automation.attention import Attention
from automation.report.facts import Facts

if TYPE_CHECKING:
    from automation.report.history import Found
    from automation.workflows.group_consults import Cadence

REPORT_VERSION = 2
FORMATS = ("md", "html", "json")
DUE_SOON_DAYS = 7
# The report's workflows and their headings, in order: as automation.registry lists them.
WORKFLOWS = registry.NAMES
TITLES = {w.name: w.title for w in registry.BUSINESS}

Status = Literal["overdue", "not-started", "in-progress", "complete", "left"]
PhaseState = Literal["done", "overdue", "active", "upcoming"]
# The Give Back template's adoption items (templates/give-back.md.j2).
ADOPTED_KEY = "give-back.adopted-70"
USED_MONTHLY_KEY = "give-back.used-monthly"
STATUS_TEXT: dict[str, str] = {
    "overdue": "overdue",
    "not-started": "not started",
    "in-progress": "in progress",
    "complete": "complete",
    "left": "owner left",
}


@dataclass(frozen=True, order=True)
class Person:
    name: str
    username: str

    def to_json(self) -> dict[str, str]:
        return {"username": self.username, "name": self.name}


@dataclass(frozen=True)
class Row:
    """One bot issue as a manager reads it."""

    workflow: str
    key: str
    iid: int
    reference: str
    title: str
    url: str
    owner: Person | None
    manager: Person | None
    phase: str
    progress: float
    done: int
    count: int
    due: date | None
    status: Status
    is_open: bool = True
    # Give Back only: the template's adoption boxes are ticked
    adopted: bool = False
    used_monthly: bool = False
    # days past the due date of its earliest overdue part; 0 unless overdue
    days_overdue: int = 0
    # consult / LDR: the deal's facts from the CRM export (None: not kept on the issue)
    facts: Facts | None = None
    # closed issues: the day it was closed (team timezone)
    closed_on: date | None = None
    # the day it was opened (from the listing: cycle times, trends)
    opened: date | None = None

    @property
    def close_date(self) -> date | None:
        """Consult / LDR: the deal's close date, as kept with the issue."""
        return self.facts.close_date if self.facts else None

    @property
    def overdue(self) -> bool:
        return self.status == "overdue"

    def to_json(self) -> dict[str, Any]:
        return {
            "workflow": self.workflow,
            "key": self.key,
            "iid": self.iid,
            "reference": self.reference,
            "title": self.title,
            "url": self.url,
            "owner": self.owner.to_json() if self.owner else None,
            "manager": self.manager.to_json() if self.manager else None,
            "phase": self.phase,
            "progress": round(self.progress, 4),
            "completed_count": self.done,
            "count": self.count,
            "due_date": self.due.isoformat() if self.due else None,
            "status": self.status,
        }


@dataclass(frozen=True)
class PhaseBar:
    title: str
    start: date
    due: date
    state: PhaseState


@dataclass(frozen=True)
class Hire:
    """A 30/60/90 plan on the cohort chart."""

    row: Row
    start: date
    phases: tuple[PhaseBar, ...]


@dataclass(frozen=True)
class Totals:
    workflow: str
    open: int
    overdue: int
    due_soon: int
    closed: int
    average_progress: float

    @property
    def title(self) -> str:
        return TITLES.get(self.workflow, self.workflow)

    def to_json(self) -> dict[str, Any]:
        return {
            "workflow": self.workflow,
            "title": self.title,
            "open": self.open,
            "overdue": self.overdue,
            "due_soon": self.due_soon,
            "closed": self.closed,
            "average_progress": round(self.average_progress, 4),
        }


@dataclass(frozen=True)
class Snapshot:
    today: date
    project: str
    rows: tuple[Row, ...]  # open issues, per workflow, overdue first
    closed: tuple[Row, ...]  # closed issues (only their counts and Give Back are shown)
    cohort: tuple[Hire, ...]
    # the last `salesbot run`'s failed actions, as the dashboard keeps them
    attention: Attention | None = None
    # the history block the dashboard carries (automation.report.history), and
    # the nudges this `salesbot run` posted, (iid, count): the history it writes
    history_found: Found | None = None
    run_nudges: tuple[tuple[int, int], ...] = ()
    # Give Back adoption measured by the monthly roll-calls (automation.adoption)
    give_back_adoption: Adoption | None = None
    # each Area Sales Manager's consults opened per week (workflows/group_consults.py)
    cadences: tuple[Cadence, ...] = ()

    def of(self, workflow: str) -> list[Row]:
        return [r for r in self.rows if r.workflow == workflow]

    @property
    def give_back(self) -> list[Row]:
        """Every Give Back project, open ones first (overdue first), then finished ones."""
        give_back = registry.GIVE_BACK.name
        return self.of(give_back) + [r for r in self.closed if r.workflow == give_back]

    @property
    def people(self) -> set[str]:
        """Who owns at least one open issue: the size of the team the dashboard tracks."""
        return {r.owner.username for r in self.rows if r.owner}

    def totals(self) -> list[Totals]:
        soon = self.today + timedelta(days=DUE_SOON_DAYS)
        found = []
        for workflow in WORKFLOWS:
            rows = self.of(workflow)
            found.append(
                Totals(
                    workflow=workflow,
                    open=len(rows),
                    overdue=sum(r.overdue for r in rows),
                    due_soon=sum(
                        1 for r in rows if not r.overdue and r.due and self.today <= r.due <= soon
                    ),
                    closed=sum(1 for r in self.closed if r.workflow == workflow),
                    average_progress=sum(r.progress for r in rows) / len(rows) if rows else 0.0,
                )
            )
        return found

    def for_manager(self, manager: Person | None) -> Snapshot:
        """Only the issues and hires of one manager's people (None: people without one)."""
        return replace(
            self,
            rows=tuple(r for r in self.rows if r.manager == manager),
            closed=tuple(r for r in self.closed if r.manager == manager),
            cohort=tuple(h for h in self.cohort if h.row.manager == manager),
        )

    def managers(self) -> list[Person | None]:
        """Managers with at least one open issue or Give Back project, by name; None last."""
        found = {r.manager for r in (*self.rows, *self.give_back)}
        named = sorted(m for m in found if m is not None)
        return [*named, None] if None in found else list(named)
