"""GitLab webhook deliveries built from the sandbox's own JSON.

`issue_event` and `note_event` turn an issue (and a note) as the sandbox's
REST API returns them into the body and headers GitLab sends: Issue Hook /
Confidential Issue Hook and Note Hook / Confidential Note Hook, shaped as in
GitLab's "Webhook events" doc (user/project/integrations/webhook_events.md;
`Gitlab::HookData::IssueBuilder`, `NoteBuilder`) and its delivery headers
(`X-Gitlab-Event`, `X-Gitlab-Token`, `X-Gitlab-Instance`,
`X-Gitlab-Webhook-UUID`, `X-Gitlab-Event-UUID`, and `Idempotency-Key`, which
GitLab 17.4 and later keep the same when a delivery is retried).

Only dicts are built here: nothing is sent. The tests use it to act as GitLab
towards `salesbot serve`; a sandbox that sends hooks can use it too.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

USER_AGENT = "GitLab/17.6.0"


@dataclass(frozen=True)
class Delivery:
    """One POST as GitLab makes it: headers and JSON body."""

    headers: dict[str, str]
    payload: dict[str, Any]

    @property
    def body(self) -> bytes:
        return json.dumps(self.payload).encode()

    def retried(self) -> Delivery:
        """The same delivery sent again after a failure: same Idempotency-Key
        and event UUID (GitLab 17.4+)."""
        return Delivery(dict(self.headers), self.payload)


@dataclass(frozen=True)
class Instance:
    """Where the events come from: the GitLab URL and the hook."""

    url: str
    token: str | None
    webhook_uuid: str = field(default_factory=lambda: str(uuid.uuid4()))


def user_json(user: Mapping[str, Any]) -> dict[str, Any]:
    """The hook's `user` object from a sandbox user (id, username, name)."""
    return {
        "id": user.get("id"),
        "name": user.get("name", ""),
        "username": user.get("username", ""),
        "avatar_url": user.get("avatar_url"),
        "email": "[REDACTED]",  # GitLab sends this for users with a private e-mail
    }


def project_json(project: Mapping[str, Any]) -> dict[str, Any]:
    path = str(project.get("path_with_namespace") or project.get("path") or "")
    return {
        "id": project.get("id"),
        "name": project.get("name", path.rsplit("/", 1)[-1]),
        "description": project.get("description"),
        "web_url": project.get("web_url", ""),
        "avatar_url": None,
        "namespace": path.rsplit("/", 1)[0] if "/" in path else "",
        "visibility_level": 0,
        "path_with_namespace": path,
        "default_branch": "main",
        "url": project.get("web_url", ""),
    }


def _labels(names: Sequence[Any], project_id: Any) -> list[dict[str, Any]]:
    found = []
    for label in names:
        title = label.get("name") if isinstance(label, Mapping) else str(label)
        found.append({"id": None, "title": title, "project_id": project_id, "type": "ProjectLabel"})
    return found


def _issue_attributes(issue: Mapping[str, Any]) -> dict[str, Any]:
    assignees = issue.get("assignees") or []
    author = issue.get("author") or {}
    return {
        "id": issue.get("id"),
        "iid": issue.get("iid"),
        "title": issue.get("title", ""),
        "description": issue.get("description") or "",
        "state": issue.get("state", "opened"),
        "confidential": bool(issue.get("confidential")),
        "due_date": issue.get("due_date"),
        "project_id": issue.get("project_id"),
        "author_id": author.get("id"),
        "assignee_ids": [a.get("id") for a in assignees],
        "assignee_id": assignees[0].get("id") if assignees else None,
        "created_at": issue.get("created_at"),
        "updated_at": issue.get("updated_at"),
        "url": issue.get("web_url", ""),
        "type": "Issue",
        "labels": _labels(issue.get("labels") or [], issue.get("project_id")),
    }


def _headers(event: str, instance: Instance) -> dict[str, str]:
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Gitlab-Event": event,
        "X-Gitlab-Instance": instance.url,
        "X-Gitlab-Webhook-UUID": instance.webhook_uuid,
        "X-Gitlab-Event-UUID": str(uuid.uuid4()),
        "Idempotency-Key": str(uuid.uuid4()),
    }
    if instance.token is not None:
        headers["X-Gitlab-Token"] = instance.token
    return headers


def issue_event(
    issue: Mapping[str, Any],
    *,
    user: Mapping[str, Any],
    project: Mapping[str, Any],
    instance: Instance,
    action: str = "update",
    previous: Mapping[str, Any] | None = None,
) -> Delivery:
    """An Issue Hook (Confidential Issue Hook for a confidential issue).
    `action`: open, update, close or reopen; `previous` the issue before
    the change (sandbox JSON), from which `changes` is built."""
    confidential = bool(issue.get("confidential"))
    attributes = {**_issue_attributes(issue), "action": action}
    changes: dict[str, Any] = {}
    if previous is not None:
        before = _issue_attributes(previous)
        for name in ("title", "description", "due_date", "state", "confidential", "updated_at"):
            if before.get(name) != attributes.get(name):
                changes[name] = {"previous": before.get(name), "current": attributes.get(name)}
        if before["labels"] != attributes["labels"]:
            changes["labels"] = {"previous": before["labels"], "current": attributes["labels"]}
    payload = {
        "object_kind": "issue",
        "event_type": "confidential_issue" if confidential else "issue",
        "user": user_json(user),
        "project": project_json(project),
        "object_attributes": attributes,
        "labels": attributes["labels"],
        "changes": changes,
        "assignees": [user_json(a) for a in issue.get("assignees") or []],
        "repository": {"name": project.get("name", ""), "url": project.get("web_url", "")},
    }
    event = "Confidential Issue Hook" if confidential else "Issue Hook"
    return Delivery(_headers(event, instance), payload)


def note_event(
    note: Mapping[str, Any],
    issue: Mapping[str, Any],
    *,
    user: Mapping[str, Any],
    project: Mapping[str, Any],
    instance: Instance,
) -> Delivery:
    """A Note Hook for a comment on an issue (Confidential Note Hook on a
    confidential issue or for an internal note)."""
    confidential = bool(issue.get("confidential")) or bool(note.get("internal"))
    payload = {
        "object_kind": "note",
        "event_type": "confidential_note" if confidential else "note",
        "user": user_json(user),
        "project_id": project.get("id"),
        "project": project_json(project),
        "object_attributes": {
            "id": note.get("id"),
            "note": note.get("body", ""),
            "noteable_type": "Issue",
            "author_id": (note.get("author") or {}).get("id"),
            "created_at": note.get("created_at"),
            "updated_at": note.get("updated_at"),
            "project_id": project.get("id"),
            "noteable_id": issue.get("id"),
            "system": bool(note.get("system")),
            "internal": bool(note.get("internal")),
            "action": "create",
            "url": f"{issue.get('web_url', '')}#note_{note.get('id')}",
        },
        "issue": _issue_attributes(issue),
        "repository": {"name": project.get("name", ""), "url": project.get("web_url", "")},
    }
    event = "Confidential Note Hook" if confidential else "Note Hook"
    return Delivery(_headers(event, instance), payload)
