"""GitLab's Issue Hook, Confidential Issue Hook, Note Hook and Confidential
Note Hook payloads, read into the little the receiver needs.

Payload shapes: GitLab's "Webhook events" doc (user/project/integrations/
webhook_events.md) and `Gitlab::HookData::IssueBuilder` / `NoteBuilder`:
`object_kind` is `issue` or `note`, `user` is who acted, `project` carries
`id` and `path_with_namespace`; an issue event's `object_attributes` is the
issue (with `iid` and `action`), a note event's `object_attributes` is the
note (`noteable_type`) and `issue` the issue it is on. Both carry `labels`
(the issue's labels as objects with a `title`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

ISSUE_EVENTS = frozenset({"Issue Hook", "Confidential Issue Hook"})
NOTE_EVENTS = frozenset({"Note Hook", "Confidential Note Hook"})


class BadPayload(ValueError):
    """The body is not a GitLab event the receiver can read."""


@dataclass(frozen=True)
class Event:
    """One delivery, as far as the receiver cares."""

    hook: str  # X-Gitlab-Event, e.g. "Issue Hook"
    kind: str  # object_kind: "issue", "note", or another GitLab event kind
    action: str  # the issue's action (open, update, close, reopen) or the note's noteable_type
    iid: int | None  # the issue's iid; None when the event is not about an issue
    username: str  # who acted
    project_id: int | None
    project_path: str
    # the labels the issue has, or had before this event; None when not sent
    labels: tuple[str, ...] | None

    @property
    def about_issue(self) -> bool:
        return self.iid is not None


def _labels(data: Any) -> tuple[str, ...] | None:
    if not isinstance(data, list):
        return None
    return tuple(str(x.get("title", "")) for x in data if isinstance(x, Mapping))


def _int(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def parse(hook: str, body: bytes) -> Event:
    """Read one delivery; `BadPayload` when it is not JSON or not an object."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise BadPayload("the body is not JSON") from None
    if not isinstance(data, dict):
        raise BadPayload("the body is not a JSON object")
    kind = str(data.get("object_kind") or "")
    user = data.get("user") if isinstance(data.get("user"), dict) else {}
    project = data.get("project") if isinstance(data.get("project"), dict) else {}
    attributes = data.get("object_attributes")
    attributes = attributes if isinstance(attributes, dict) else {}
    iid: int | None = None
    action = ""
    labels = _labels(data.get("labels"))
    if kind == "issue" and hook in ISSUE_EVENTS | {""}:
        iid = _int(attributes.get("iid"))
        action = str(attributes.get("action") or "")
    elif kind == "note" and hook in NOTE_EVENTS | {""}:
        action = str(attributes.get("noteable_type") or "")
        issue = data.get("issue")
        if action == "Issue" and isinstance(issue, dict):
            iid = _int(issue.get("iid"))
            if labels is None:
                labels = _labels(issue.get("labels"))
    if labels is not None:
        labels = (*labels, *_previous_labels(data))
    return Event(
        hook=hook,
        kind=kind,
        action=action,
        iid=iid,
        username=str((user or {}).get("username") or ""),
        project_id=_int((project or {}).get("id")),
        project_path=str((project or {}).get("path_with_namespace") or ""),
        labels=labels,
    )


def _previous_labels(data: Mapping[str, Any]) -> tuple[str, ...]:
    """Labels an issue event says the issue had before (`changes.labels.previous`)."""
    changes = data.get("changes")
    labels = changes.get("labels") if isinstance(changes, dict) else None
    return (_labels(labels.get("previous")) or ()) if isinstance(labels, dict) else ()
