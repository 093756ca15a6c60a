"""Issues: what POST and PUT /projects/:id/issues do (Issues::CreateService,
Issues::UpdateService), quick actions in a description included.

Free keeps only the first of `assignee_ids`; assignees who cannot see the
project are dropped silently (IssuableBaseService#filter_assignees_using_checks).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from automation.sandbox.labels import LabelRules
from automation.sandbox.params import (
    ApiError,
    missing,
    to_bool,
    to_date,
    to_int,
    to_int_list,
    to_names,
)
from automation.sandbox.quick_actions import Interpretation, extract, interpret, new_updates
from automation.sandbox.store import Issue, Project, Store, User
from automation.sandbox.system_notes import SystemNotes

MAX_DESCRIPTION = 1_048_576  # Issue description limit (app/models/concerns/issuable.rb)
MAX_TITLE = 255


# -- quick-action target -------------------------------------------------------


@dataclass
class _Target:
    """The issue as quick actions see it before the update (quick_actions.Target)."""

    store: Store
    project: Project
    persisted: bool
    is_open: bool
    confidential: bool
    locked: bool
    has_due_date: bool
    has_labels: bool
    has_assignees: bool
    premium: bool
    actor_id: int
    actor_username: str
    today: date

    def project_has_labels(self) -> bool:
        return bool(self.store.labels_of(self.project.id))

    def find_label(self, name: str) -> tuple[int, str] | None:
        label = self.store.label_by_name(self.project.id, name)
        if label is None and name.isdigit():
            candidate = self.store.labels.get(int(name))
            if candidate is not None and candidate.project_id == self.project.id:
                label = candidate
        return (label.id, label.name) if label else None

    def find_user(self, username: str) -> tuple[int, str] | None:
        user = self.store.user_by_username(username)
        return (user.id, user.username) if user else None


_EMPTY = Interpretation()


class IssueRules(LabelRules, SystemNotes):
    """GitLab's issue write paths over one store. Callers hold `store.lock`."""

    def create_issue(self, project: Project, actor: User, params: Mapping[str, Any]) -> Issue:
        """POST /projects/:id/issues (Issues::CreateService). `state_event` and
        `/close` are dropped at creation."""
        if params.get("title") is None:
            raise missing("title")
        api = self._issue_params(params)
        api.pop("state_event", None)
        draft = Issue(
            id=0,
            iid=0,
            project_id=project.id,
            title="",
            description=None,
            state="opened",
            created_at="",
            updated_at="",
            closed_at=None,
            closed_by_id=None,
            author_id=actor.id,
            label_ids=(),
            assignee_ids=(),
            due_date=None,
            confidential=False,
            discussion_locked=None,
        )
        commands = _EMPTY
        if "description" in api and api["description"] is not None:
            api["description"], found = extract(api["description"])
            commands = interpret(found, self._target(project, actor, draft, persisted=False))
        updates = dict(commands.updates)
        updates.pop("state_event", None)
        now = self._now()
        issue = self._merge(project, actor, draft, api, updates, creating=True)
        issue = dataclasses.replace(
            issue,
            id=self.store.new_id(Issue),
            iid=self.store.max_iid(project.id) + 1,
            created_at=now,
            updated_at=now,
        )
        self.store.put(issue)
        self._record_changes(actor, draft, issue, creating=True)
        return issue

    def update_issue(
        self, project: Project, actor: User, issue: Issue, params: Mapping[str, Any]
    ) -> Issue:
        """PUT /projects/:id/issues/:iid (Issues::UpdateService). Quick actions
        run only when `description` is sent, and only those the old
        description did not already hold."""
        api = self._issue_params(params)
        if not api:
            raise ApiError(
                400,
                {
                    "error": "assignee_id, assignee_ids, confidential, created_at, description, "
                    "discussion_locked, due_date, labels, add_labels, remove_labels, "
                    "milestone_id, state_event, title, issue_type are missing, "
                    "at least one parameter must be provided"
                },
            )
        updates: dict[str, Any] = {}
        if api.get("description") is not None:
            target = self._target(project, actor, issue, persisted=True)
            api["description"], found = extract(api["description"])
            _, old_found = extract(issue.description or "")
            updates = new_updates(
                interpret(found, target).updates, interpret(old_found, target).updates
            )
        return self._save(project, actor, issue, api, updates)

    def apply_commands(
        self, project: Project, actor: User, issue: Issue, updates: dict[str, Any]
    ) -> Issue:
        """The update a note's quick actions make (Notes::QuickActionsService)."""
        if not updates:
            return issue
        return self._save(project, actor, issue, {}, updates)

    def _save(
        self,
        project: Project,
        actor: User,
        issue: Issue,
        api: dict[str, Any],
        updates: dict[str, Any],
    ) -> Issue:
        updated = self._merge(project, actor, issue, api, updates, creating=False)
        if updated == issue:
            return issue
        updated = dataclasses.replace(updated, updated_at=self._now())
        self.store.put(updated)
        self._record_changes(actor, issue, updated, creating=False)
        return updated

    def _issue_params(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """The issue parameters present in a request, coerced as Grape does."""
        api: dict[str, Any] = {}
        if params.get("title") is not None:
            api["title"] = str(params["title"])
        if "description" in params:
            value = params["description"]
            api["description"] = None if value is None else str(value)
        for name in ("labels", "add_labels", "remove_labels"):
            if name in params and params[name] is not None:
                api[name] = to_names(params[name])
        if "assignee_ids" in params:
            value = params["assignee_ids"]
            api["assignee_ids"] = [] if value is None else to_int_list(value, "assignee_ids")
        elif "assignee_id" in params:
            value = params["assignee_id"]
            api["assignee_ids"] = [] if value in (None, "") else [to_int(value, "assignee_id")]
        if "due_date" in params:
            api["due_date"] = to_date(params["due_date"], "due_date")
        for name in ("confidential", "discussion_locked"):
            if name in params and params[name] is not None:
                api[name] = to_bool(params[name], name)
        if params.get("state_event") is not None:
            event = str(params["state_event"])
            if event not in ("close", "reopen"):
                raise ApiError(400, {"error": "state_event does not have a valid value"})
            api["state_event"] = event
        return api

    def _target(self, project: Project, actor: User, issue: Issue, *, persisted: bool) -> _Target:
        return _Target(
            store=self.store,
            project=project,
            persisted=persisted,
            is_open=issue.state == "opened",
            confidential=issue.confidential,
            locked=bool(issue.discussion_locked),
            has_due_date=issue.due_date is not None,
            has_labels=bool(issue.label_ids),
            has_assignees=bool(issue.assignee_ids),
            premium=self._premium(),
            actor_id=actor.id,
            actor_username=actor.username,
            today=self._clock().date(),
        )

    def _merge(
        self,
        project: Project,
        actor: User,
        issue: Issue,
        api: dict[str, Any],
        updates: dict[str, Any],
        *,
        creating: bool,
    ) -> Issue:
        """The issue after one create/update, validated; not stored."""
        title = updates.get("title", api.get("title", issue.title)).strip()
        if not title:
            raise ApiError(400, {"message": {"title": ["can't be blank"]}})
        if len(title) > MAX_TITLE:
            raise ApiError(
                400, {"message": {"title": [f"is too long (maximum is {MAX_TITLE} characters)"]}}
            )
        description = api.get("description", issue.description)
        if description is not None and len(description) > MAX_DESCRIPTION:
            raise ApiError(
                400,
                {
                    "message": {
                        "description": [f"is too long (maximum is {MAX_DESCRIPTION} characters)"]
                    }
                },
            )
        fields: dict[str, Any] = {
            "title": title,
            "description": description,
            "label_ids": tuple(self._label_ids(project, issue, api, updates)),
            "assignee_ids": tuple(self._assignee_ids(project, issue, api, updates)),
        }
        for name in ("due_date", "confidential", "discussion_locked"):
            if name in updates:
                fields[name] = updates[name]
            elif name in api:
                fields[name] = api[name]
        event = None if creating else updates.get("state_event", api.get("state_event"))
        if event == "close" and issue.state == "opened":
            fields.update(state="closed", closed_at=self._now(), closed_by_id=actor.id)
        elif event == "reopen" and issue.state == "closed":
            fields.update(state="opened", closed_at=None, closed_by_id=None)
        return dataclasses.replace(issue, **fields)

    def _assignee_ids(
        self, project: Project, issue: Issue, api: dict[str, Any], updates: dict[str, Any]
    ) -> list[int]:
        """IssuableBaseService#filter_assignees_using_checks: Free keeps the
        first id; ids of users who cannot see the issue are dropped, and when
        none is left the assignees stay as they were; `[]` or `[0]` clears."""
        given = updates.get("assignee_ids", api.get("assignee_ids"))
        if given is None:
            ids = list(issue.assignee_ids)
        elif list(given) in ([], [0]):
            ids = []
        else:
            wanted = list(given) if self._premium() else list(given)[:1]
            readable = self._readable(project, wanted)
            ids = readable or list(issue.assignee_ids)
        ids += [
            i for i in self._readable(project, updates.get("add_assignee_ids", [])) if i not in ids
        ]
        removed = set(updates.get("remove_assignee_ids", []))
        return [i for i in ids if i not in removed]

    def _readable(self, project: Project, user_ids: Iterable[int]) -> list[int]:
        """The users (in order, once each) who may see the project's issues."""
        readable: list[int] = []
        for user_id in user_ids:
            user = self.store.users.get(user_id)
            if user is not None and user_id not in readable and self.can_read(project, user):
                readable.append(user_id)
        return readable
