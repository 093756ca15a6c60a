"""What salesbot knows of GitLab's objects: small frozen records.

The adapter (`automation.api`) builds them from GitLab's answers; planners,
the applier and reports read them without importing the adapter, so the
REST field names stay in `automation.api`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class User:
    id: int
    username: str
    name: str


@dataclass(frozen=True)
class Issue:
    """What salesbot needs of an issue, straight from a list or get response."""

    iid: int
    project_id: int
    title: str
    description: str
    state: str
    labels: tuple[str, ...]
    assignees: tuple[str, ...]
    author: str
    due_date: date | None
    web_url: str
    reference: str
    created_at: str
    updated_at: str
    confidential: bool
    task_count: int
    task_completed: int
    # non-system notes, as the list response counts them; None when not sent
    user_notes_count: int | None = None
    # when it was closed (ISO time); None while open or when not sent
    closed_at: str | None = None

    @property
    def is_open(self) -> bool:
        return self.state == "opened"


@dataclass(frozen=True)
class Note:
    id: int
    body: str
    author: str
    system: bool
    created_at: str


@dataclass(frozen=True)
class LabelEvent:
    label: str
    action: str  # "add" | "remove"
    user: str
    created_at: str


@dataclass(frozen=True)
class NewIssue:
    """An issue to open, in salesbot's terms (the adapter names GitLab's fields)."""

    title: str
    description: str
    labels: tuple[str, ...] = ()
    assignee_ids: tuple[int, ...] = ()
    due_date: date | None = None
    confidential: bool = False


@dataclass(frozen=True)
class IssueChange:
    """One edit of an issue: labels by difference (never a full rewrite, so a
    person's concurrent label edit survives), due date, state, assignees, text."""

    add_labels: tuple[str, ...] = ()
    remove_labels: tuple[str, ...] = ()
    due_date: date | None = None
    state_event: str | None = None  # "close" | "reopen"
    assignee_ids: tuple[int, ...] | None = None
    title: str | None = None
    description: str | None = None
