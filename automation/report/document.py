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
from automation.report.facts import Facts
from automation.report.give_back_adoption import GiveBackAdoptionDoc, adoption_doc
from automation.report.history_doc import CycleTimesDoc, TrendWeekDoc
from automation.report.history_doc import fields as history_fields
from automation.report.model import REPORT_VERSION, Hire, Person, Row, Snapshot, Totals
from automation.report.rollups import Rollup, by_manager, by_seller


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


class FactsDoc(_Model):
    """A consult's or LDR's deal, as the CRM export said when salesbot last read it."""

    iacv: str | None = Field(description="incremental ACV in USD, an exact decimal string")
    segment: str
    close_date: dt.date | None
    stage: str
    review: str = Field(
        description='"Opportunity Consult", "Command Plan", "Lightweight Deal Review" '
        '(the name the segment\'s thresholds give); "" when not recorded'
    )
    command_plan: bool


class RollupDoc(_Model):
    """One manager's or seller's figures (`automation.report.rollups`)."""

    person: PersonDoc | None = Field(description="null: issues without a manager")
    manager: PersonDoc | None = Field(description="a seller's manager; null for managers")
    open: int
    overdue: int
    oldest_days_overdue: int = Field(description="the most days one open issue is overdue")
    total_days_overdue: int = Field(description="days overdue of every open issue, added up")
    closed_with_due_date: int
    closed_on_time: int = Field(description="closed on or before the due date")
    completed_on_time: float | None = Field(
        description="closed_on_time / closed_with_due_date; null when none was closed"
    )


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
    days_overdue: int = Field(
        description="days past the due date of the earliest overdue part; 0 unless overdue"
    )
    facts: FactsDoc | None = Field(
        description="opportunity issues: the deal from the CRM export; null otherwise, or "
        "for an issue opened before salesbot kept them"
    )


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

    version: Literal[2] = Field(description="2: see README (JSON report) for what changed from 1")
    date: dt.date = Field(description="the day the figures are for (the report is as of it)")
    project: str
    attention: AttentionDoc | None = Field(description="null when the last run had no failure")
    workflows: list[TotalsDoc] = Field(
        description="always all four: onboarding, give-back, opportunity, handover"
    )
    issues: list[IssueDoc] = Field(description="open issues, per workflow, overdue first")
    onboarding_cohort: list[HireDoc]
    give_back: GiveBackDoc
    managers: list[RollupDoc] = Field(
        description="per manager (open and closed issues of their people), most behind first"
    )
    sellers: list[RollupDoc] = Field(description="per seller (issue owner), most behind first")
    trends: list[TrendWeekDoc] | None = Field(
        default=None,
        description="one entry per ISO week the dashboard's history kept (at most 104), "
        "oldest first; null when no dashboard was read",
    )
    cycle_times: CycleTimesDoc | None = Field(
        default=None, description="null when no dashboard was read"
    )
    give_back_adoption: GiveBackAdoptionDoc | None = Field(
        None, description="per project and month, from the roll-calls; null before the first"
    )
    consult_cadence: list[CadenceDoc] = Field(
        default_factory=list,
        description="per Area Sales Manager: consults their team opened in each of the last "
        "4 weeks (target: 2 or more a week)",
    )


class CadenceWeekDoc(_Model):
    week_of: dt.date = Field(description="the week's first day")
    consults: int


class CadenceDoc(_Model):
    manager: str = Field(description="the Area Sales Manager's username")
    weeks: list[CadenceWeekDoc] = Field(description="oldest first")
    weeks_below_target: int


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
        "days_overdue": row.days_overdue,
        "facts": _facts(row.facts) if row.facts else None,
    }


def _facts(found: Facts) -> FactsDoc:
    return FactsDoc(
        iacv=str(found.iacv) if found.iacv is not None else None,
        segment=found.segment,
        close_date=found.close_date,
        stage=found.stage,
        review=found.review,
        command_plan=found.command_plan,
    )


def _rollup(found: Rollup) -> RollupDoc:
    return RollupDoc(
        person=_person(found.person),
        manager=_person(found.manager),
        open=found.open,
        overdue=found.overdue,
        oldest_days_overdue=found.oldest_days_overdue,
        total_days_overdue=found.total_days_overdue,
        closed_with_due_date=found.closed_with_due,
        closed_on_time=found.closed_on_time,
        completed_on_time=round(found.on_time, 4) if found.on_time is not None else None,
    )


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
        managers=[_rollup(r) for r in by_manager(snapshot)],
        sellers=[_rollup(r) for r in by_seller(snapshot)],
        **history_fields(snapshot),
        give_back_adoption=adoption_doc(snapshot.give_back_adoption),
        consult_cadence=[
            CadenceDoc(
                manager=c.manager,
                weeks=[CadenceWeekDoc(week_of=d, consults=n) for d, n in c.weeks],
                weeks_below_target=c.weeks_below_target,
            )
            for c in snapshot.cadences
        ],
    )


def to_json(snapshot: Snapshot) -> dict[str, Any]:
    """The documented, versioned shape as plain JSON data."""
    return document(snapshot).model_dump(mode="json")


def schema() -> dict[str, Any]:
    """The JSON Schema of the report (`salesbot report schema`)."""
    return ReportDoc.model_json_schema()
