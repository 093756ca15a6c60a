"""Account handover: an account moves from one seller to another.

One at a time from the CLI (`salesbot handover open`) or hundreds at once from
a territory-realignment CSV (`salesbot handover import`). The business key is
the CRM account id (else the exact, NFC-normalised account name) plus the
effective date, encoded without loss (`automation.marker.key_part`), so
importing the same file twice opens nothing new and two different accounts
never share a key.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from functools import partial
from pathlib import Path
from typing import Annotated, overload

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    model_validator,
)
from pydantic_core import PydanticCustomError

from automation import registry
from automation.actions import CreateIssue, Plan
from automation.config import WorkflowConfig
from automation.csvfile import (
    ROW_ERROR,
    CsvStream,
    open_csv,
    text_stream,
    unknown_columns_warning,
    validate_row,
)
from automation.errors import InputError
from automation.fields import UsernameOrMention
from automation.index import Index, Tracked
from automation.marker import key_part, legacy_key
from automation.team import Team
from automation.workflows.common import Environment, assignees, days_after, new_issue

WORKFLOW = registry.HANDOVER.name
CSV_COLUMNS = ("account", "account_id", "from", "to", "effective_date", "reason", "opportunities")
REQUIRED_COLUMNS = ("account", "from", "to")
# An effective date further than this from today is almost surely a typo in
# the year (2062 for 2026); refusing it beats an issue due decades away.
MAX_DAYS_AWAY = 366


@dataclass(frozen=True, slots=True)
class Handover:
    account: str
    from_user: str
    to_user: str
    effective: date
    account_id: str | None = None
    reason: str | None = None
    opportunities: tuple[str, ...] = ()
    line: int = field(default=0, compare=False)  # the CSV line, 0 from the CLI

    @property
    def key(self) -> str:
        """`id:<account id>@date`, else `name:<account name>@date`, encoded."""
        part = (
            key_part("id", self.account_id) if self.account_id else key_part("name", self.account)
        )
        return f"{part}@{self.effective.isoformat()}"

    @property
    def legacy_key(self) -> str | None:
        """The key a marker written before keys were encoded holds (`slug@date`)."""
        return legacy_key(self.account_id or self.account, f"@{self.effective.isoformat()}")


@dataclass(frozen=True)
class Import:
    """A realignment file, validated: its handovers (a file's are read again
    lazily when iterated), and warnings for the user."""

    handovers: Sequence[Handover]
    warnings: tuple[str, ...] = ()


def _effective(value: object, info: ValidationInfo) -> object:
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip())
        except ValueError:
            raise PydanticCustomError(
                "date", "'{text}' is not a date (YYYY-MM-DD)", {"text": value}
            ) from None
    today = (info.context or {}).get("today")
    if isinstance(value, date) and today is not None and abs((value - today).days) > MAX_DAYS_AWAY:
        raise PydanticCustomError(
            ROW_ERROR,
            "effective date {effective} is more than a year from today ({today}); check the year",
            {"effective": value.isoformat(), "today": today.isoformat()},
        )
    return value


def _account(value: object) -> object:
    if isinstance(value, str) and not value.strip():
        raise PydanticCustomError("empty", "must not be empty")
    return value.strip() if isinstance(value, str) else value


def _optional(value: object) -> object:
    return (value or "").strip() or None if isinstance(value, str | None) else value


class HandoverFields(BaseModel):
    """A handover as a person writes it (a CSV row or `handover open`), in the
    order problems are looked for."""

    model_config = ConfigDict(frozen=True)

    effective_date: Annotated[date, BeforeValidator(_effective)]
    account: Annotated[str, BeforeValidator(_account)]
    # `from`/`to`, as the CSV's columns and the messages name them
    from_: UsernameOrMention = Field(alias="from")
    to: UsernameOrMention
    account_id: Annotated[str | None, BeforeValidator(_optional)] = None
    reason: Annotated[str | None, BeforeValidator(_optional)] = None
    opportunities: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _two_people(self) -> HandoverFields:
        if self.from_.lower() == self.to.lower():
            raise PydanticCustomError(
                ROW_ERROR, "from and to are the same person ('{name}')", {"name": self.from_}
            )
        return self

    def handover(self, line: int = 0) -> Handover:
        return Handover(
            account=self.account,
            from_user=self.from_,
            to_user=self.to,
            effective=self.effective_date,
            account_id=self.account_id,
            reason=self.reason,
            opportunities=tuple(o.strip() for o in self.opportunities if o.strip()),
            line=line,
        )


def make(
    *,
    account: str,
    from_user: str,
    to_user: str,
    effective: date,
    account_id: str | None = None,
    reason: str | None = None,
    opportunities: Sequence[str] = (),
    today: date | None = None,
) -> Handover:
    """A validated handover; raises InputError naming the bad field. With
    `today`, an effective date more than a year away is refused."""
    values = {
        "effective_date": effective,
        "account": account,
        "from": from_user,
        "to": to_user,
        "account_id": account_id,
        "reason": reason,
        "opportunities": tuple(opportunities),
    }
    return validate_row(HandoverFields, values, {"today": today}).handover()


def read_csv(path: Path, *, today: date) -> list[Handover]:
    """Every row validated first; any bad row aborts with all bad rows listed."""
    return list(read(path, today=today).handovers)


def read(path: Path, *, today: date) -> Import:
    """As `read_csv`, with the warnings (unknown columns, no rows) for the user.

    The file is validated as a stream, holding one digest per row for the
    duplicate check, not the rows: a 50 MB export stays well under 200 MB.
    `handovers` then reads the (already valid) file again, lazily."""
    with open_csv(path) as opened:
        warnings = _header(opened)
        problems: list[str] = []
        count = sum(1 for _ in _validated(opened, today, problems))
    _refuse(opened.source, problems)
    return Import(_FileHandovers(path, today, count), (*warnings, *_no_rows(opened, count)))


def parse_csv(text: str, *, source: str, today: date) -> list[Handover]:
    return list(parse(text, source=source, today=today).handovers)


def parse(text: str, *, source: str, today: date) -> Import:
    opened = text_stream(text, source)
    warnings = _header(opened)
    problems: list[str] = []
    handovers = tuple(_validated(opened, today, problems))
    _refuse(source, problems)
    return Import(handovers, (*warnings, *_no_rows(opened, len(handovers))))


def _header(opened: CsvStream) -> tuple[str, ...]:
    missing = [c for c in REQUIRED_COLUMNS if c not in opened.header]
    if missing:
        raise opened.missing(missing, CSV_COLUMNS)
    warning = unknown_columns_warning(opened.source, opened.header, CSV_COLUMNS)
    return (warning,) if warning else ()


def _no_rows(opened: CsvStream, count: int) -> tuple[str, ...]:
    return () if count else (f"{opened.source}: 0 rows (only a header): nothing to import",)


def _refuse(source: str, problems: list[str]) -> None:
    if problems:
        raise InputError(
            f"{source}: {len(problems)} bad row(s), nothing was created:\n" + "\n".join(problems)
        )


def _validated(opened: CsvStream, today: date, problems: list[str]) -> Iterator[Handover]:
    """Each good row's handover; each bad row's problem appended to `problems`."""
    source, reader = opened.source, opened.reader
    # a 16-byte digest of each key, not the key: memory stays flat per row
    seen: dict[bytes, int] = {}
    for row in opened.rows():
        line = reader.line_num
        if None in row:
            problems.append(f"{source}:{line}: more values than columns")
            continue
        values = {k: (v or "").strip() for k, v in row.items() if k in CSV_COLUMNS}
        if not any(values.values()):
            continue
        try:
            cells = {
                **values,
                "effective_date": values.get("effective_date") or today,
                "opportunities": re.split(r"[;\s]+", values.get("opportunities") or ""),
            }
            handover = validate_row(HandoverFields, cells, {"today": today}).handover()
        except InputError as exc:
            problems.append(f"{source}:{line}: {exc}")
            continue
        digest = hashlib.blake2b(handover.key.encode(), digest_size=16).digest()
        if digest in seen:
            problems.append(
                f"{source}:{line}: duplicate of row on line {seen[digest]} "
                f"(same account and effective date)"
            )
            continue
        seen[digest] = line
        yield replace(handover, line=line)


class _FileHandovers(Sequence[Handover]):
    """The handovers of a file `read` validated, read again when iterated."""

    def __init__(self, path: Path, today: date, count: int) -> None:
        self._path, self._today, self._count = path, today, count

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[Handover]:
        problems: list[str] = []
        with open_csv(self._path, progress=False) as opened:
            yield from _validated(opened, self._today, problems)
        if problems:
            raise InputError(f"{self._path}: the file changed while it was imported")

    @overload
    def __getitem__(self, index: int) -> Handover: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Handover]: ...
    def __getitem__(self, index: int | slice) -> Handover | Sequence[Handover]:
        return list(self)[index]


def check_users(
    handovers: Iterable[Handover],
    exists: Callable[[str], bool],
    *,
    source: str = "handover",
) -> None:
    """Every seller must be a GitLab user; one error lists every unknown one,
    and, for rows of a file, every bad row by line."""
    items = list(handovers)
    known: dict[str, bool] = {}
    for name in (u for h in items for u in (h.from_user, h.to_user)):
        if name not in known:
            known[name] = exists(name)
    unknown = sorted(name for name, found in known.items() if not found)
    if not unknown:
        return
    rows = [
        f"{source}:{h.line}: {role}: unknown GitLab user '{name}'"
        for h in items
        if h.line
        for role, name in (("from", h.from_user), ("to", h.to_user))
        if not known[name]
    ]
    message = f"{source}: unknown GitLab user(s): {', '.join(unknown)}"
    if rows:
        message += f"; {len(rows)} bad row(s), nothing was created:\n" + "\n".join(rows)
    raise InputError(message)


def plan(env: Environment, team: Team, index: Index, handovers: Iterable[Handover]) -> Plan:
    settings = env.config.workflows.handover
    actions = []
    notes = []
    for h in handovers:
        existing = index.lookup(
            WORKFLOW, h.key, h.legacy_key, claims=partial(_same_account, env, team, h)
        )
        if existing is not None:
            notes.append(f"{h.account}: handover already open as {existing.issue.web_url}")
            continue
        other = index.get(WORKFLOW, h.legacy_key) if h.legacy_key else None
        if other is not None:
            notes.append(
                f"{h.account}: {other.issue.web_url}, opened before keys were exact, has the "
                "same legacy key but another account's title; opening a separate handover"
            )
        actions.append(_create(env, team, settings, h))
    return Plan.of(WORKFLOW, actions, notes)


# Stand-ins for the sellers when a title is matched against a legacy issue's:
# letters only, so neutralising leaves them as they are.
_FROM, _TO = "SalesbotFromSeller", "SalesbotToSeller"


def _same_account(env: Environment, team: Team, h: Handover, old: Tracked) -> bool:
    """Whether an issue opened before keys were encoded, whose marker holds
    this handover's legacy slug key, is this account's handover.

    A slug is lossy, so the key alone cannot tell "Acme, Inc." from "Acme Inc";
    the issue's title can: salesbot titled it from the same template with the
    exact account name. It is this account's when its title is the title this
    handover gets, with any sellers in the seller positions (the key is account
    and date, not sellers). A title a person has since edited no longer proves
    it, and a separate handover is opened, with a note naming the old issue."""
    settings = env.config.workflows.handover
    probe = replace(h, from_user=_FROM, to_user=_TO)
    title = _create(env, team, settings, probe).title
    pattern = re.escape(title).replace(_FROM, ".+").replace(_TO, ".+")
    return re.fullmatch(pattern, old.issue.title, flags=re.DOTALL) is not None


def _create(env: Environment, team: Team, settings: WorkflowConfig, h: Handover) -> CreateIssue:
    incoming = team.member(h.to_user)
    outgoing = team.member(h.from_user)
    manager = (incoming.manager if incoming else None) or (outgoing.manager if outgoing else None)
    due = days_after(h.effective, settings.due_days)
    segment = incoming.segment if incoming else None
    # the Rules of Engagement are Commercial Sales' (handbook: commercial-sales.md);
    # sellers not on the roster keep them, as before
    known = [m for m in (incoming, outgoing) if m is not None]
    commercial = not known or any(str(m.department) == "Commercial" for m in known)
    return new_issue(
        env,
        workflow=WORKFLOW,
        key=h.key,
        settings=settings,
        data={
            "account": h.account,
            "account_id": h.account_id,
            "from_user": h.from_user,
            "to_user": h.to_user,
            "manager": manager,
            "effective_date": h.effective,
            "due_date": due,
            "reason": h.reason,
            "opportunities": list(h.opportunities),
            "commercial": commercial,
        },
        # by default the incoming seller owns it; the outgoing seller too
        # where the tier allows several assignees (Free keeps the first).
        assignees=assignees(
            settings,
            {"incoming": h.to_user, "outgoing": h.from_user, "manager": manager},
            also=[h.to_user, h.from_user],
        ),
        due_date=due,
        extra_labels=[env.labels.segment(str(segment))] if segment else [],
    )
