"""Account handover: an account moves from one seller to another.

One at a time from the CLI (`salesbot handover open`) or hundreds at once from
a territory-realignment CSV (`salesbot handover import`). The business key is
the account id (or name) plus the effective date, so importing the same file
twice opens nothing new.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from automation.actions import Plan
from automation.config import Team
from automation.csvfile import read_text, rows
from automation.errors import InputError
from automation.index import Index
from automation.marker import slug
from automation.workflows.common import Environment, assignees, days_after, new_issue

WORKFLOW = "handover"
CSV_COLUMNS = ("account", "account_id", "from", "to", "effective_date", "reason", "opportunities")
REQUIRED_COLUMNS = ("account", "from", "to")
_USERNAME = re.compile(r"^@?[A-Za-z0-9_][A-Za-z0-9_.-]*$")


@dataclass(frozen=True)
class Handover:
    account: str
    from_user: str
    to_user: str
    effective: date
    account_id: str | None = None
    reason: str | None = None
    opportunities: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return f"{slug(self.account_id or self.account)}@{self.effective.isoformat()}"


def make(
    *,
    account: str,
    from_user: str,
    to_user: str,
    effective: date,
    account_id: str | None = None,
    reason: str | None = None,
    opportunities: Sequence[str] = (),
) -> Handover:
    """A validated handover; raises InputError naming the bad field."""
    account = account.strip()
    if not account:
        raise InputError("account: must not be empty")
    names = []
    for field, value in (("from", from_user), ("to", to_user)):
        value = value.strip()
        if not _USERNAME.match(value):
            raise InputError(f"{field}: '{value}' is not a GitLab username")
        names.append(value.lstrip("@"))
    if names[0].lower() == names[1].lower():
        raise InputError(f"from and to are the same person ('{names[0]}')")
    return Handover(
        account=account,
        from_user=names[0],
        to_user=names[1],
        effective=effective,
        account_id=(account_id or "").strip() or None,
        reason=(reason or "").strip() or None,
        opportunities=tuple(o.strip() for o in opportunities if o.strip()),
    )


def parse_date(text: str, field: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"{field}: '{text}' is not a date (YYYY-MM-DD)") from None


def read_csv(path: Path, *, today: date) -> list[Handover]:
    """Every row validated first; any bad row aborts with all bad rows listed."""
    return parse_csv(read_text(path), source=str(path), today=today)


def parse_csv(text: str, *, source: str, today: date) -> list[Handover]:
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise InputError(
            f"{source}:1: missing column(s) {', '.join(missing)} "
            f"(expected: {', '.join(CSV_COLUMNS)})"
        )
    unknown = [h for h in header if h not in CSV_COLUMNS]
    if unknown:
        raise InputError(f"{source}:1: unknown column(s) {', '.join(unknown)}")
    reader.fieldnames = header
    problems: list[str] = []
    handovers: list[Handover] = []
    seen: dict[str, int] = {}
    for row in rows(reader, source):
        line = reader.line_num
        if None in row:
            problems.append(f"{source}:{line}: more values than columns")
            continue
        values = {k: (v or "").strip() for k, v in row.items()}
        if not any(values.values()):
            continue
        try:
            effective = (
                parse_date(values["effective_date"], "effective_date")
                if values.get("effective_date")
                else today
            )
            handover = make(
                account=values["account"],
                from_user=values["from"],
                to_user=values["to"],
                effective=effective,
                account_id=values.get("account_id"),
                reason=values.get("reason"),
                opportunities=re.split(r"[;\s]+", values.get("opportunities") or ""),
            )
        except InputError as exc:
            problems.append(f"{source}:{line}: {exc}")
            continue
        if handover.key in seen:
            problems.append(
                f"{source}:{line}: duplicate of row on line {seen[handover.key]} "
                f"(same account and effective date)"
            )
            continue
        seen[handover.key] = line
        handovers.append(handover)
    if problems:
        raise InputError(
            f"{source}: {len(problems)} bad row(s), nothing was created:\n" + "\n".join(problems)
        )
    return handovers


def check_users(
    handovers: Iterable[Handover],
    exists: Callable[[str], bool],
    *,
    source: str = "handover",
) -> None:
    """Every seller must be a GitLab user; one error lists every unknown one."""
    unknown = sorted({u for h in handovers for u in (h.from_user, h.to_user) if not exists(u)})
    if unknown:
        raise InputError(f"{source}: unknown GitLab user(s): {', '.join(unknown)}")


def plan(env: Environment, team: Team, index: Index, handovers: Iterable[Handover]) -> Plan:
    settings = env.config.workflows.handover
    actions = []
    notes = []
    for h in handovers:
        existing = index.get(WORKFLOW, h.key)
        if existing is not None:
            notes.append(f"{h.account}: handover already open as {existing.issue.web_url}")
            continue
        incoming = team.member(h.to_user)
        outgoing = team.member(h.from_user)
        manager = (incoming.manager if incoming else None) or (
            outgoing.manager if outgoing else None
        )
        due = days_after(h.effective, settings.due_days)
        segment = incoming.segment if incoming else None
        actions.append(
            new_issue(
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
        )
    return Plan.of(WORKFLOW, actions, notes)
