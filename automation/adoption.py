"""Give Back adoption, measured: per project and month, the share of the
hire's team who ticked their own box on that month's roll-call issue
(`automation.workflows.roll_call` opens them), against the handbook's target.

Handbook (commercial-sales.md, "Give Back Project"): a project "is adopted by
no less than 70% of the Commercial Sales team and used at least once a month".

Pure: a function of the bot's listing (the Give Back and roll-call issues, as
GitLab lists them), the roster, today and the `Ledger`, what the bot last read
of each roll-call issue's notes, which the dashboard carries in one hidden
line (`automation.hidden.roll_call_record`) so a run reads the notes only of
the roll-call issues updated since.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from automation import hidden, registry
from automation.checklist import parse
from automation.index import Tracked
from automation.team import Team

# "adopted by no less than 70% of the ... team"
TARGET = 0.7
ROLL_CALL = registry.ROLL_CALL.name
GIVE_BACK = registry.GIVE_BACK.name
# A roll-call box's task key: `roll-call.<username>`.
BOX_PREFIX = "roll-call."


# -- months ------------------------------------------------------------------------


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _number(month: str) -> int:
    year, number = month.split("-")
    return int(year) * 12 + int(number) - 1


def months_between(first: str, last: str) -> int:
    """How many months `last` is after `first` (0: the same month)."""
    return _number(last) - _number(first)


def month_title(month: str) -> str:
    return date.fromisoformat(f"{month}-01").strftime("%B %Y")


# -- roll-call keys and boxes ----------------------------------------------------------


def roll_call_key(give_back_key: str, month: str) -> str:
    """`<give back key>@YYYY-MM`: one roll-call issue per project and month."""
    return f"{give_back_key}@{month}"


def split_key(key: str) -> tuple[str, str]:
    """(give back key, month) of a roll-call key."""
    project, _, month = key.rpartition("@")
    return project, month


def box_key(username: str) -> str:
    return f"{BOX_PREFIX}{username}"


def members_of(description: str) -> dict[str, bool]:
    """{username: box ticked now} for the roll-call boxes of a description, in order."""
    found: dict[str, bool] = {}
    for item in parse(description).items:
        if item.key and item.key.startswith(BOX_PREFIX):
            found[item.key.removeprefix(BOX_PREFIX)] = item.checked
    return found


# -- what the bot read ---------------------------------------------------------------


@dataclass(frozen=True)
class Seen:
    """One roll-call issue as the bot last read its notes."""

    read: str  # the issue's `updated_at` then: a later one means something changed
    by: tuple[str, ...]  # who had ticked their own box
    closed: bool = False  # the bot closed it at month end (a person may reopen it)


@dataclass(frozen=True)
class Ledger:
    seen: Mapping[int, Seen] = field(default_factory=dict)
    flagged: frozenset[str] = frozenset()  # adoption flags posted (`flag_id`)

    def to_json(self) -> dict[str, Any]:
        return {
            "seen": {
                str(iid): {"read": s.read, "by": list(s.by), "closed": s.closed}
                for iid, s in sorted(self.seen.items())
            },
            "flagged": sorted(self.flagged),
        }

    @classmethod
    def from_json(cls, data: Any) -> Ledger:
        """The ledger a record carries; an empty one when it is missing or mangled
        (the next run reads the notes again: it costs requests, never a wrong figure)."""
        try:
            seen = {
                int(iid): Seen(str(s["read"]), tuple(str(u) for u in s["by"]), bool(s["closed"]))
                for iid, s in data["seen"].items()
            }
            return cls(seen, frozenset(str(f) for f in data["flagged"]))
        except (TypeError, KeyError, ValueError, AttributeError):
            return cls()

    @classmethod
    def read(cls, dashboard_description: str) -> Ledger:
        return cls.from_json(hidden.roll_call_payload(dashboard_description))

    def record(self) -> str:
        return hidden.roll_call_record(self.to_json())


# -- the figures -----------------------------------------------------------------------


@dataclass(frozen=True)
class Month:
    month: str  # YYYY-MM
    iid: int  # its roll-call issue
    url: str
    members: int  # boxes on the roll-call
    used: tuple[str, ...]  # who ticked their own box
    complete: bool  # the month is over

    @property
    def rate(self) -> float:
        return len(self.used) / self.members if self.members else 0.0

    @property
    def under(self) -> bool:
        return self.rate < TARGET


@dataclass(frozen=True)
class Project:
    key: str  # the Give Back issue's key
    iid: int
    title: str
    url: str
    hire: str
    manager: str | None
    months: tuple[Month, ...]  # oldest first

    def flags(self) -> list[str]:
        """The ids of the flags this project earned: one per run of complete
        months under target, when it reaches two months in a row."""
        found = []
        streak = 0
        previous: Month | None = None
        for month in (m for m in self.months if m.complete):
            adjacent = previous is not None and months_between(previous.month, month.month) == 1
            streak = (streak + 1 if adjacent else 1) if month.under else 0
            if streak == 2:
                found.append(flag_id(self.key, month.month))
            previous = month
        return found

    @property
    def flagged(self) -> bool:
        """Under target in each of its last two complete months (the dashboard says so)."""
        done = [m for m in self.months if m.complete][-2:]
        return (
            len(done) == 2
            and all(m.under for m in done)
            and months_between(done[0].month, done[1].month) == 1
        )


def flag_id(give_back_key: str, month: str) -> str:
    return f"{give_back_key}@{month}"


@dataclass(frozen=True)
class Adoption:
    projects: tuple[Project, ...]
    ledger: Ledger = field(default_factory=Ledger)
    target: float = TARGET

    def of(self, keys: Iterable[str]) -> Adoption:
        """Only these Give Back projects (a manager's section)."""
        wanted = set(keys)
        return Adoption(tuple(p for p in self.projects if p.key in wanted), self.ledger)


def build(
    team: Team,
    give_backs: Iterable[Tracked],
    roll_calls: Iterable[Tracked],
    ledger: Ledger,
    today: date,
) -> Adoption:
    """Each Give Back project with at least one roll-call, its months in order.
    A month whose notes were never read counts nobody (yet)."""
    this_month = month_of(today)
    months: dict[str, list[Month]] = {}
    for tracked in roll_calls:
        project, month = split_key(tracked.marker.key)
        boxes = members_of(tracked.issue.description)
        seen = ledger.seen.get(tracked.issue.iid)
        used = tuple(u for u in boxes if seen and u in seen.by)
        found = Month(
            month=month,
            iid=tracked.issue.iid,
            url=tracked.issue.web_url,
            members=len(boxes),
            used=used,
            complete=month < this_month,
        )
        months.setdefault(project, []).append(found)
    projects = []
    for tracked in give_backs:
        key = tracked.marker.key
        if key not in months:
            continue
        hire = key.rpartition("@")[0]
        member = team.member(hire)
        projects.append(
            Project(
                key=key,
                iid=tracked.issue.iid,
                title=tracked.issue.title,
                url=tracked.issue.web_url,
                hire=hire,
                manager=member.manager if member else None,
                months=tuple(sorted(months[key], key=lambda m: m.month)),
            )
        )
    return Adoption(tuple(sorted(projects, key=lambda p: (p.title, p.iid))), ledger)
