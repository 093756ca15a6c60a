"""Opportunity consults and Lightweight Deal Reviews, from a CRM export.

The handbook's thresholds (config `thresholds`) decide per opportunity: a
consult (Enterprise: a Command Plan) at or above the segment's consult iACV,
a Lightweight Deal Review at or above its LDR iACV when the deal closes this
or next month (team timezone), otherwise nothing. One issue per opportunity,
keyed by its exact id (`automation.marker.key_part`): an LDR that grows into a
consult is relabelled with a note, never duplicated; a closed or shrunken deal
gets a note, a label and, per config, its issue closed. An LDR whose close
date slips beyond next month is noted and labelled `close-date-moved` but kept
open (the review is still wanted when the deal comes back into range); when
the date comes back, the label goes with a note.

A row is bad (reported as `file:line: field: why`) when a required value is
missing or unreadable, the iACV is zero or negative, or the owner is not a
GitLab user (`check_owners`). A column salesbot does not read is a warning.

CSV columns (a Salesforce opportunity report exported as CSV; header names
are matched case-insensitively, Salesforce's own names work too):

| column      | Salesforce name        | meaning                                  |
|-------------|------------------------|------------------------------------------|
| id          | Opportunity ID         | the opportunity's id (the business key)  |
| name        | Opportunity Name       |                                          |
| account     | Account Name           |                                          |
| owner       | Opportunity Owner      | the owner's GitLab username              |
| segment     | Segment                | SMB, Mid-Market, Enterprise, Public Sector |
| iacv        | iACV                   | incremental ACV in USD, e.g. 12000 or $12,000 |
| amount      | Amount                 | total amount in USD                      |
| close_date  | Close Date             | YYYY-MM-DD                               |
| stage       | Stage                  | e.g. 3-Technical Evaluation, Closed Won  |
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import partial
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict
from pydantic_core import PydanticCustomError

from automation import registry
from automation.actions import Action, Comment, IssueRef, Plan
from automation.csvfile import (
    CsvStream,
    open_csv,
    text_stream,
    unknown_columns_warning,
    validate_row,
)
from automation.errors import InputError
from automation.fields import Segment, UsernameOrMention
from automation.index import Index, Tracked
from automation.labels import status_change
from automation.marker import key_part, legacy_key, normal, slug
from automation.neutralise import neutralise
from automation.team import Team
from automation.workflows.common import Environment, assignees, days_after, new_issue

WORKFLOW = registry.OPPORTUNITY.name
COLUMNS = ("id", "name", "account", "owner", "segment", "iacv", "amount", "close_date", "stage")
ALIASES = {
    "opportunity id": "id",
    "opportunity name": "name",
    "account name": "account",
    "opportunity owner": "owner",
    "owner username": "owner",
    "close date": "close_date",
    "incremental acv": "iacv",
}


@dataclass(frozen=True)
class Opportunity:
    id: str
    name: str
    account: str
    owner: str
    segment: Segment
    iacv: Decimal
    amount: Decimal | None
    close_date: date
    stage: str
    line: int = 0

    @property
    def key(self) -> str:
        return key_part("id", self.id)

    @property
    def legacy_key(self) -> str | None:
        """The key a marker written before keys were encoded holds (`slug(id)`)."""
        return legacy_key(self.id)


@dataclass(frozen=True)
class Export:
    opportunities: tuple[Opportunity, ...]
    problems: tuple[str, ...]  # one line per bad row: "file:line: field: why"
    warnings: tuple[str, ...] = ()  # e.g. columns salesbot does not read
    source: str = "opportunities"  # the file, as problems name it


def _money(text: str) -> Decimal:
    cleaned = re.sub(r"[$,\s]|USD", "", text)
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite():
        raise PydanticCustomError("number", "'{text}' is not a number", {"text": text})
    return value


def _amount(value: object) -> object:
    return _money(value) if isinstance(value, str) else value


def _iacv(value: object) -> object:
    if not isinstance(value, str):
        return value
    found = _money(value)
    if found <= 0:
        # a negative iACV is a data error (a credit or a typo), not a deal that
        # "fell below the threshold"; the handbook's thresholds are all positive.
        raise PydanticCustomError("positive", "'{text}' must be a positive amount", {"text": value})
    return found


def _required(value: object) -> object:
    if value == "":
        raise PydanticCustomError("missing", "missing")
    return value


def _segment(value: object) -> object:
    if isinstance(value, str) and value not in {s.value for s in Segment}:
        choices = ", ".join(s.value for s in Segment)
        raise PydanticCustomError(
            "segment",
            "unknown segment '{value}' (expected one of: {choices})",
            {"value": value, "choices": choices},
        )
    return value


def _close_date(value: object) -> object:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise PydanticCustomError(
                "date", "'{value}' is not a date (YYYY-MM-DD)", {"value": value}
            ) from None
    return value


class OpportunityRow(BaseModel):
    """One row of the export, its cells stripped; fields in the order problems
    are looked for."""

    model_config = ConfigDict(frozen=True)

    # the required columns are always there (parse_csv checks the header)
    id: Annotated[str, BeforeValidator(_required)]
    owner: UsernameOrMention
    segment: Annotated[Segment, BeforeValidator(_segment)]
    close_date: Annotated[date, BeforeValidator(_close_date)]
    iacv: Annotated[Decimal, BeforeValidator(_iacv)]
    amount: Annotated[Decimal | None, BeforeValidator(_amount)] = None
    name: str = ""
    account: str = ""
    stage: str = ""

    def opportunity(self, line: int) -> Opportunity:
        return Opportunity(
            id=self.id,
            name=self.name or self.id,
            account=self.account,
            owner=self.owner,
            segment=self.segment,
            iacv=self.iacv,
            amount=self.amount,
            close_date=self.close_date,
            stage=self.stage,
            line=line,
        )


def _row(values: dict[str, str], line: int) -> Opportunity:
    cells = {k: v for k, v in values.items() if not (k == "amount" and not v)}
    return validate_row(OpportunityRow, cells).opportunity(line)


def read_csv(path: Path) -> Export:
    with open_csv(path, rename=ALIASES) as opened:
        return _parse(opened)


def parse_csv(text: str, *, source: str) -> Export:
    return _parse(text_stream(text, source, rename=ALIASES))


def _parse(opened: CsvStream) -> Export:
    source, reader, header = opened.source, opened.reader, opened.header
    missing = [c for c in ("id", "owner", "segment", "iacv", "close_date") if c not in header]
    if missing:
        raise opened.missing(missing)
    warning = unknown_columns_warning(source, header, (*COLUMNS, *ALIASES))
    found: list[Opportunity] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for row in opened.rows():
        line = reader.line_num
        values = {k: (v or "").strip() for k, v in row.items() if k in COLUMNS}
        if not any(values.values()):
            continue
        try:
            opportunity = _row(values, line)
        except InputError as exc:
            problems.append(f"{source}:{line}: {exc}")
            continue
        if opportunity.key in seen:
            problems.append(f"{source}:{line}: id: duplicate of line {seen[opportunity.key]}")
            continue
        seen[opportunity.key] = line
        found.append(opportunity)
    warnings = (warning,) if warning else ()
    if not found and not problems:
        warnings = (*warnings, f"{source}: 0 rows (only a header): no opportunities to sync")
    return Export(tuple(found), tuple(problems), warnings, source)


def check_owners(export: Export, exists: Callable[[str], bool]) -> Export:
    """The export with every row whose owner is not a GitLab user moved to its
    problems (`file:line: owner: ...`), each owner looked up once."""
    known: dict[str, bool] = {}
    for name in (o.owner for o in export.opportunities):
        if name not in known:
            known[name] = exists(name)
    bad = [o for o in export.opportunities if not known[o.owner]]
    if not bad:
        return export
    return replace(
        export,
        opportunities=tuple(o for o in export.opportunities if known[o.owner]),
        problems=(
            *export.problems,
            *(f"{export.source}:{o.line}: owner: unknown GitLab user '{o.owner}'" for o in bad),
        ),
    )


def closes_soon(close: date, today: date) -> bool:
    """This month or next month, counted in the team's timezone (`today` is local)."""
    months = (close.year - today.year) * 12 + close.month - today.month
    return 0 <= months <= 1


def plan(env: Environment, team: Team, index: Index, opportunities: Iterable[Opportunity]) -> Plan:
    items = list(opportunities)
    shared = Counter(o.legacy_key for o in items)
    actions: list[Action] = []
    for opp in items:
        tracked = index.lookup(
            WORKFLOW,
            opp.key,
            opp.legacy_key,
            claims=partial(_owns_legacy_key, opp, shared[opp.legacy_key]),
        )
        actions.extend(_plan_one(env, team, tracked, opp))
    return Plan.of(WORKFLOW, actions)


def _owns_legacy_key(opp: Opportunity, rows_sharing_it: int, _: Tracked) -> bool:
    """Whether an issue opened before keys were encoded, whose marker holds
    this opportunity's legacy key `slug(id)`, is this opportunity's.

    A CRM id is the opportunity's identity and the old code refused an export
    in which two ids shared a slug, so the issue is this row's when the slug is
    the id itself (Salesforce ids are letters and digits) or when no other row
    of this export shares the slug. Of two ids sharing one ("A-1" and "A 1"),
    only the one spelt as the slug takes the old issue; the other is opened
    anew rather than steal a different deal's review."""
    return opp.legacy_key == normal(opp.id) or rows_sharing_it == 1


def _kind_labels(env: Environment, kind: str) -> tuple[str, ...]:
    return tuple(registry.kind(kind).settings(env.config).labels)


def current_kind(env: Environment, tracked: Tracked) -> str:
    found = registry.kind_of(env.config, WORKFLOW, tracked.issue.labels)
    assert found is not None
    return found.template


def _plan_one(
    env: Environment, team: Team, tracked: Tracked | None, opp: Opportunity
) -> list[Action]:
    config = env.config
    if tracked is not None and not tracked.issue.is_open:
        return []  # closed by a person or by us: never reopened from a CRM row
    stage_closes = opp.stage in config.consults.close_on
    thresholds = config.thresholds.get(opp.segment)
    kind = None
    if thresholds is not None and not stage_closes:
        kind = thresholds.kind_for(opp.iacv, closes_soon(opp.close_date, env.today))
    if tracked is None:
        return [_create(env, team, opp, kind)] if kind else []
    ref = IssueRef(iid=tracked.issue.iid)
    if stage_closes:
        return _wind_down(
            env, tracked, status=slug(opp.stage).lower(), why=f"is {neutralise(opp.stage)}"
        )
    if kind is None and _slipped(env, tracked, opp):
        return _slip(env, tracked, opp)
    if kind == "ldr" and env.labels.status(SLIPPED) in tracked.issue.labels:
        return [_back_in_range(env, tracked, opp)]
    if kind is None:
        return _wind_down(
            env,
            tracked,
            status="below-threshold",
            why=f"fell below the {opp.segment} threshold (iACV ${opp.iacv:,.0f})",
            close=config.consults.close_below_threshold,
        )
    if kind == "consult" and current_kind(env, tracked) == "ldr":
        name = thresholds.consult_name if thresholds else "Opportunity Consult"
        return [
            Comment(
                ref,
                f"iACV is now ${opp.iacv:,.0f}, at or above the {opp.segment} {name} "
                f"threshold (${thresholds.consult if thresholds else 0:,.0f}): this Lightweight "
                f"Deal Review is now a full {name}. Work through MEDDPPICC and the close plan "
                "with your manager.",
                reason="upgraded to consult",
                add_labels=_kind_labels(env, "consult"),
                remove_labels=tuple(  # a consult is due whatever the close date
                    x
                    for x in (*_kind_labels(env, "ldr"), env.labels.status(SLIPPED))
                    if x in tracked.issue.labels
                ),
            )
        ]
    return []


# The status an LDR gets when its deal's close date moves out of the window.
SLIPPED = "close-date-moved"


def _slipped(env: Environment, tracked: Tracked, opp: Opportunity) -> bool:
    """An open LDR whose deal still has LDR-sized iACV but no longer closes this
    month or next: the review is not due now, yet the deal has not shrunk."""
    thresholds = env.config.thresholds.get(opp.segment)
    return (
        thresholds is not None
        and current_kind(env, tracked) == "ldr"
        and thresholds.kind_for(opp.iacv, True) == "ldr"
        and not closes_soon(opp.close_date, env.today)
    )


def _slip(env: Environment, tracked: Tracked, opp: Opportunity) -> list[Action]:
    """Rule (README "Behaviour notes"): keep the LDR open, say why once, label it."""
    label = env.labels.status(SLIPPED)
    if label in tracked.issue.labels:
        return []  # already told, for this slip
    # on hold replaces `overdue` on Free as Premium would (labels.STATUS_RANKS)
    change = status_change(env.labels, tracked.issue.labels, SLIPPED)
    if change is None:
        return []
    when = "is in the past" if opp.close_date < env.today else "is beyond next month"
    return [
        Comment(
            IssueRef(iid=tracked.issue.iid),
            f"The close date moved to {opp.close_date.isoformat()} in the CRM export, which "
            f"{when}: a Lightweight Deal Review is due for deals closing this month or next "
            "month, so this one is on hold. It stays open for when the deal comes back into "
            "range; close it if the review is no longer needed.",
            reason=f"close date moved to {opp.close_date.isoformat()}",
            add_labels=change.add,
            remove_labels=change.remove,
        )
    ]


def _back_in_range(env: Environment, tracked: Tracked, opp: Opportunity) -> Action:
    return Comment(
        IssueRef(iid=tracked.issue.iid),
        f"The close date is now {opp.close_date.isoformat()}, this month or next month: "
        "this Lightweight Deal Review is due again.",
        reason=f"close date back to {opp.close_date.isoformat()}",
        remove_labels=(env.labels.status(SLIPPED),),
    )


def _wind_down(
    env: Environment, tracked: Tracked, *, status: str, why: str, close: bool = True
) -> list[Action]:
    label = env.labels.status(status)
    if label in tracked.issue.labels:
        return []  # already told; a person chose to keep it open
    # the outcome replaces a lower status (overdue, an earlier outcome) on Free
    # as Premium would; none outranks a deal outcome on an open opportunity
    change = status_change(env.labels, tracked.issue.labels, status)
    if change is None:
        return []
    do_close = close and env.config.workflows.consult.close_when_complete
    return [
        Comment(
            IssueRef(iid=tracked.issue.iid),
            f"The opportunity {why} in the CRM export.",
            reason=status,
            add_labels=change.add,
            remove_labels=change.remove,
            close=do_close,
        )
    ]


def _create(env: Environment, team: Team, opp: Opportunity, kind: str) -> Action:
    config = env.config
    settings = registry.kind(kind).settings(config)
    thresholds = config.thresholds[opp.segment]
    owner = team.member(opp.owner)
    manager = owner.manager if owner else None
    name = thresholds.consult_name if kind == "consult" else "Lightweight Deal Review"
    return new_issue(
        env,
        workflow=WORKFLOW,
        key=opp.key,
        settings=settings,
        data={
            "opportunity_id": opp.id,
            "opportunity": opp.name,
            "account": opp.account,
            "owner": opp.owner,
            "manager": manager,
            "segment": str(opp.segment),
            "iacv": opp.iacv,
            "amount": opp.amount,
            "close_date": opp.close_date,
            "stage": opp.stage,
            "threshold": thresholds.consult if kind == "consult" else thresholds.ldr,
            "consult_name": name,
        },
        assignees=assignees(settings, {"owner": opp.owner, "manager": manager}),
        due_date=min(days_after(env.today, settings.due_days), opp.close_date)
        if opp.close_date >= env.today
        else days_after(env.today, settings.due_days),
        extra_labels=[env.labels.segment(str(opp.segment))],
    )
