"""Realistic bot issues for the benchmark, generated deterministically from N.

A data set is a sequence of small `Unit`s (an account handover, an
opportunity, or a new hire with an onboarding plan and, in Commercial Sales,
a Give Back project), so the roster the parent process writes to `team.yml`
and the issues the sandbox process seeds agree without passing N issues
between processes. Descriptions are the real templates, rendered with
`automation.templates.render`, padded to 20-60 checklist items and ticked in
part; the labels are the ones a sweep would set, so a sweep of a fresh data
set writes nothing, except on the `stale` issues whose progress label still
says `not-started` although items are ticked (one PUT each).

Every date is chosen so that nothing is overdue on `today`: no nudge, no
notes to read, no due date to move.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal

from automation.hidden import with_facts
from automation.marker import Marker
from automation.templates import render

BOT = "salesbot"
MANAGER = "alice"
# sandbox users (seed.yml) who can be assignees
SELLERS = ("bob", "carol", "dave", "erin", "frank", "grace")
TODAY = date(2026, 3, 4)  # a Wednesday: not a quiet day, so quiet days change nothing

UnitKind = Literal["handover", "opportunity", "enterprise-hire", "commercial-hire"]
# how often each kind of unit occurs (a commercial hire brings two issues): deals
# and handovers are many, new hires few (a plan lasts 90 days)
_WEIGHTS: tuple[tuple[UnitKind, int], ...] = (
    ("handover", 40),
    ("opportunity", 45),
    ("enterprise-hire", 5),
    ("commercial-hire", 7),
)
_SEGMENTS = ("SMB", "Mid-Market", "Enterprise", "Public Sector")
_EXTRA_TASKS = (
    "Review the account's open support tickets with the customer success manager",
    "Update the account plan in Salesforce with the latest org chart",
    "Confirm the renewal date and the champion's contact details",
    "Log next steps and the Next Steps Date on every open opportunity",
    "Share the discovery notes with the solutions architect",
    "Book a cadence call with the economic buyer",
    "Check the account's usage ping and license utilisation",
    "Prepare the mutual close plan draft",
    "Add the account's technical contacts to the distribution list",
    "Record the competitive landscape in the opportunity notes",
)
_BOX = re.compile(r"^(\s*(?:[-*+]|\d+[.)]) )\[ \] ", re.MULTILINE)


@dataclass(frozen=True)
class Unit:
    kind: UnitKind
    number: int  # 1-based, per data set

    @property
    def issues(self) -> int:
        return 2 if self.kind == "commercial-hire" else 1


@dataclass(frozen=True)
class Hire:
    username: str
    name: str
    start_date: date
    department: Literal["Commercial", "Enterprise"]
    segment: str


@dataclass(frozen=True)
class IssueSpec:
    """One issue to seed, as the bot would have opened it."""

    workflow: str
    key: str
    title: str
    description: str
    labels: tuple[str, ...]
    assignee: str
    due_date: date
    stale: bool


def units(n: int, *, seed: int = 0) -> list[Unit]:
    """Units totalling exactly `n` issues, in a fixed random mix."""
    rng = random.Random(seed)
    kinds = [k for k, _ in _WEIGHTS]
    weights = [w for _, w in _WEIGHTS]
    found: list[Unit] = []
    total = 0
    while total < n:
        kind = rng.choices(kinds, weights)[0]
        if kind == "commercial-hire" and total + 2 > n:
            kind = "enterprise-hire"
        found.append(Unit(kind, len(found) + 1))
        total += found[-1].issues
    return found


def hire_of(unit: Unit, today: date = TODAY) -> Hire:
    """The new hire a hire unit stands for; they started within the last week
    (or start within the week), so nothing of their plan is due yet (the
    first items are due at day 7, front matter `items_due`)."""
    offset = (unit.number * 7) % 14 - 7  # -7 .. +6 days
    return Hire(
        username=f"hire{unit.number:05d}",
        name=f"New Hire {unit.number}",
        start_date=today + timedelta(days=offset),
        department="Commercial" if unit.kind == "commercial-hire" else "Enterprise",
        segment=_SEGMENTS[unit.number % 2] if unit.kind == "commercial-hire" else "Enterprise",
    )


def hires(n: int, *, seed: int = 0, today: date = TODAY) -> list[Hire]:
    return [hire_of(u, today) for u in units(n, seed=seed) if u.kind.endswith("-hire")]


def team_yaml(n: int, *, seed: int = 0, today: date = TODAY) -> str:
    """The roster: the manager and every hire of the data set (all active, so
    `salesbot run` neither opens new plans nor notes departures)."""
    lines = [
        "version: 1",
        "members:",
        f"  - {{username: {MANAGER}, name: Alice Anders, role: Area Sales Manager, "
        "segment: SMB, region: AMER, manager: null, start_date: 2022-03-07, "
        "department: Commercial}",
    ]
    for hire in hires(n, seed=seed, today=today):
        lines.append(
            f"  - {{username: {hire.username}, name: {hire.name}, role: Account Executive, "
            f"segment: {hire.segment}, region: AMER, manager: {MANAGER}, "
            f"start_date: {hire.start_date.isoformat()}, department: {hire.department}}}"
        )
    return "\n".join(lines) + "\n"


def stale_positions(n: int, stale: int) -> frozenset[int]:
    """Which issue positions (0-based) carry a stale label: spread evenly, so a
    sample of the first issues has its share of them."""
    stale = min(stale, n)
    return frozenset((i * n) // stale for i in range(stale)) if stale else frozenset()


def issues(n: int, *, stale: int = 0, seed: int = 0, today: date = TODAY) -> Iterator[IssueSpec]:
    """The `n` issues of the data set, in creation order (lazily: 10,000
    descriptions are rendered one at a time)."""
    rng = random.Random(seed + 1)
    wanted = stale_positions(n, stale)
    position = 0
    for unit in units(n, seed=seed):
        for spec in _unit_issues(unit, today, rng):
            yield _finish(spec, rng, stale=position in wanted)
            position += 1


@dataclass(frozen=True)
class _Draft:
    workflow: str
    key: str
    kind: str  # the template
    data: dict[str, object]
    labels: tuple[str, ...]
    assignee: str
    due_date: date


def _unit_issues(unit: Unit, today: date, rng: random.Random) -> list[_Draft]:
    seller = SELLERS[unit.number % len(SELLERS)]
    other = SELLERS[(unit.number + 1) % len(SELLERS)]
    segment = _SEGMENTS[unit.number % len(_SEGMENTS)]
    if unit.kind == "handover":
        effective = today - timedelta(days=unit.number % 10)
        due = effective + timedelta(days=14)
        account_id = f"ACC-{unit.number:06d}"
        return [
            _Draft(
                "handover",
                f"{account_id}@{effective.isoformat()}",
                "handover",
                {
                    "account": f"Account {unit.number} Inc.",
                    "account_id": account_id,
                    "from_user": other,
                    "to_user": seller,
                    "manager": MANAGER,
                    "effective_date": effective,
                    "due_date": due,
                    "reason": "territory realignment",
                    "opportunities": [
                        f"OPP-{unit.number:06d}-{i}" for i in range(rng.randint(0, 3))
                    ],
                    "commercial": True,
                },
                ("Account Handover", f"segment::{segment}"),
                seller,
                due,
            )
        ]
    if unit.kind == "opportunity":
        consult = unit.number % 3 == 0
        due = today + timedelta(days=3 + unit.number % 5)
        opp_id = f"OPP-{unit.number:06d}"
        return [
            _Draft(
                "opportunity",
                opp_id,
                "consult" if consult else "ldr",
                {
                    "opportunity_id": opp_id,
                    "opportunity": f"Opportunity {unit.number}",
                    "account": f"Account {unit.number} Inc.",
                    "owner": seller,
                    "manager": MANAGER,
                    "segment": segment,
                    "iacv": Decimal(60000 if consult else 7000),
                    "amount": Decimal(90000),
                    "close_date": today + timedelta(days=20),
                    "stage": "3-Technical Evaluation",
                    "threshold": Decimal(50000 if consult else 5000),
                    "consult_name": "Opportunity Consult" if consult else "Lightweight Deal Review",
                    "why": "its iACV is at or over the threshold",
                    "narr": None,
                    "due_date": due,
                    "custom_deck": segment in ("SMB", "Mid-Market"),
                    "custom_deck_amount": 5000 if segment == "SMB" else 10000,
                    "account_team": (),
                },
                (
                    "Opportunity Consult" if consult else "Lightweight Deal Review",
                    f"segment::{segment}",
                ),
                seller,
                due,
            )
        ]
    hire = hire_of(unit, today)
    key = f"{hire.username}@{hire.start_date.isoformat()}"
    days = {f"day{d}": hire.start_date + timedelta(days=d) for d in (30, 60, 90)}
    drafts = [
        _Draft(
            "onboarding",
            key,
            "onboarding",
            {
                "hire": hire.username,
                "name": hire.name,
                "manager": MANAGER,
                "segment": hire.segment,
                "role": "Account Executive",
                "department": hire.department,
                "region": "AMER",
                "start_date": hire.start_date,
                "plan": "account-executive",
                **days,
            },
            ("Onboarding", "phase::day-30", f"segment::{hire.segment}"),
            seller,
            hire.start_date + timedelta(days=30),
        )
    ]
    if hire.department == "Commercial":
        due = hire.start_date + timedelta(days=90)
        drafts.append(
            _Draft(
                "give-back",
                key,
                "give-back",
                {
                    "hire": hire.username,
                    "name": hire.name,
                    "manager": MANAGER,
                    "start_date": hire.start_date,
                    "due_date": due,
                    "onboarding_ref": None,
                },
                ("Give Back Project", f"segment::{hire.segment}"),
                seller,
                due,
            )
        )
    return drafts


def _finish(draft: _Draft, rng: random.Random, *, stale: bool) -> IssueSpec:
    rendered = render(draft.kind, draft.data)
    body = _pad(rendered.description.rstrip(), rng)
    body, ticked = _tick(body, rng, at_least_one=stale)
    marker = Marker(draft.workflow, draft.key, rendered.version)
    progress = "in-progress" if ticked and not stale else "not-started"
    description = f"{body}\n\n{marker.render()}\n"
    if draft.workflow == "opportunity":  # the deal's facts, as consults sync keeps them
        description = with_facts(description, _facts(draft.data))
    return IssueSpec(
        workflow=draft.workflow,
        key=draft.key,
        title=rendered.title,
        description=description,
        labels=(BOT, *draft.labels, f"progress::{progress}"),
        assignee=draft.assignee,
        due_date=draft.due_date,
        stale=stale,
    )


def _facts(data: dict[str, object]) -> dict[str, str]:
    close = data["close_date"]
    assert isinstance(close, date)
    return {
        "iacv": str(data["iacv"]),
        "segment": str(data["segment"]),
        "close_date": close.isoformat(),
        "stage": str(data["stage"]),
        "review": str(data["consult_name"]),
    }


def _pad(body: str, rng: random.Random) -> str:
    """Add optional items so the checklist has 20 to 60 of them."""
    have = len(_BOX.findall(body))
    target = rng.randint(20, 60)
    if have >= target:
        return body
    lines = ["", "## Working notes", ""]
    for number in range(target - have):
        text = _EXTRA_TASKS[number % len(_EXTRA_TASKS)]
        lines.append(f"- [ ] {text} (step {number + 1}) <!-- task:notes.step-{number + 1} -->")
    return body + "\n" + "\n".join(lines)


def _tick(body: str, rng: random.Random, *, at_least_one: bool) -> tuple[str, int]:
    """Tick some boxes, never the first required (🔴) one, so no issue is
    complete (a completion is a different write). Returns (body, ticked)."""
    boxes = list(_BOX.finditer(body))
    first_required = next((b for b in boxes if body.startswith("🔴", b.end())), boxes[0])
    candidates = [b for b in boxes if b is not first_required]
    if at_least_one or rng.random() < 0.7:
        chosen = rng.sample(candidates, rng.randint(1, max(1, len(candidates) // 2)))
    else:
        chosen = []
    starts = {b.start() for b in chosen}
    parts: list[str] = []
    last = 0
    for box in boxes:
        if box.start() in starts:
            parts.append(body[last : box.end(1)])
            parts.append("[x] ")
            last = box.end()
    parts.append(body[last:])
    return "".join(parts), len(chosen)


def static_labels() -> tuple[str, ...]:
    """Every label the data set and `salesbot run` use, to create up front."""
    return (
        BOT,
        "progress::not-started",
        "progress::in-progress",
        "progress::complete",
        "status::overdue",
        "phase::day-30",
        "phase::day-60",
        "phase::day-90",
        "Account Handover",
        "Onboarding",
        "Give Back Project",
        "Opportunity Consult",
        "Lightweight Deal Review",
        *(f"segment::{s}" for s in _SEGMENTS),
    )
