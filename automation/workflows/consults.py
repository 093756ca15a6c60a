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

The export is read by `automation.workflows.opportunities` (its columns are
listed there).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import date
from functools import partial

from automation import hidden, registry
from automation.actions import Action, Comment, EditIssue, IssueRef, Plan, RewriteDescription
from automation.config import Thresholds
from automation.index import Index, Tracked
from automation.labels import status_change
from automation.marker import normal, slug
from automation.neutralise import neutralise
from automation.records import Issue
from automation.team import Team
from automation.workflows.common import Environment, assignees, new_issue
from automation.workflows.ldr_growth import convert, due_date
from automation.workflows.opportunities import (
    ALIASES,
    COLUMNS,
    Export,
    Opportunity,
    check_owners,
    parse_csv,
    read_csv,
)

__all__ = [
    "ALIASES",
    "COLUMNS",
    "WORKFLOW",
    "Export",
    "Opportunity",
    "check_owners",
    "closes_soon",
    "current_kind",
    "growing",
    "parse_csv",
    "plan",
    "read_csv",
    "stale_facts",
]

WORKFLOW = registry.OPPORTUNITY.name


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
        actions.extend(_plan_open(env, team, tracked, opp, full or {}))
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


def _plan_open(
    env: Environment,
    team: Team,
    tracked: Tracked | None,
    opp: Opportunity,
    full: Mapping[int, Issue],
) -> list[Action]:
    """`_plan_one`, and the kept facts brought up to date (not when the issue
    grows into a consult: that write carries them)."""
    actions = _plan_one(env, team, tracked, opp, full)
    if tracked is None or not tracked.issue.is_open:
        return actions
    if any(isinstance(a, EditIssue) for a in actions):
        return actions
    return _refresh_facts(tracked, opp, full) + actions


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
        "custom_deck": thresholds.custom_deck(opp.amount),
        "custom_deck_amount": thresholds.custom_deck_amount,
        "account_team": tuple((role.upper(), user) for role, user in opp.team),
        "due_date": due_date(
            env, registry.kind(kind).settings(env.config).due_days, opp.close_date
        ),
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
        return (
            "Lightweight Deal Review",
            ldr,
            f"its iACV of ${opp.iacv:,.0f} is at or over the "
            f"${ldr:,.0f} LDR threshold for {opp.segment}",
        )
    if thresholds.consult is not None and opp.iacv >= thresholds.consult:
        return (
            thresholds.consult_name,
            thresholds.consult,
            f"its iACV of ${opp.iacv:,.0f} "
            f"is at or over the ${thresholds.consult:,.0f} threshold for {opp.segment}",
        )
    if opp.requested:
        return thresholds.consult_name, 0, "your manager asked for a consult on it"
    narr = thresholds.command_plan_narr or 0
    return (
        "Command Plan",
        narr,
        f"its NARR of ${opp.narr or 0:,.0f} is at or over "
        f"${narr:,.0f}: every {opp.segment} opportunity of that size has a complete Command Plan",
    )


def _create(env: Environment, team: Team, opp: Opportunity, kind: str) -> Action:
    settings = registry.kind(kind).settings(env.config)
    data = _data(env, team, opp, kind)
    due, manager = data["due_date"], data["manager"]
    assert isinstance(due, date) and (manager is None or isinstance(manager, str))
    created = new_issue(
        env,
        workflow=WORKFLOW,
        key=opp.key,
        settings=settings,
        data=data,
        # the account team joins a consult (ASM: "entire account team (AE, SA,
        # CSM, and SDR)"): assigned too where the tier allows several assignees
        assignees=[
            *assignees(settings, {"owner": opp.owner, "manager": manager}),
            *(user for _, user in opp.team if kind == "consult"),
        ],
        due_date=due,
        extra_labels=[env.labels.segment(str(opp.segment))],
    )
    review = str(data["consult_name"])
    return replace(created, description=hidden.with_facts(created.description, _facts(opp, review)))


# The facts line's keys the export decides (`review` is decided when the issue is opened).
_EXPORT_KEYS = ("iacv", "segment", "close_date", "stage")


def _facts(opp: Opportunity, review: str) -> dict[str, str]:
    """The facts line's payload for this export row (`automation.report.facts`
    reads it): amounts as exact decimal strings."""
    return {
        "iacv": str(opp.iacv),
        "segment": str(opp.segment),
        "close_date": opp.close_date.isoformat(),
        "stage": opp.stage,
        "review": review,
    }


def _stale_facts(tracked: Tracked, opp: Opportunity) -> dict[str, str] | None:
    """The facts to write when the issue keeps facts the export no longer says
    (the review kind kept); None when they agree or the issue keeps none (an
    issue opened before facts were kept shows "—" rather than cost a write)."""
    kept = hidden.facts_payload(tracked.issue.description)
    if kept is None:
        return None
    new = _facts(opp, str(kept.get("review") or ""))
    same = all(str(kept.get(k, "")) == new[k] for k in _EXPORT_KEYS)
    return None if same else new


def stale_facts(index: Index, opportunities: Iterable[Opportunity]) -> list[int]:
    """The open issues whose kept facts the export changed: `plan` needs
    their descriptions to rewrite the facts line (one GET each, only then)."""
    return [
        tracked.issue.iid
        for opp, tracked in _tracked(index, opportunities)
        if tracked is not None and tracked.issue.is_open and _stale_facts(tracked, opp)
    ]


def _refresh_facts(tracked: Tracked, opp: Opportunity, full: Mapping[int, Issue]) -> list[Action]:
    """One description write when the export's facts changed (none otherwise):
    the applier re-reads first and keeps boxes ticked meanwhile."""
    new = _stale_facts(tracked, opp)
    issue = full.get(tracked.issue.iid)
    if new is None or issue is None:
        return []
    text = hidden.with_facts(issue.description, new)
    if text == issue.description:
        return []
    return [
        RewriteDescription(
            IssueRef(iid=issue.iid),
            seen=issue.description,
            description=text,
            reason=f"deal facts from the CRM export: {neutralise(opp.stage) or 'no stage'}, "
            f"iACV ${opp.iacv:,.0f}, closing {opp.close_date.isoformat()}",
        )
    ]


def _grow(env: Environment, team: Team, tracked: Tracked, opp: Opportunity) -> list[Action]:
    """README "Handbook rules": the LDR becomes a consult (`ldr_growth`)."""
    data = _data(env, team, opp, "consult")
    settings = registry.kind("consult").settings(env.config)
    rendered = env.templates.render(settings.template, data)
    title = rendered.title
    if settings.title:  # the config's title, as `new_issue` makes it
        values = {k: neutralise(v, "title") for k, v in data.items()}
        title = neutralise(settings.title.format_map(values), "title")
    due = data["due_date"]
    assert isinstance(due, date)
    name = data["consult_name"]
    note = (
        f"This Lightweight Deal Review is now a full {name}, due {due.isoformat()}: "
        f"{data['why']} (CRM export of {env.today.isoformat()}). salesbot added the {name}'s "
        "checklist (MEDDPPICC, Command Plan, close plan); the review items you ticked stay "
        "as they are, the others are marked not applicable because the new items cover them."
    )
    review = str(data["consult_name"])
    changes = convert(
        env,
        tracked,
        title=title,
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
    # the consult keeps the deal's facts, its review kind now the consult's
    return [
        replace(a, description=hidden.with_facts(a.description, _facts(opp, review)))
        if isinstance(a, EditIssue)
        else a
        for a in changes
    ]
