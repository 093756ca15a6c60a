"""Opportunity consults and Lightweight Deal Reviews, from a CRM export.

The handbook's thresholds (config `thresholds`) decide per opportunity: a
consult (Enterprise: a Command Plan) at or above the segment's consult iACV,
a Lightweight Deal Review at or above its LDR iACV when the deal closes this
or next month (team timezone), otherwise nothing. One issue per opportunity,
keyed by its exact id (`automation.marker.key_part`): an LDR that grows into a
consult becomes one (`ldr_growth`), never duplicated; a closed or shrunken deal
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

import csv
import io
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
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
from automation.config import Thresholds
from automation.csvfile import read_text, rows, unknown_columns_warning, validate_row
from automation.errors import InputError
from automation.fields import Segment, UsernameOrMention
from automation.index import Index, Tracked
from automation.labels import status_change
from automation.marker import key_part, legacy_key, normal, slug
from automation.neutralise import neutralise
from automation.records import Issue
from automation.team import Team
from automation.workflows.common import Environment, assignees, new_issue
from automation.workflows.ldr_growth import convert, due_date

WORKFLOW = registry.OPPORTUNITY.name
COLUMNS = (
    "id",
    "name",
    "account",
    "owner",
    "segment",
    "iacv",
    "amount",
    "close_date",
    "stage",
    "narr",
    "consult_requested",
)
ALIASES = {
    "opportunity id": "id",
    "opportunity name": "name",
    "account name": "account",
    "opportunity owner": "owner",
    "owner username": "owner",
    "close date": "close_date",
    "incremental acv": "iacv",
    "net arr": "narr",
    "consult requested": "consult_requested",
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
    narr: Decimal | None = None
    requested: bool = False  # the manager asked for a consult (Enterprise: the ASM)

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


def _yes(value: object) -> object:
    if not isinstance(value, str):
        return value
    if value.lower() in ("yes", "y", "true", "1", "x"):
        return True
    if value.lower() in ("no", "n", "false", "0"):
        return False
    raise PydanticCustomError("yes", "'{text}' is not yes or no", {"text": value})


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
    narr: Annotated[Decimal | None, BeforeValidator(_amount)] = None
    consult_requested: Annotated[bool, BeforeValidator(_yes)] = False
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
            narr=self.narr,
            requested=self.consult_requested,
        )


def _row(values: dict[str, str], line: int) -> Opportunity:
    optional = ("amount", "narr", "consult_requested")
    cells = {k: v for k, v in values.items() if not (k in optional and not v)}
    return validate_row(OpportunityRow, cells).opportunity(line)


def read_csv(path: Path) -> Export:
    return parse_csv(read_text(path), source=str(path))


def parse_csv(text: str, *, source: str) -> Export:
    reader = csv.DictReader(io.StringIO(text))
    header = [ALIASES.get(h.strip().lower(), h.strip().lower()) for h in reader.fieldnames or []]
    missing = [c for c in ("id", "owner", "segment", "iacv", "close_date") if c not in header]
    if missing:
        raise InputError(f"{source}:1: missing column(s) {', '.join(missing)}")
    warning = unknown_columns_warning(source, header, (*COLUMNS, *ALIASES))
    reader.fieldnames = header
    found: list[Opportunity] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for row in rows(reader, source):
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
    return Export(tuple(found), tuple(problems), (warning,) if warning else (), source)


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


def _tracked(
    index: Index, opportunities: Iterable[Opportunity]
) -> Iterable[tuple[Opportunity, Tracked | None]]:
    items = list(opportunities)
    shared = Counter(o.legacy_key for o in items)
    for opp in items:
        tracked = index.lookup(
            WORKFLOW,
            opp.key,
            opp.legacy_key,
            claims=partial(_owns_legacy_key, opp, shared[opp.legacy_key]),
        )
        yield opp, tracked


def growing(env: Environment, index: Index, opportunities: Iterable[Opportunity]) -> list[int]:
    """The open LDRs whose deal now needs a consult: the issues whose
    descriptions `plan` needs (the index keeps only markers)."""
    return [
        tracked.issue.iid
        for opp, tracked in _tracked(index, opportunities)
        if tracked is not None and tracked.issue.is_open and _grows(env, tracked, opp)
    ]


def _grows(env: Environment, tracked: Tracked, opp: Opportunity) -> bool:
    return (
        opp.stage not in env.config.consults.close_on
        and _kind(env, opp) == "consult"
        and current_kind(env, tracked) == "ldr"
    )


def _kind(env: Environment, opp: Opportunity, *, in_window: bool | None = None) -> str | None:
    thresholds = env.config.thresholds_for(opp.segment)
    if thresholds is None:
        return None
    window = closes_soon(opp.close_date, env.today) if in_window is None else in_window
    return thresholds.kind_for(opp.iacv, window, narr=opp.narr, requested=opp.requested)


def plan(
    env: Environment,
    team: Team,
    index: Index,
    opportunities: Iterable[Opportunity],
    full: Mapping[int, Issue] | None = None,
) -> Plan:
    """`full`: the issues `growing` named, as GitLab has them (descriptions
    included); an LDR to grow that is missing from it waits for a run that has it."""
    actions: list[Action] = []
    for opp, tracked in _tracked(index, opportunities):
        if tracked is not None and tracked.issue.iid in (full or {}):
            tracked = Tracked(tracked.marker, (full or {})[tracked.issue.iid])
        actions.extend(_plan_one(env, team, tracked, opp, full or {}))
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
    env: Environment,
    team: Team,
    tracked: Tracked | None,
    opp: Opportunity,
    full: Mapping[int, Issue],
) -> list[Action]:
    config = env.config
    if tracked is not None and not tracked.issue.is_open:
        return []  # closed by a person or by us: never reopened from a CRM row
    stage_closes = opp.stage in config.consults.close_on
    thresholds = config.thresholds_for(opp.segment)
    kind = None if stage_closes else _kind(env, opp)
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
            why=_below(thresholds, opp),
            close=config.consults.close_below_threshold,
        )
    if kind == "consult" and current_kind(env, tracked) == "ldr":
        return _grow(env, team, tracked, opp) if tracked.issue.iid in full else []
    return []


# The status an LDR gets when its deal's close date moves out of the window.
SLIPPED = "close-date-moved"


def _slipped(env: Environment, tracked: Tracked, opp: Opportunity) -> bool:
    """An open LDR whose deal still has LDR-sized iACV but no longer closes this
    month or next: the review is not due now, yet the deal has not shrunk."""
    return (
        current_kind(env, tracked) == "ldr"
        and _kind(env, opp, in_window=True) == "ldr"
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


def _data(env: Environment, team: Team, opp: Opportunity, kind: str) -> dict[str, object]:
    """What the consult or LDR template is rendered with."""
    thresholds = env.config.thresholds_for(opp.segment)
    assert thresholds is not None
    owner = team.member(opp.owner)
    name, threshold, why = _trigger(thresholds, opp, kind)
    return {
        "opportunity_id": opp.id,
        "opportunity": opp.name,
        "account": opp.account,
        "owner": opp.owner,
        "manager": owner.manager if owner else None,
        "segment": str(opp.segment),
        "iacv": opp.iacv,
        "amount": opp.amount,
        "close_date": opp.close_date,
        "stage": opp.stage,
        "threshold": threshold,
        "consult_name": name,
        "why": why,
        "narr": opp.narr,
        "due_date": due_date(env, registry.kind(kind).settings(env.config).due_days, opp.close_date),
    }


def _below(thresholds: Thresholds | None, opp: Opportunity) -> str:
    if thresholds is not None and thresholds.consult is None:
        # the export is the CRM's current state: a request taken back ends the consult
        narr = f"${opp.narr:,.0f}" if opp.narr is not None else "none"
        return (
            f"has no consult request and its NARR ({narr}) is below the {opp.segment} "
            f"Command Plan threshold (${thresholds.command_plan_narr or 0:,.0f})"
        )
    return f"fell below the {opp.segment} threshold (iACV ${opp.iacv:,.0f})"


def _trigger(thresholds: Thresholds, opp: Opportunity, kind: str) -> tuple[str, int, str]:
    """The review's name, its threshold (USD) and why the opportunity has one."""
    if kind == "ldr":
        ldr = thresholds.ldr or 0
        return "Lightweight Deal Review", ldr, f"its iACV of ${opp.iacv:,.0f} is at or over the " \
            f"${ldr:,.0f} LDR threshold for {opp.segment}"
    if thresholds.consult is not None and opp.iacv >= thresholds.consult:
        return thresholds.consult_name, thresholds.consult, f"its iACV of ${opp.iacv:,.0f} " \
            f"is at or over the ${thresholds.consult:,.0f} threshold for {opp.segment}"
    if opp.requested:
        return thresholds.consult_name, 0, "your manager asked for a consult on it"
    narr = thresholds.command_plan_narr or 0
    return "Command Plan", narr, f"its NARR of ${opp.narr or 0:,.0f} is at or over " \
        f"${narr:,.0f}: every {opp.segment} opportunity of that size has a complete Command Plan"


def _create(env: Environment, team: Team, opp: Opportunity, kind: str) -> Action:
    settings = registry.kind(kind).settings(env.config)
    data = _data(env, team, opp, kind)
    due = data["due_date"]
    assert isinstance(due, date)
    return new_issue(
        env,
        workflow=WORKFLOW,
        key=opp.key,
        settings=settings,
        data=data,
        assignees=assignees(settings, {"owner": opp.owner, "manager": data["manager"]}),
        due_date=due,
        extra_labels=[env.labels.segment(str(opp.segment))],
    )


def _grow(env: Environment, team: Team, tracked: Tracked, opp: Opportunity) -> list[Action]:
    """README "Handbook rules": the LDR becomes a consult (`ldr_growth`)."""
    data = _data(env, team, opp, "consult")
    rendered = env.templates.render(registry.kind("consult").settings(env.config).template, data)
    due = data["due_date"]
    assert isinstance(due, date)
    name = data["consult_name"]
    note = (
        f"This Lightweight Deal Review is now a full {name}, due {due.isoformat()}: "
        f"{data['why']} (CRM export of {env.today.isoformat()}). salesbot added the {name}'s "
        "checklist (MEDDPPICC, Command Plan, close plan); the review items you ticked stay "
        "as they are, the others are marked not applicable because the new items cover them."
    )
    return convert(
        env,
        tracked,
        title=rendered.title,
        consult_body=rendered.description,
        version=rendered.version,
        due=due,
        note=note,
        add_labels=_kind_labels(env, "consult"),
        remove_labels=tuple(  # a consult is due whatever the close date
            x
            for x in (*_kind_labels(env, "ldr"), env.labels.status(SLIPPED))
            if x in tracked.issue.labels
        ),
    )
