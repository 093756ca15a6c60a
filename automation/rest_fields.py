"""GitLab's REST fields, read into and written from our records.

The adapter's pure half: `automation.api` makes the requests; this module
alone (with it) spells GitLab's field names (`task_completion_status`,
`add_labels`, ...), so no other module depends on them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from automation.records import Issue, IssueChange, LabelEvent, NewIssue, Note, User

# -- GitLab's answers, as records ---------------------------------------------------


def user(data: Mapping[str, Any]) -> User:
    return User(id=int(data["id"]), username=str(data["username"]), name=str(data["name"]))


def issue(data: Mapping[str, Any]) -> Issue:
    """An `Issue` from a list or get response."""
    tasks = data.get("task_completion_status") or {}
    due = data.get("due_date")
    refs = data.get("references") or {}
    return Issue(
        iid=int(data["iid"]),
        project_id=int(data["project_id"]),
        title=str(data.get("title") or ""),
        description=str(data.get("description") or ""),
        state=str(data.get("state") or "opened"),
        labels=tuple(sorted(data.get("labels") or ())),
        assignees=tuple(a["username"] for a in data.get("assignees") or ()),
        author=str((data.get("author") or {}).get("username", "")),
        due_date=date.fromisoformat(due) if due else None,
        web_url=str(data.get("web_url") or ""),
        reference=str(refs.get("full") or f"#{data['iid']}"),
        created_at=str(data.get("created_at") or ""),
        updated_at=str(data.get("updated_at") or ""),
        confidential=bool(data.get("confidential")),
        task_count=int(tasks.get("count", 0)),
        task_completed=int(tasks.get("completed_count", 0)),
        user_notes_count=_count(data.get("user_notes_count")),
        closed_at=str(data.get("closed_at") or ""),
    )


def _count(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def note(data: Mapping[str, Any]) -> Note:
    return Note(
        id=int(data["id"]),
        body=str(data.get("body") or ""),
        author=str((data.get("author") or {}).get("username", "")),
        system=bool(data.get("system")),
        created_at=str(data.get("created_at") or ""),
    )


def label_event(data: Mapping[str, Any]) -> LabelEvent:
    return LabelEvent(
        label=str((data.get("label") or {}).get("name", "")),
        action=str(data.get("action") or ""),
        user=str((data.get("user") or {}).get("username", "")),
        created_at=str(data.get("created_at") or ""),
    )


# -- records, as GitLab's request fields -------------------------------------------


def new_issue(new: NewIssue) -> dict[str, Any]:
    """The POST /issues fields that create `new`."""
    fields: dict[str, Any] = {
        "title": new.title,
        "description": new.description,
        "labels": ",".join(new.labels),
        "confidential": new.confidential,
    }
    if new.assignee_ids:
        fields["assignee_ids"] = list(new.assignee_ids)
    if new.due_date:
        fields["due_date"] = new.due_date.isoformat()
    return fields


def issue_change(change: IssueChange) -> dict[str, Any]:
    """The PUT /issues/:iid fields that make `change` (labels by difference)."""
    fields: dict[str, Any] = {}
    if change.add_labels:
        fields["add_labels"] = ",".join(change.add_labels)
    if change.remove_labels:
        fields["remove_labels"] = ",".join(change.remove_labels)
    if change.due_date:
        fields["due_date"] = change.due_date.isoformat()
    if change.state_event:
        fields["state_event"] = change.state_event
    if change.assignee_ids is not None:
        fields["assignee_ids"] = list(change.assignee_ids)
    if change.title is not None:
        fields["title"] = change.title
    if change.description is not None:
        fields["description"] = change.description
    return fields


# -- listing pages ----------------------------------------------------------

PAGE_SIZE = 100  # GitLab's maximum per_page
# Past this many rows GitLab sends no X-Total/X-Total-Pages (MAX_COUNT_LIMIT).
COUNT_LIMIT = 10_000


@dataclass(frozen=True)
class Page:
    """One page of a listing and what its headers say about the next."""

    rows: list[dict[str, Any]]
    total_pages: int | None  # X-Total-Pages, None when not sent
    next_known: bool  # X-Next-Page was sent (empty on the last page)
    more: bool  # another page may follow

    @classmethod
    def of(cls, rows: list[dict[str, Any]], headers: Mapping[str, str]) -> Page:
        total = headers.get("X-Total-Pages", "")
        following = headers.get("X-Next-Page")
        page = headers.get("X-Page", "")
        total_pages = int(total) if total.isdigit() else None
        more = len(rows) >= PAGE_SIZE
        if following is not None:
            more = more and following != ""
        if total_pages is not None and page.isdigit():
            more = more and int(page) < total_pages
        return cls(rows, total_pages, following is not None, more)
