"""The sweep's last look before it writes: issues changed since its listing.

A sweep plans from a listing read at the start of the run, and applies the
plan seconds (at 10,000 issues, tens of seconds) later. Meanwhile a person, or
the webhook receiver acting on a person's tick, may have closed or relabelled
an issue: a label or nudge planned from the old copy would then land on a
closed issue, or undo a change just made. Just before applying, the bot lists
the bot issues updated since the listing began (`updated_after`, one request
per 100 changed issues: one when nothing changed) and, for each issue the plan
writes to whose copy differs from the one planned from, drops its steps (closed
or no longer the bot's) or plans it again from the fresh copy with the same
planner. GitLab has no conditional write (no `If-Match` on issues), so the
check cannot ride on the write itself; what stays open is the time the writes
themselves take.

`since` is GitLab's own clock, not ours: the `Date` header of the listing's
first page, less one second (the header is truncated to the second) and less
the time that request took (the listing's query ran before its answer was
dated). `updated_after` is inclusive (`updated_at >= ?`, IssuableFinder), so
an issue changed in the second the listing began is listed again; it is
compared with the copy planned from, and unchanged issues keep their steps.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import UTC, timedelta
from email.utils import parsedate_to_datetime

from automation.actions import Plan, Step
from automation.records import Issue


def fingerprint(issue: Issue) -> int:
    """What tells a changed issue from the copy a plan was made from (the
    `updated_at` alone does not: GitLab's clock has a resolution, and a frozen
    test clock none)."""
    return hash(issue)


def since(date_header: str | None, elapsed: float) -> str | None:
    """`updated_after` for a listing whose first page GitLab dated `date_header`
    (an HTTP date) and that took `elapsed` seconds; None without a Date header."""
    if not date_header:
        return None
    try:
        served = parsedate_to_datetime(date_header)
    except (TypeError, ValueError):
        return None
    if served.tzinfo is None:
        served = served.replace(tzinfo=UTC)
    start = served - timedelta(seconds=1 + math.ceil(max(0.0, elapsed)))
    return start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def target_iid(step: Step) -> int | None:
    return step.action.target.iid


def revise(
    plan: Plan,
    changed: Mapping[int, Issue],
    replan: Callable[[Issue], Plan | None],
) -> Plan:
    """`plan` with the steps of each `changed` issue replaced: `replan(fresh)`
    gives the issue's new steps (an empty plan for a closed issue), or None to
    keep the steps it had. The new steps take the place of the first old one."""
    if not changed:
        return plan
    steps: list[Step] = []
    notes: list[str] = list(plan.notes)
    done: set[int] = set()
    for step in plan:
        iid = target_iid(step)
        fresh = changed.get(iid) if iid is not None else None
        if fresh is None or iid is None:
            steps.append(step)
            continue
        if iid in done:
            continue
        done.add(iid)
        again = replan(fresh)
        if again is None:
            steps.extend(s for s in plan if target_iid(s) == iid)
            continue
        steps.extend(again.steps)
        notes.append(f"#{iid} changed while the sweep planned: planned again from GitLab's copy")
    return Plan(tuple(steps), tuple(notes))


def to_recheck(plan: Plan, seen: Mapping[int, int]) -> set[int]:
    """The issues the plan writes to, whose planned-from copy is known."""
    return {iid for step in plan if (iid := target_iid(step)) is not None and iid in seen}
