"""How plans and run reports look in a terminal and as JSON.

A plan never contains a token: actions hold titles, labels and bodies only.
Every failed action goes to standard error as one `FAILED` line naming its
workflow, its issue, the action and GitLab's answer, whichever command ran it.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from rich.console import Console
from rich.table import Table

from automation.actions import Action, CreateIssue, EditIssue, Plan, SetAssignees
from automation.applier import Outcome, Report, verb

SUMMARY_WORDS = ("opened", "updated", "nudged", "closed", "failed")
# A dry run has done nothing yet: its table says what a run would do.
WOULD = {"opened": "would open", "updated": "would update", "nudged": "would nudge",
         "closed": "would close"}  # fmt: skip


def plan_table(plan: Plan, title: str = "Plan") -> Table:
    table = Table(title=f"{title}: {len(plan)} action(s)", title_justify="left", expand=False)
    table.add_column("workflow", style="cyan", no_wrap=True)
    table.add_column("issue", no_wrap=True)
    table.add_column("action", no_wrap=True)
    table.add_column("details", overflow="fold")
    for step in plan:
        action = step.action
        target = "new" if isinstance(action, CreateIssue) else str(action.target)
        done = verb(action)
        table.add_row(step.workflow, target, WOULD.get(done, done), action.summary())
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


# -- `--json`: one documented document for every command that writes ---------

OUTPUT_VERSION = 1


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PlannedAction(_Model):
    """One action of the plan (run or dry run)."""

    workflow: str
    action: str = Field(
        description="The action's kind: create, update, comment, link, assign, edit, rewrite."
    )
    summary: str
    key: str | None = Field(None, description="The new issue's key (create).")
    issue: str | None = Field(None, description="The issue acted on (#iid), or None for new.")
    title: str | None = None
    description: str | None = None
    labels: list[str] | None = None
    assignees: list[str] | None = None
    due_date: str | None = None
    confidential: bool | None = None


class OpenedIssue(_Model):
    reference: str
    title: str
    url: str


class Failure(_Model):
    workflow: str
    issue: str = Field(description="#iid, or 'new issue' when it was to be opened.")
    summary: str
    error: str


class Counts(_Model):
    opened: int = 0
    updated: int = 0
    nudged: int = 0
    closed: int = 0
    failed: int = 0


class CommandOutput(_Model):
    """What `salesbot COMMAND --json` prints on standard output (one JSON document)."""

    version: int = Field(OUTPUT_VERSION, description="Bumped on a breaking change.")
    command: str = Field(description="The command that ran, e.g. 'sweep'.")
    dry_run: bool = Field(description="True: nothing was written; `actions` is the plan.")
    actions: list[PlannedAction] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    opened: list[OpenedIssue] = Field(default_factory=list)
    summary: dict[str, Counts] = Field(
        default_factory=dict, description="Per workflow, what the run did (empty on a dry run)."
    )
    failures: list[Failure] = Field(default_factory=list)
    details: dict[str, Any] = Field(
        default_factory=dict,
        description="Command-specific: the dashboard issue, the digest, the files written.",
    )


def output_schema() -> dict[str, Any]:
    """The JSON Schema of every command's `--json` output."""
    return CommandOutput.model_json_schema()


def command_output(
    command: str,
    plan: Plan,
    report: Report | None,
    *,
    notes: list[str] | None = None,
    details: dict[str, Any] | None = None,
) -> CommandOutput:
    """The `--json` document of a command: its plan and, unless a dry run, its report."""
    data = plan_json(plan)
    failures: list[Failure] = []
    opened: list[OpenedIssue] = []
    summary: dict[str, Counts] = {}
    if report is not None:
        for failure in report.failures:
            action = failure.step.action
            target = "new issue" if isinstance(action, CreateIssue) else str(action.target)
            error = " ".join((failure.error or "failed").split())
            failures.append(Failure(workflow=failure.step.workflow, issue=target,
                                    summary=action.summary(), error=error))  # fmt: skip
        opened = [
            OpenedIssue(reference=i.reference, title=i.title, url=i.web_url) for i in report.created
        ]
        summary = {
            name: Counts(**{w: counts[w] for w in SUMMARY_WORDS})
            for name, counts in report.tally().items()
        }
    return CommandOutput(
        command=command,
        dry_run=report is None,
        actions=[PlannedAction(**item) for item in data["actions"]],
        notes=[*data["notes"], *(notes or [])],
        opened=opened,
        summary=summary,
        failures=failures,
        details=details or {},
    )


def print_json(document: CommandOutput) -> None:
    """Plain JSON on standard output (rich's pretty-printer is slow on big plans)."""
    import sys

    sys.stdout.write(json.dumps(document.model_dump(mode="json"), ensure_ascii=False) + "\n")
    sys.stdout.flush()
