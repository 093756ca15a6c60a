"""Per manager and per seller: who is behind, and by how much (pure).

From the snapshot's rows (open issues) and closed rows (the listing holds
closed issues too, so no request more):

- `open`, `overdue`: open issues, and those past due;
- `oldest_days_overdue`, `total_days_overdue`: the most days one open issue
  is overdue, and the days of every overdue issue added up;
- `on_time`: of the closed issues that had a due date, the share closed on or
  before it (the closing day in the team's timezone); None when there are none.

A seller is an issue's owner (the hire for onboarding and Give Back, the
assignee otherwise); a manager is the seller's manager on the roster. Issues
without an owner count only in their manager's figures ("No manager" when
there is neither).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from automation.report.model import Person, Row, Snapshot


@dataclass(frozen=True)
class Rollup:
    person: Person | None  # the manager or seller; None: issues without one
    open: int
    overdue: int
    oldest_days_overdue: int
    total_days_overdue: int
    closed_with_due: int  # closed issues that had a due date
    closed_on_time: int  # ...closed on or before it
    manager: Person | None = None  # a seller's manager (None for a manager's own rollup)

    @property
    def on_time(self) -> float | None:
        """Completed on time, 0.0 to 1.0; None when nothing with a due date was closed."""
        return self.closed_on_time / self.closed_with_due if self.closed_with_due else None

    @property
    def name(self) -> str:
        return self.person.name if self.person else "—"


def _on_time(row: Row) -> bool:
    return row.closed_on is not None and row.due is not None and row.closed_on <= row.due


def rollup(
    person: Person | None,
    rows: Sequence[Row],
    closed: Iterable[Row],
    manager: Person | None = None,
) -> Rollup:
    """The figures of these open `rows` and `closed` rows."""
    late = [r.days_overdue for r in rows if r.overdue]
    dated = [r for r in closed if r.due is not None]
    return Rollup(
        person=person,
        open=len(rows),
        overdue=len(late),
        oldest_days_overdue=max(late, default=0),
        total_days_overdue=sum(late),
        closed_with_due=len(dated),
        closed_on_time=sum(1 for r in dated if _on_time(r)),
        manager=manager,
    )


def _order(found: Rollup) -> tuple[int, int, int, str]:
    """Most behind first: days overdue in all, then the oldest, then by name; None last."""
    return (
        found.person is None,
        -found.total_days_overdue,
        -found.oldest_days_overdue,
        found.person.name if found.person else "",
    )


def by_manager(snapshot: Snapshot) -> list[Rollup]:
    """One rollup per manager with at least one issue (open or closed), most behind first."""
    open_rows: dict[Person | None, list[Row]] = {}
    closed_rows: dict[Person | None, list[Row]] = {}
    for rows, into in ((snapshot.rows, open_rows), (snapshot.closed, closed_rows)):
        for row in rows:
            into.setdefault(row.manager, []).append(row)
    people = {*open_rows, *closed_rows}
    found = [rollup(m, open_rows.get(m, []), closed_rows.get(m, [])) for m in people]
    return sorted(found, key=_order)


def by_seller(snapshot: Snapshot) -> list[Rollup]:
    """One rollup per seller (issue owner) with at least one issue, most behind first."""
    open_rows: dict[Person, list[Row]] = {}
    closed_rows: dict[Person, list[Row]] = {}
    managers: dict[Person, Person | None] = {}
    for rows, into in ((snapshot.rows, open_rows), (snapshot.closed, closed_rows)):
        for row in rows:
            if row.owner is None:
                continue
            into.setdefault(row.owner, []).append(row)
            managers.setdefault(row.owner, row.manager)
    found = [rollup(p, open_rows.get(p, []), closed_rows.get(p, []), managers[p]) for p in managers]
    return sorted(found, key=_order)
