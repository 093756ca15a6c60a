"""The typed actions a plan is made of.

Planners (pure functions) return a `Plan`; `automation.applier` carries it out
through the GitLab adapter; `--dry-run` prints it. An action names its issue
by iid when the issue exists, or by (workflow, key) when the same plan creates
it, so a link can point at an issue that does not exist yet.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from automation.marker import Marker


@dataclass(frozen=True)
class IssueRef:
    """An existing issue (iid) or one this plan creates (marker)."""

    iid: int | None = None
    marker: Marker | None = None

    def __str__(self) -> str:
        if self.iid is not None:
            return f"#{self.iid}"
        assert self.marker is not None
        return f"new {self.marker.workflow}:{self.marker.key}"


@dataclass(frozen=True)
class CreateIssue:
    marker: Marker
    title: str
    description: str  # already carries the marker line
    labels: tuple[str, ...]
    assignees: tuple[str, ...]  # usernames; the applier resolves ids
    due_date: date | None
    confidential: bool
    kind: Literal["create"] = "create"

    @property
    def target(self) -> IssueRef:
        return IssueRef(marker=self.marker)

    def summary(self) -> str:
        who = ", ".join(f"@{a}" for a in self.assignees) or "unassigned"
        due = f", due {self.due_date}" if self.due_date else ""
        return f"open '{self.title}' for {who}{due}"


@dataclass(frozen=True)
class UpdateIssue:
    """One PUT: label changes, due date and state together, so each issue that
    needs a change costs one request."""

    target: IssueRef
    add_labels: tuple[str, ...] = ()
    remove_labels: tuple[str, ...] = ()
    due_date: date | None = None
    state_event: Literal["close", "reopen"] | None = None
    reason: str = ""
    kind: Literal["update"] = "update"

    def summary(self) -> str:
        parts = []
        if self.add_labels:
            parts.append("add " + ", ".join(f"~{label}" for label in self.add_labels))
        if self.remove_labels:
            parts.append("remove " + ", ".join(f"~{label}" for label in self.remove_labels))
        if self.due_date:
            parts.append(f"due {self.due_date}")
        if self.state_event:
            parts.append(self.state_event)
        text = "; ".join(parts)
        if self.reason:
            return f"{text} ({self.reason})" if text else self.reason
        return text


@dataclass(frozen=True)
class Comment:
    """A note, optionally with label changes and a close carried out by the same
    request as GitLab quick actions: the note and its state change land together
    or not at all, so a run killed half-way never leaves a label without its
    explanation, nor posts the explanation twice."""

    target: IssueRef
    body: str
    reason: str = ""
    add_labels: tuple[str, ...] = ()
    remove_labels: tuple[str, ...] = ()
    close: bool = False
    kind: Literal["comment"] = "comment"

    def commands(self) -> str:
        """The quick-action lines appended to the body (GitLab runs them; see
        reference §2). Only the bot writes these lines: untrusted text is
        neutralised so it can never start a line with `/`."""
        lines = [f"/label {_quoted(self.add_labels)}"] if self.add_labels else []
        if self.remove_labels:
            lines.append(f"/unlabel {_quoted(self.remove_labels)}")
        if self.close:
            lines.append("/close")
        return "\n".join(lines)

    def full_body(self) -> str:
        commands = self.commands()
        return f"{self.body.rstrip()}\n\n{commands}" if commands else self.body

    def summary(self) -> str:
        first = self.body.strip().splitlines()[0] if self.body.strip() else ""
        extra = []
        if self.add_labels:
            extra.append("add " + ", ".join(f"~{label}" for label in self.add_labels))
        if self.remove_labels:
            extra.append("remove " + ", ".join(f"~{label}" for label in self.remove_labels))
        if self.close:
            extra.append("close")
        tail = f" [{'; '.join(extra)}]" if extra else ""
        return f"comment: {first[:80]}{tail}" + (f" ({self.reason})" if self.reason else "")


def _quoted(labels: tuple[str, ...]) -> str:
    return " ".join(f'~"{label}"' for label in labels)


@dataclass(frozen=True)
class LinkIssues:
    target: IssueRef
    other: IssueRef
    kind: Literal["link"] = "link"

    def summary(self) -> str:
        return f"link to {self.other}"


@dataclass(frozen=True)
class SetAssignees:
    """Assign an issue to these people (usernames; the applier resolves ids)."""

    target: IssueRef
    assignees: tuple[str, ...]
    reason: str = ""
    kind: Literal["assign"] = "assign"

    def summary(self) -> str:
        who = ", ".join(f"@{a}" for a in self.assignees) or "nobody"
        return f"assign to {who}" + (f" ({self.reason})" if self.reason else "")


@dataclass(frozen=True)
class EditIssue:
    """Rewrite the title and description of an issue the bot owns (the
    dashboard). `seen` is the description the plan was made from: the applier
    reads the issue again right before writing and, when a person changed it
    meanwhile, keeps their ticks (boxes by `<!-- task:KEY -->`, except the
    `release`d keys the plan unticks on purpose), so a tick made between the
    read and the write survives."""

    target: IssueRef
    title: str
    description: str
    seen: str
    release: tuple[str, ...] = ()
    reason: str = ""
    due_date: date | None = None  # set in the same write when given
    kind: Literal["edit"] = "edit"

    def summary(self) -> str:
        lines = len(self.description.splitlines())
        text = f"rewrite as '{self.title}' ({lines} lines)"
        if self.release:
            text += "; untick " + ", ".join(self.release)
        return text + (f" ({self.reason})" if self.reason else "")


@dataclass(frozen=True)
class RewriteDescription:
    """One description write (a template upgrade, `automation.upgrade`). The
    applier re-reads the issue first and carries over any box ticked since
    `seen` was read; `note`, when set, is posted after the write."""

    target: IssueRef
    seen: str  # the description the plan was made from
    description: str
    note: str = ""
    reason: str = ""
    kind: Literal["rewrite"] = "rewrite"

    def summary(self) -> str:
        return self.reason or "rewrite the description"


Action = (
    CreateIssue | UpdateIssue | Comment | LinkIssues | SetAssignees | EditIssue | RewriteDescription
)


@dataclass(frozen=True)
class Step:
    """One action and the workflow it serves (for per-workflow summaries).

    Steps sharing a `chain` (all on one issue) are one action's ordered
    parts: they run in plan order and stop at the first failure, so an
    action's later write never lands without its earlier one."""

    workflow: str
    action: Action
    chain: str | None = None


@dataclass(frozen=True)
class Plan:
    steps: tuple[Step, ...] = ()
    notes: tuple[str, ...] = field(default=())  # things the planner chose not to do, and why

    def __iter__(self) -> Iterator[Step]:
        return iter(self.steps)

    def __len__(self) -> int:
        return len(self.steps)

    def __add__(self, other: Plan) -> Plan:
        return Plan(self.steps + other.steps, self.notes + other.notes)

    @classmethod
    def of(cls, workflow: str, actions: Iterable[Action], notes: Iterable[str] = ()) -> Plan:
        return cls(tuple(Step(workflow, a) for a in actions), tuple(notes))
