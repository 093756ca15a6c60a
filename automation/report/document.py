"""The JSON report as pydantic models: one shape, validated on the way out and
published as a JSON Schema (`salesbot report schema`).

The shape is stable within a `version`; a change that could break a reader
bumps it, new keys may appear within one. Dates are `YYYY-MM-DD`, fractions
0.0 to 1.0 rounded to 4 places.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from automation.attention import Attention
from automation.report.give_back_adoption import GiveBackAdoptionDoc, adoption_doc
from automation.report.model import REPORT_VERSION, Hire, Person, Row, Snapshot, Totals


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PersonDoc(_Model):
    username: str
    name: str


class FailureDoc(_Model):
    workflow: str
    iid: int | None = Field(description="null: an issue the run was to open")
    issue: str
    action: str
    answer: str = Field(description="GitLab's answer")


class AttentionDoc(_Model):
    """The last `salesbot run`'s failed actions, as the dashboard keeps them."""

    date: dt.date
    total: int
    failures: list[FailureDoc] = Field(description="at most 50")


class TotalsDoc(_Model):
    workflow: str
    title: str
    open: int
    overdue: int
    due_soon: int = Field(description="open, not overdue, due within 7 days")
    closed: int
    average_progress: float = Field(description="over open issues; 0.0 when none")


class IssueDoc(_Model):
    workflow: str
    key: str
    iid: int
    reference: str
    title: str
    url: str
    owner: PersonDoc | None
    manager: PersonDoc | None
    phase: str = Field(
        description='onboarding: current phase; opportunity: "consult" or "LDR"; otherwise ""'
    )
    progress: float
    completed_count: int
    count: int
    due_date: dt.date | None
    status: Literal["overdue", "not-started", "in-progress", "complete", "left"]


class GiveBackIssueDoc(IssueDoc):
    state: Literal["opened", "closed"]
    adopted: bool = Field(description='"adopted by 70% of the team" ticked')
    used_monthly: bool = Field(description='"used at least once a month" ticked')


class PhaseDoc(_Model):
    title: str
    start: dt.date
    due: dt.date
    state: Literal["done", "overdue", "active", "upcoming"]


class HireDoc(_Model):
    iid: int
    hire: PersonDoc | None
    manager: PersonDoc | None
    start_date: dt.date
    phases: list[PhaseDoc]


class GiveBackDoc(_Model):
    projects: int = Field(description="open and closed")
    complete: int
    adopted: int
    used_monthly: int
    adoption: float = Field(description="adopted / projects; 0.0 when none")
    issues: list[GiveBackIssueDoc]


class ReportDoc(_Model):
    """`salesbot report --format json`."""

    model_config = ConfigDict(title="salesbot report")

    version: Literal[1]
    date: dt.date = Field(description="the day the figures are for")
    project: str
    attention: AttentionDoc | None = Field(description="null when the last run had no failure")
    workflows: list[TotalsDoc] = Field(
        description="always all four: onboarding, give-back, opportunity, handover"
    )
    issues: list[IssueDoc] = Field(description="open issues, per workflow, overdue first")
    onboarding_cohort: list[HireDoc]
    give_back: GiveBackDoc
    give_back_adoption: GiveBackAdoptionDoc | None = Field(
        None, description="per project and month, from the roll-calls; null before the first"
    )


def _person(person: Person | None) -> PersonDoc | None:
    return PersonDoc(username=person.username, name=person.name) if person else None


def _issue_fields(row: Row) -> dict[str, Any]:
    return {
        "workflow": row.workflow,
        "key": row.key,
        "iid": row.iid,
        "reference": row.reference,
        "title": row.title,
        "url": row.url,
        "owner": _person(row.owner),
        "manager": _person(row.manager),
        "phase": row.phase,
        "progress": round(row.progress, 4),
        "completed_count": row.done,
        "count": row.count,
        "due_date": row.due,
        "status": row.status,
    }


def _totals(t: Totals) -> TotalsDoc:
    return TotalsDoc(
        workflow=t.workflow,
        title=t.title,
        open=t.open,
        overdue=t.overdue,
        due_soon=t.due_soon,
        closed=t.closed,
        average_progress=round(t.average_progress, 4),
    )


def _hire(hire: Hire) -> HireDoc:
    return HireDoc(
        iid=hire.row.iid,
        hire=_person(hire.row.owner),
        manager=_person(hire.row.manager),
        start_date=hire.start,
        phases=[
            PhaseDoc(title=b.title, start=b.start, due=b.due, state=b.state) for b in hire.phases
        ],
    )


def _attention(found: Attention) -> AttentionDoc:
    return AttentionDoc(
        date=found.day,
        total=found.total,
        failures=[FailureDoc(**f.to_json()) for f in found.failures],
    )


def document(snapshot: Snapshot) -> ReportDoc:
    """The report of a snapshot, in the published shape."""
    projects = snapshot.give_back
    adopted = sum(1 for r in projects if r.adopted)
    return ReportDoc(
        version=REPORT_VERSION,
        date=snapshot.today,
        project=snapshot.project,
        attention=_attention(snapshot.attention) if snapshot.attention else None,
        workflows=[_totals(t) for t in snapshot.totals()],
        issues=[IssueDoc(**_issue_fields(r)) for r in snapshot.rows],
        onboarding_cohort=[_hire(h) for h in snapshot.cohort],
        give_back=GiveBackDoc(
            projects=len(projects),
            complete=sum(1 for r in projects if r.status == "complete"),
            adopted=adopted,
            used_monthly=sum(1 for r in projects if r.used_monthly),
            adoption=round(adopted / len(projects), 4) if projects else 0.0,
            issues=[
                GiveBackIssueDoc(
                    **_issue_fields(r),
                    state="opened" if r.is_open else "closed",
                    adopted=r.adopted,
                    used_monthly=r.used_monthly,
                )
                for r in projects
            ],
        ),
        give_back_adoption=adoption_doc(snapshot.give_back_adoption),
    )


def to_json(snapshot: Snapshot) -> dict[str, Any]:
    """The documented, versioned shape as plain JSON data."""
    return document(snapshot).model_dump(mode="json")


def schema() -> dict[str, Any]:
    """The JSON Schema of the report (`salesbot report schema`)."""
    return ReportDoc.model_json_schema()
