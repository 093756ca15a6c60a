"""How plans and run reports look in a terminal and as JSON.

A plan never contains a token: actions hold titles, labels and bodies only.
Every failed action goes to standard error as one `FAILED` line naming its
workflow, its issue, the action and GitLab's answer, whichever command ran it.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from rich.console import Console
from rich.table import Table

from automation.actions import Action, CreateIssue, EditIssue, Plan, SetAssignees
from automation.applier import Outcome, Report, verb

SUMMARY_WORDS = ("opened", "updated", "nudged", "closed", "failed")


def plan_table(plan: Plan, title: str = "Plan") -> Table:
    table = Table(title=f"{title}: {len(plan)} action(s)", title_justify="left", expand=False)
    table.add_column("workflow", style="cyan", no_wrap=True)
    table.add_column("issue", no_wrap=True)
    table.add_column("action", no_wrap=True)
    table.add_column("details", overflow="fold")
    for step in plan:
        action = step.action
        target = "new" if isinstance(action, CreateIssue) else str(action.target)
        table.add_row(step.workflow, target, verb(action), action.summary())
    return table


def plan_json(plan: Plan) -> dict[str, Any]:
    steps = []
    for step in plan:
        action = step.action
        item: dict[str, Any] = {"workflow": step.workflow, "action": action.kind}
        if isinstance(action, CreateIssue):
            item.update(
                key=action.marker.key,
                title=action.title,
                labels=list(action.labels),
                assignees=list(action.assignees),
                due_date=action.due_date.isoformat() if action.due_date else None,
                confidential=action.confidential,
            )
        else:
            item["issue"] = str(action.target)
            item.update(_change(action))
        item["summary"] = action.summary()
        steps.append(item)
    return {"actions": steps, "notes": list(plan.notes)}


def _change(action: Action) -> dict[str, Any]:
    """What a write changes, in full (a dry run shows the real change)."""
    if isinstance(action, EditIssue):
        return {"title": action.title, "description": action.description}
    if isinstance(action, SetAssignees):
        return {"assignees": list(action.assignees)}
    return {}  # the summary says it all


def print_plan(console: Console, plan: Plan, *, as_json: bool, title: str = "Plan") -> None:
    if as_json:
        console.print_json(json.dumps(plan_json(plan)))
        return
    if len(plan):
        console.print(plan_table(plan, title))
    else:
        console.print(f"{title}: nothing to do.")
    for note in plan.notes:
        console.print(f"  {note}", markup=False, highlight=False)


def summary_lines(report: Report, workflows: tuple[str, ...] = ()) -> list[str]:
    """One line per workflow: `handover: 2 opened, 0 updated, ... 0 failed`."""
    tally = report.tally()
    names = list(workflows) + [w for w in tally if w not in workflows]
    lines = []
    for name in names:
        counts = tally.get(name, Counter())
        lines.append(f"{name}: " + ", ".join(f"{counts[w]} {w}" for w in SUMMARY_WORDS))
    return lines


def failure_line(failure: Outcome) -> str:
    """`FAILED sweep #12: add ~overdue (overdue): GitLab at ... answered 502 ...`:
    the workflow, the issue (`new issue` when it was to be opened), the action
    and GitLab's answer, on one line."""
    action = failure.step.action
    issue = "new issue" if isinstance(action, CreateIssue) else f"issue {action.target}"
    answer = " ".join((failure.error or "failed").split())
    return f"FAILED {failure.step.workflow} {issue}: {action.summary()}: {answer}"


def print_failures(err: Console, report: Report) -> None:
    """Every failed action, on standard error (a CI log shows it in red)."""
    for failure in report.failures:
        err.print(failure_line(failure), markup=False, highlight=False, style="red")


def print_report(out: Console, report: Report, err: Console) -> None:
    """The issues opened (standard output) and the actions that failed (standard error)."""
    for issue in report.created:
        out.print(
            f"opened {issue.reference} {issue.title}\n  {issue.web_url}",
            markup=False,
            highlight=False,
        )
    print_failures(err, report)
