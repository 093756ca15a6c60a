"""The CRM export of opportunities (`consults sync --opportunities`, config
`consults.opportunities`), read into `Opportunity` rows.

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
| narr        | Net ARR                | net ARR in USD (Enterprise: Command Plan)|
| consult_requested | Consult Requested | yes/no: the manager asked for a consult |
| sa          | Solutions Architect    | GitLab username of the account's SA      |
| csm         | Customer Success Manager | GitLab username of the account's CSM   |
| sdr         | SDR                    | GitLab username of the account's SDR     |

`narr` and `consult_requested` are optional (the Enterprise rules read them;
handbook: "a complete Command Plan for all $50k+ NARR opportunities", and the
Area Sales Manager picks the opportunities that get a consult). `sa`, `csm`
and `sdr` are optional too: the account team a consult names and, on GitLab
Premium, assigns (handbook: "entire account team (AE, SA, CSM, and SDR)");
like the owner, a name that is not a GitLab user makes the row bad.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict
from pydantic_core import PydanticCustomError

from automation.csvfile import (
    CsvStream,
    open_csv,
    text_stream,
    unknown_columns_warning,
    validate_row,
)
from automation.errors import InputError
from automation.fields import Segment, UsernameOrMention
from automation.marker import key_part, legacy_key

# the account team's columns, in the order the consult names them (the AE is the owner)
TEAM_ROLES = ("sa", "csm", "sdr")

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
    *TEAM_ROLES,
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
    "solutions architect": "sa",
    "customer success manager": "csm",
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
    team: tuple[tuple[str, str], ...] = ()  # (column, username): the account team

    @property
    def people(self) -> tuple[str, ...]:
        """Every GitLab username the row names: the owner, then the account team."""
        return (self.owner, *(user for _, user in self.team))

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
    sa: UsernameOrMention | None = None
    csm: UsernameOrMention | None = None
    sdr: UsernameOrMention | None = None
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
            team=tuple(
                (role, user)
                for role in TEAM_ROLES
                if (user := getattr(self, role)) is not None and user != self.owner
            ),
        )


def _row(values: dict[str, str], line: int) -> Opportunity:
    optional = ("amount", "narr", "consult_requested", *TEAM_ROLES)
    cells = {k: v for k, v in values.items() if not (k in optional and not v)}
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
    """The export with every row whose owner (or account team member) is not a
    GitLab user moved to its problems (`file:line: owner: ...`, `...: sa: ...`),
    each name looked up once."""
    known: dict[str, bool] = {}
    for name in (p for o in export.opportunities for p in o.people):
        if name not in known:
            known[name] = exists(name)
    bad: list[tuple[Opportunity, str, str]] = []
    for o in export.opportunities:
        named = (("owner", o.owner), *o.team)
        unknown = next(((c, n) for c, n in named if not known[n]), None)
        if unknown is not None:
            bad.append((o, *unknown))
    if not bad:
        return export
    dropped = {o.key for o, _, _ in bad}
    return replace(
        export,
        opportunities=tuple(o for o in export.opportunities if o.key not in dropped),
        problems=(
            *export.problems,
            *(
                f"{export.source}:{o.line}: {column}: unknown GitLab user '{name}'"
                for o, column, name in bad
            ),
        ),
    )
