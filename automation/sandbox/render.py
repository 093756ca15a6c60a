"""The JSON GitLab answers with (lib/api/entities/*.rb), built from records."""

from __future__ import annotations

import hashlib
from typing import Any

from automation.sandbox.markdown import summarize
from automation.sandbox.store import (
    Issue,
    Label,
    LabelEvent,
    Member,
    Note,
    Project,
    StateEvent,
    Store,
    User,
)

_DARK_TEXT = "#1F1E24"
_LIGHT_TEXT = "#FFFFFF"
_NO_TIME_STATS = {
    "time_estimate": 0,
    "total_time_spent": 0,
    "human_time_estimate": None,
    "human_total_time_spent": None,
}


def text_color(color: str) -> str:
    """GitLab picks dark text on light label colours and white on dark ones."""
    hex_digits = color.lstrip("#")
    if len(hex_digits) == 3:
        hex_digits = "".join(c * 2 for c in hex_digits)
    try:
        red, green, blue = (int(hex_digits[i : i + 2], 16) for i in (0, 2, 4))
    except ValueError:
        return _DARK_TEXT
    luminance = (0.2126 * red + 0.7152 * green + 0.0722 * blue) / 255
    return _DARK_TEXT if luminance > 0.5 else _LIGHT_TEXT


class Renderer:
    """Entities as seen by one request (`base_url` is the sandbox's external URL)."""

    def __init__(self, store: Store, base_url: str, *, premium: bool) -> None:
        self.store = store
        self.base_url = base_url
        self.premium = premium

    # -- users and projects ------------------------------------------------

    def user(self, user: User | None) -> dict[str, Any] | None:
        if user is None:
            return None
        digest = hashlib.sha256(user.username.lower().encode()).hexdigest()
        return {
            "id": user.id,
            "username": user.username,
            "name": user.name,
            "state": user.state,
            "locked": False,
            "avatar_url": f"https://www.gravatar.com/avatar/{digest}?s=80&d=identicon",
            "web_url": f"{self.base_url}/{user.username}",
        }

    def user_by_id(self, user_id: int | None) -> dict[str, Any] | None:
        return self.user(self.store.users.get(user_id)) if user_id is not None else None

    def user_detail(self, user: User, *, me: bool = False) -> dict[str, Any]:
        data = dict(self.user(user) or {})
        data.update(
            {
                "created_at": user.created_at,
                "bio": "",
                "location": "",
                "public_email": None,
                "website_url": "",
                "organization": "",
                "job_title": "",
                "bot": False,
            }
        )
        if me:
            data.update({"email": f"{user.username}@sandbox.invalid", "is_admin": False})
        return data

    def member(self, member: Member) -> dict[str, Any]:
        data = dict(self.user_by_id(member.user_id) or {})
        data.update(
            {
                "access_level": member.access_level,
                "created_at": member.created_at,
                "expires_at": None,
                "membership_state": "active",
            }
        )
        return data

    def project(self, project: Project, access_level: int) -> dict[str, Any]:
        namespace, _, path = project.path.rpartition("/")
        api = f"{self.base_url}/api/v4/projects/{project.id}"
        return {
            "id": project.id,
            "description": project.description,
            "name": project.name,
            "name_with_namespace": f"{namespace.replace('/', ' / ')} / {project.name}",
            "path": path,
            "path_with_namespace": project.path,
            "created_at": project.created_at,
            "default_branch": "main",
            "web_url": f"{self.base_url}/{project.path}",
            "visibility": project.visibility,
            "issues_enabled": True,
            "open_issues_count": sum(
                1 for i in self.store.issues_of(project.id) if i.state == "opened"
            ),
            "namespace": {
                "id": project.id,
                "name": namespace.rsplit("/", 1)[-1],
                "path": namespace.rsplit("/", 1)[-1],
                "kind": "group",
                "full_path": namespace,
            },
            "_links": {
                "self": api,
                "issues": f"{api}/issues",
                "labels": f"{api}/labels",
                "members": f"{api}/members",
            },
            "permissions": {
                "project_access": {"access_level": access_level, "notification_level": 3}
                if access_level
                else None,
                "group_access": None,
            },
        }

    # -- labels and issues -------------------------------------------------

    def label(self, label: Label, *, with_counts: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": label.id,
            "name": label.name,
            "description": label.description,
            "description_html": label.description or "",
            "text_color": text_color(label.color),
            "color": label.color,
            "subscribed": False,
            "priority": None,
            "is_project_label": True,
        }
        if with_counts:
            issues = [i for i in self.store.issues_of(label.project_id) if label.id in i.label_ids]
            data["open_issues_count"] = sum(1 for i in issues if i.state == "opened")
            data["closed_issues_count"] = len(issues) - data["open_issues_count"]
            data["open_merge_requests_count"] = 0
        return data

    def label_basic(self, label: Label) -> dict[str, Any]:
        return {
            "id": label.id,
            "name": label.name,
            "color": label.color,
            "description": label.description,
            "description_html": label.description or "",
            "text_color": text_color(label.color),
        }

    def issue_basic(self, issue: Issue, *, labels_details: bool = False) -> dict[str, Any]:
        store = self.store
        project = store.projects[issue.project_id]
        labels = sorted((store.labels[i] for i in issue.label_ids), key=lambda lb: lb.name)
        assignees = [self.user_by_id(i) for i in issue.assignee_ids]
        tasks = summarize(issue.description)
        data: dict[str, Any] = {
            "id": issue.id,
            "iid": issue.iid,
            "project_id": issue.project_id,
            "title": issue.title,
            "description": issue.description,
            "state": issue.state,
            "created_at": issue.created_at,
            "updated_at": issue.updated_at,
            "closed_at": issue.closed_at,
            "closed_by": self.user_by_id(issue.closed_by_id),
            "labels": [self.label_basic(lb) for lb in labels]
            if labels_details
            else [lb.name for lb in labels],
            "milestone": None,
            "assignees": assignees,
            "author": self.user_by_id(issue.author_id),
            "type": "ISSUE",
            "assignee": assignees[0] if assignees else None,
            "user_notes_count": store.user_notes_count(issue.id),
            "merge_requests_count": 0,
            "upvotes": 0,
            "downvotes": 0,
            "due_date": issue.due_date,
            "confidential": issue.confidential,
            "discussion_locked": issue.discussion_locked,
            "issue_type": "issue",
            "web_url": f"{self.base_url}/{project.path}/-/issues/{issue.iid}",
            "time_stats": dict(_NO_TIME_STATS),
            "task_completion_status": {
                "count": tasks.count,
                "completed_count": tasks.completed_count,
            },
        }
        if self.premium:
            data.update(
                {
                    "weight": None,
                    "blocking_issues_count": 0,
                    "epic_iid": None,
                    "epic": None,
                    "iteration": None,
                    "health_status": None,
                }
            )
        return data

    def issue(
        self, issue: Issue, *, labels_details: bool = False, single: bool = False
    ) -> dict[str, Any]:
        data = self.issue_basic(issue, labels_details=labels_details)
        project = self.store.projects[issue.project_id]
        tasks = summarize(issue.description)
        data["has_tasks"] = tasks.count > 0
        if tasks.count:
            data["task_status"] = tasks.status
        api = f"{self.base_url}/api/v4/projects/{issue.project_id}"
        data["_links"] = {
            "self": f"{api}/issues/{issue.iid}",
            "notes": f"{api}/issues/{issue.iid}/notes",
            "award_emoji": f"{api}/issues/{issue.iid}/award_emoji",
            "project": api,
            "closed_as_duplicate_of": None,
        }
        data["references"] = {
            "short": f"#{issue.iid}",
            "relative": f"#{issue.iid}",
            "full": f"{project.path}#{issue.iid}",
        }
        data["severity"] = "UNKNOWN"
        if single:
            data["subscribed"] = False
        data["moved_to_id"] = None
        data["service_desk_reply_to"] = None
        return data

    # -- notes and events --------------------------------------------------

    def note(self, note: Note, *, commands_changes: dict[str, Any] | None = None) -> dict[str, Any]:
        issue = self.store.issues[note.issue_id]
        return {
            "id": note.id,
            "type": None,
            "body": note.body,
            "attachment": None,
            "author": self.user_by_id(note.author_id),
            "created_at": note.created_at,
            "updated_at": note.updated_at,
            "system": note.system,
            "noteable_id": issue.id,
            "noteable_type": "Issue",
            "project_id": note.project_id,
            "resolvable": False,
            "confidential": note.internal,
            "internal": note.internal,
            "imported": False,
            "imported_from": "none",
            "noteable_iid": issue.iid,
            "commands_changes": commands_changes or {},
        }

    def label_event(self, event: LabelEvent) -> dict[str, Any]:
        label = self.store.labels.get(event.label_id)
        return {
            "id": event.id,
            "user": self.user_by_id(event.user_id),
            "created_at": event.created_at,
            "resource_type": "Issue",
            "resource_id": event.issue_id,
            "label": {
                "id": label.id,
                "name": label.name,
                "color": label.color,
                "description": label.description,
            }
            if label
            else None,
            "action": event.action,
        }

    def state_event(self, event: StateEvent) -> dict[str, Any]:
        return {
            "id": event.id,
            "user": self.user_by_id(event.user_id),
            "created_at": event.created_at,
            "resource_type": "Issue",
            "resource_id": event.issue_id,
            "state": event.state,
        }
