"""A status label a person took off stays off.

The consults planner winds an opportunity issue down with a note and a status
label (`closed-won`, `below-threshold`, ...) whenever the label is missing.
When a person removed that label by hand, writing the note and label again on
every run would fight them. These two pure steps let the caller read label
events only for the issues that need them, then drop those actions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from automation.actions import Comment, Plan, Step
from automation.labels import LabelSet, scope_of
from automation.records import LabelEvent


def _status_added(labels: LabelSet, step: Step) -> tuple[int, tuple[str, ...]] | None:
    action = step.action
    if not isinstance(action, Comment) or action.target.iid is None:
        return None
    added = tuple(x for x in action.add_labels if scope_of(x) == labels.status_scope)
    return (action.target.iid, added) if added else None


def issues_to_check(labels: LabelSet, plan: Plan) -> list[int]:
    """Existing issues the plan gives a status label: the caller reads their label events."""
    return sorted({found[0] for step in plan if (found := _status_added(labels, step))})


def respect_removals(
    labels: LabelSet, plan: Plan, events: Mapping[int, Sequence[LabelEvent]], bot: str
) -> Plan:
    """The plan without the steps that would put back a status label whose
    latest event is its removal by a person (not the bot)."""
    kept = []
    for step in plan:
        found = _status_added(labels, step)
        if found and any(_removed_by_person(events.get(found[0], ()), x, bot) for x in found[1]):
            continue
        kept.append(step)
    return Plan(tuple(kept), plan.notes)


def _removed_by_person(events: Sequence[LabelEvent], label: str, bot: str) -> bool:
    latest = None
    for event in events:  # GitLab lists them oldest first
        if event.label == label:
            latest = event
    return latest is not None and latest.action == "remove" and latest.user != bot
