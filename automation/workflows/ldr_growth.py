"""An LDR whose deal grows to the consult threshold becomes a consult.

Handbook (commercial-sales.md, "Opportunity Consults (OCF) and Lightweight
Deal Review (LDR) Process"): a deal at or over the segment's consult iACV
gets an Opportunity Consult, whatever its close date. The LDR issue already
holds the owner's work on the deal, so it is converted in place, never
duplicated and never converted back:

- the consult's checklist is added by the template upgrade engine
  (`automation.upgrade.upgrade`, template A -> B): the consult's items go in
  their sections in template order; the LDR's unticked items are marked not
  applicable (`[~]`, the consult's items cover them); ticked ones stay as
  they are, and a consult item the LDR already had ticked (same work, other
  key: `SAME_WORK`) is inserted ticked;
- the title becomes the consult's, the due date follows the consult's rule
  (`due_date`), the body's "Due" line follows it;
- one description write (`EditIssue`: title, description and due date; the
  applier re-reads first and keeps a tick made meanwhile) and one note that
  says why and carries the label changes (`Comment` quick actions). The note
  comes last: the labels are what make the next run see a consult, so a run
  stopped between the two writes converts again (the upgrade then adds
  nothing) and posts the note once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date

from automation.actions import Action, Comment, EditIssue, IssueRef
from automation.index import Tracked
from automation.marker import Marker
from automation.marker import find as find_marker
from automation.upgrade import upgrade
from automation.upgrade_spec import spec_from
from automation.workflows.common import Environment, days_after

# LDR item -> the consult item asking for the same work: ticked in the LDR,
# the consult's is inserted ticked (the person did it once).
SAME_WORK: Mapping[str, str] = {
    "ldr.overview-close-plan": "consult.opportunity-overview",
    "ldr.paper-process": "consult.paper-process",
    "ldr.custom-deck": "consult.custom-deck",
    "ldr.next-steps": "consult.next-steps",
}

_DUE_LINE = re.compile(r"^- \*\*Due:\*\* .*$", re.MULTILINE)


def due_date(env: Environment, due_days: int, close_date: date) -> date:
    """A review is due `due_days` from today, or by the close date when that is sooner
    (a close date in the past does not make it due in the past)."""
    due = days_after(env.today, due_days)
    return min(due, close_date) if close_date >= env.today else due


def convert(
    env: Environment,
    tracked: Tracked,
    *,
    title: str,
    consult_body: str,
    version: int,
    due: date,
    note: str,
    add_labels: tuple[str, ...],
    remove_labels: tuple[str, ...],
) -> list[Action]:
    """The writes that turn the LDR `tracked` into the consult rendered as
    `consult_body` (with this opportunity's data) titled `title`."""
    issue = tracked.issue
    # rendered with the deal's own data, every item of it is static: the upgrade
    # may insert items that sit in `{% if %}` blocks of the template source
    spec = spec_from("consult", version, consult_body, consult_body)
    result = upgrade(issue.description, spec, retire_prefixes=("ldr",))
    text = _same_work_ticked(issue.description, result.description, result.added)
    text = _DUE_LINE.sub(lambda _: f"- **Due:** {due.isoformat()}", text, count=1)
    text = _marker_version(text, version)
    ref = IssueRef(iid=issue.iid)
    actions: list[Action] = []
    if text != issue.description or title != issue.title or due != issue.due_date:
        actions.append(
            EditIssue(
                ref,
                title=title,
                description=text,
                seen=issue.description,
                due_date=due,
                reason=f"LDR grows into a consult: {len(result.added)} item(s) added",
            )
        )
    actions.append(
        Comment(
            ref,
            note,
            reason="upgraded to consult",
            add_labels=add_labels,
            remove_labels=remove_labels,
        )
    )
    return actions


def _same_work_ticked(before: str, after: str, added: tuple[str, ...]) -> str:
    for old, new in SAME_WORK.items():
        if new in added and re.search(rf"\[[xX]\][^\n]*<!-- task:{re.escape(old)} -->", before):
            after = re.sub(
                rf"^(\s*[-*+]\s+)\[ \]([^\n]*<!-- task:{re.escape(new)} -->)",
                r"\1[x]\2",
                after,
                count=1,
                flags=re.MULTILINE,
            )
    return after


def _marker_version(text: str, version: int) -> str:
    """The marker records the consult template's version from now on (the
    upgrade only moves a version up; the LDR's may be higher)."""
    marker = find_marker(text)
    if marker is None or marker.version == version:
        return text
    old = marker.render()
    at = text.rfind(old)
    new = Marker(marker.workflow, marker.key, version).render()
    return text[:at] + new + text[at + len(old) :]
