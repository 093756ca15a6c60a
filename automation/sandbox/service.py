"""What GitLab does on a write: issues, labels, notes, links, system notes.

Each public method takes already-authorised records (the project the actor may
see, the issue in it) and raw request parameters, validates them as Grape and
the Rails models would, and answers with records or raises `ApiError` carrying
GitLab's status and body (reference §7). Rules cited per method; the big ones:

- `labels` replaces, then `add_labels`, then `remove_labels`, in one update;
  `labels`/`add_labels` create missing labels, `remove_labels` does not
  (IssuableBaseService#process_label_ids). A quick action's label update wins
  over the same kind of API parameter (`label_ids_to_filter`).
- Premium only: when labels are added, a scope `key::value` keeps only the
  label added last (EE IssuableBaseService#filter_mutually_exclusive_labels).
- Free keeps only the first of `assignee_ids`; assignees who cannot see the
  project are dropped silently.
- Label and state changes are resource events, not notes (GitLab 13.x+; the
  Notes API docs say so). Title, description (or ticked checklist items),
  due date, assignee, confidentiality and lock changes are system notes.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from markdown_it import MarkdownIt

from automation.sandbox import markdown
from automation.sandbox.quick_actions import Interpretation, extract, interpret, new_updates
from automation.sandbox.store import (
    MAINTAINER,
    Issue,
    Label,
    LabelEvent,
    Link,
    Note,
    Project,
    StateEvent,
    Store,
    User,
    format_time,
)

MAX_DESCRIPTION = 1_048_576  # Issue description limit (app/models/concerns/issuable.rb)
MAX_TITLE = 255
MAX_NOTE = 1_000_000
DEFAULT_LABEL_COLOR = "#6699cc"  # Label::DEFAULT_COLOR
_COLOR = re.compile(r"#(?:[0-9A-Fa-f]{3}|[0-9A-Fa-f]{6})")
_CSS_COLORS = frozenset(
    [
        "black",
        "white",
        "red",
        "green",
        "blue",
        "yellow",
        "orange",
        "purple",
        "pink",
        "gray",
        "grey",
        "brown",
        "cyan",
        "magenta",
        "navy",
        "teal",
        "olive",
        "maroon",
        "lime",
        "aqua",
        "fuchsia",
        "silver",
        "gold",
        "indigo",
        "violet",
    ]
)
_TRUE = frozenset({"1", "true", "t", "yes", "y", "on"})
_FALSE = frozenset({"0", "false", "f", "no", "n", "off"})


class ApiError(Exception):
    """An error answer: status and JSON body (or plain text)."""

    def __init__(self, status: int, body: dict[str, Any] | str) -> None:
        super().__init__(status, body)
        self.status = status
        self.body = body


def not_found(what: str | None = None) -> ApiError:
    """`not_found!` ("404 Project Not Found"); a missing record found with
    `find_by!` answers "404 Not found" (lib/api/api.rb rescue_from)."""
    return ApiError(404, {"message": f"404 {what} Not Found" if what else "404 Not found"})


def invalid(name: str) -> ApiError:
    return ApiError(400, {"error": f"{name} is invalid"})


def missing(name: str) -> ApiError:
    return ApiError(400, {"error": f"{name} is missing"})


# -- Grape-style coercion ------------------------------------------------------


def to_bool(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise invalid(name)


def to_int(value: Any, name: str) -> int:
    if isinstance(value, bool):
        raise invalid(name)
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    raise invalid(name)


def to_int_list(value: Any, name: str) -> list[int]:
    """An array of integers, a single one, or a comma-separated string."""
    items = value if isinstance(value, list) else str(value).split(",")
    result: list[int] = []
    for item in items:
        if isinstance(item, str) and not item.strip():
            continue
        result.append(to_int(item, name))
    return result


def to_names(value: Any) -> list[str]:
    """Label names from a JSON array or a comma-separated string (each array
    item is split on commas too, as CommaSeparatedToArray does)."""
    items = value if isinstance(value, list) else [value]
    names: list[str] = []
    for item in items:
        for part in str(item).split(","):
            name = part.strip()
            if name and name not in names:
                names.append(name)
    return names


def to_date(value: Any, name: str) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return date.fromisoformat(str(value).strip()[:10]).isoformat()
    except ValueError:
        raise invalid(name) from None


def to_time(value: Any, name: str) -> str:
    """An ISO 8601 time parameter, in the stored string format for comparison."""
    text = str(value).strip().replace("Z", "+00:00").replace(" ", "+")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise invalid(name) from None
    return format_time(moment)


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

ChecklistNotes = Literal["escaped", "raw"]
# The punctuation GitLab.com backslash-escapes in a checklist note's item text
# (issue 11: `Extend #2 by a week <!-- task:dashboard.extend.2 -->` arrives as
# `Extend \#2 by a week  task:dashboard\.extend\.2`); `:` is left alone.
_NOTE_ESCAPED = frozenset("\\`*_{}[]()#+-.!|<>~")
_COMMENT_DELIMITER = re.compile(r"<!--|-->")


def checklist_note_text(source: str, form: ChecklistNotes = "escaped") -> str:
    """The item text GitLab puts in "marked the checklist item **TEXT** as ...",
    from the item's Markdown source after its box (first line only).

    "raw" is the source as typed. "escaped" is GitLab.com's form: an HTML
    comment's delimiters dropped and its inner text kept as plain text, then
    Markdown punctuation backslash-escaped (CommonMark escapes, so a reader
    undoes them)."""
    line = source.split("\n", 1)[0].strip()
    if form == "raw":
        return line
    plain = _COMMENT_DELIMITER.sub("", line).strip()
    return "".join(f"\\{c}" if c in _NOTE_ESCAPED else c for c in plain)


class Service:
    """GitLab's write paths over one store. Callers hold `store.lock`."""

    def __init__(
        self,
        store: Store,
        *,
        premium: Callable[[], bool],
        clock: Callable[[], datetime],
        checklist_notes: Callable[[], ChecklistNotes] = lambda: "escaped",
    ) -> None:
        self.store = store
        self._premium = premium
        self._clock = clock
        self._checklist_notes = checklist_notes

    # -- access ------------------------------------------------------------

    def access_level(self, project: Project, user: User | None) -> int:
        if user is None:
            return 0
        member = self.store.member(project.id, user.id)
        return member.access_level if member else 0

    def can_read(self, project: Project, user: User | None) -> bool:
        return project.visibility == "public" or self.access_level(project, user) >= 10

    def find_project(self, ref: str, user: User | None) -> Project:
        """A project the user may see; a private one answers 404 to anyone else."""
        project = self.store.project_by_ref(ref)
        if project is None or not self.can_read(project, user):
            raise not_found("Project")
        return project

    def find_issue(self, project: Project, iid_text: str) -> Issue:
        if not iid_text.isdigit():
            raise not_found()
        issue = self.store.issue_by_iid(project.id, int(iid_text))
        if issue is None:
            raise not_found()
        return issue

    # -- labels ------------------------------------------------------------

    def create_label(self, project: Project, params: Mapping[str, Any]) -> Label:
        name = params.get("name")
        if name is None:
            raise missing("name")
        color = params.get("color")
        if color is None:
            raise missing("color")
        name = str(name).strip()
        if not name:
            raise ApiError(400, {"message": {"title": ["can't be blank"]}})
        if "," in name:
            raise ApiError(400, {"message": {"title": ["is invalid"]}})
        color = str(color).strip()
        if not (_COLOR.fullmatch(color) or color.lower() in _CSS_COLORS):
            raise ApiError(400, {"message": {"color": ["must be a valid color code"]}})
        if self.store.label_by_name(project.id, name) is not None:
            raise ApiError(409, {"message": "Label already exists"})
        description = params.get("description")
        return self._new_label(project, name, color, str(description) if description else None)

    def _new_label(self, project: Project, name: str, color: str, description: str | None) -> Label:
        label = Label(
            id=self.store.new_id(Label),
            project_id=project.id,
            name=name,
            color=color,
            description=description,
            created_at=self._now(),
        )
        return self.store.put(label)

    def _find_or_create_labels(self, project: Project, names: Iterable[str]) -> list[int]:
        ids: list[int] = []
        for name in names:
            label = self.store.label_by_name(project.id, name)
            if label is None:
                label = self._new_label(project, name, DEFAULT_LABEL_COLOR, None)
            if label.id not in ids:
                ids.append(label.id)
        return ids

    def _find_labels(self, project: Project, names: Iterable[str]) -> list[int]:
        found = (self.store.label_by_name(project.id, name) for name in names)
        return [label.id for label in found if label is not None]

    # -- issues ------------------------------------------------------------

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

    def _label_ids(
        self, project: Project, issue: Issue, api: dict[str, Any], updates: dict[str, Any]
    ) -> list[int]:
        existing = list(issue.label_ids)
        if "label_ids" in updates:
            base = list(updates["label_ids"])
        elif "labels" in api:
            base = self._find_or_create_labels(project, api["labels"])
        else:
            base = list(existing)
        if "add_label_ids" in updates:
            add = list(updates["add_label_ids"])
        else:
            add = self._find_or_create_labels(project, api.get("add_labels", []))
        if "remove_label_ids" in updates:
            remove = set(updates["remove_label_ids"])
        else:
            remove = set(self._find_labels(project, api.get("remove_labels", [])))
        ids: list[int] = []
        for label_id in base + add:
            if label_id not in ids and label_id not in remove:
                ids.append(label_id)
        return self._exclusive_scopes(ids, existing) if self._premium() else ids

    def _exclusive_scopes(self, ids: list[int], existing: list[int]) -> list[int]:
        """Premium: in a scope that gained a label, only the last one added stays."""
        added = [i for i in ids if i not in existing]
        if not added:
            return ids
        scopes: dict[str, list[int]] = {}
        for label_id in ids:
            name = self.store.labels[label_id].name
            if "::" in name:
                scopes.setdefault(name[: name.rindex("::")], []).append(label_id)
        dropped: set[int] = set()
        for members in scopes.values():
            newly = [i for i in added if i in members]
            if len(members) > 1 and newly:
                dropped.update(i for i in members if i != newly[-1])
        return [i for i in ids if i not in dropped]

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

    # -- system notes and events -------------------------------------------

    def _record_changes(self, actor: User, old: Issue, new: Issue, *, creating: bool) -> None:
        if old.state != new.state:
            state = "closed" if new.state == "closed" else "reopened"
            self.store.put(
                StateEvent(self.store.new_id(StateEvent), new.id, actor.id, state, self._now())
            )
        if not creating:
            self._title_note(actor, old, new)
            self._description_notes(actor, old, new)
            if bool(old.discussion_locked) != bool(new.discussion_locked):
                verb = "locked" if new.discussion_locked else "unlocked"
                self._system_note(actor, new, f"{verb} the discussion in this issue")
        if old.due_date != new.due_date:
            self._system_note(actor, new, _due_date_note(new.due_date))
        self._label_events(actor, old, new)
        if not creating:
            self._assignee_note(actor, old, new)
            if old.confidential != new.confidential:
                visibility = "confidential" if new.confidential else "visible to everyone"
                self._system_note(actor, new, f"made the issue {visibility}")

    def _title_note(self, actor: User, old: Issue, new: Issue) -> None:
        if old.title != new.title:
            before, after = _inline_diff(old.title, new.title)
            self._system_note(actor, new, f"changed title from **{before}** to **{after}**")

    def _description_notes(self, actor: User, old: Issue, new: Issue) -> None:
        """Ticked or unticked items each get a note; any other edit one
        "changed the description" (Issuable::CommonSystemNotesService)."""
        if old.description == new.description:
            return
        toggled = markdown.toggled(old.description, new.description)
        if not toggled:
            self._system_note(actor, new, "changed the description")
        form = self._checklist_notes()
        for task in toggled:
            status = "completed" if task.checked else "incomplete"
            text = checklist_note_text(task.source, form)
            self._system_note(actor, new, f"marked the checklist item **{text}** as {status}")

    def _label_events(self, actor: User, old: Issue, new: Issue) -> None:
        now = self._now()
        before, after = set(old.label_ids), set(new.label_ids)
        for label_id in [i for i in new.label_ids if i not in before]:
            event_id = self.store.new_id(LabelEvent)
            self.store.put(LabelEvent(event_id, new.id, actor.id, label_id, "add", now))
        for label_id in [i for i in old.label_ids if i not in after]:
            event_id = self.store.new_id(LabelEvent)
            self.store.put(LabelEvent(event_id, new.id, actor.id, label_id, "remove", now))

    def _assignee_note(self, actor: User, old: Issue, new: Issue) -> None:
        added = [i for i in new.assignee_ids if i not in old.assignee_ids]
        removed = [i for i in old.assignee_ids if i not in new.assignee_ids]
        parts = []
        if added:
            parts.append(f"assigned to {self._mentions(added)}")
        if removed:
            parts.append(f"unassigned {self._mentions(removed)}")
        if parts:
            self._system_note(actor, new, " and ".join(parts))

    def _mentions(self, user_ids: list[int]) -> str:
        names = [f"@{self.store.users[i].username}" for i in user_ids]
        if len(names) <= 2:
            return " and ".join(names)
        return ", ".join(names[:-1]) + f", and {names[-1]}"

    def _system_note(self, actor: User, issue: Issue, body: str) -> Note:
        now = self._now()
        note = Note(
            id=self.store.new_id(Note),
            project_id=issue.project_id,
            issue_id=issue.id,
            body=body,
            author_id=actor.id,
            created_at=now,
            updated_at=now,
            system=True,
            internal=False,
        )
        return self.store.put(note)

    # -- notes -------------------------------------------------------------

    def create_note(
        self, project: Project, actor: User, issue: Issue, params: Mapping[str, Any]
    ) -> tuple[Note | None, Interpretation]:
        """POST .../notes. A body of only quick actions runs them and stores no
        note (the API then answers 202)."""
        body = params.get("body")
        if body is None:
            raise missing("body")
        body = str(body)
        if not body.strip():
            raise ApiError(400, {"error": "body is empty"})
        internal = to_bool(params.get("internal", False), "internal")
        if len(body) > MAX_NOTE:
            raise ApiError(
                400,
                {
                    "message": '400 Bad request - Note {:note=>["is too long (maximum is '
                    f'{MAX_NOTE} characters)"]}}'
                },
            )
        text, found = extract(body)
        commands = interpret(found, self._target(project, actor, issue, persisted=True))
        issue = self.apply_commands(project, actor, issue, commands.updates)
        if not text:
            if not commands.messages:
                # Notes::CreateService#do_commands: a commands-only note with no
                # message (nothing applied) is an error; the API answers 400.
                raise ApiError(400, {"message": "400 Bad request - Failed to apply commands."})
            return None, commands
        now = self._now()
        note = Note(
            id=self.store.new_id(Note),
            project_id=project.id,
            issue_id=issue.id,
            body=text,
            author_id=actor.id,
            created_at=now,
            updated_at=now,
            system=False,
            internal=internal,
        )
        self.store.put(note)
        # A comment touches its issue (Note#touch_noteable).
        self.store.put(dataclasses.replace(issue, updated_at=now))
        return note, commands

    def update_note(self, note: Note, params: Mapping[str, Any]) -> Note:
        body = params.get("body")
        if body is None:
            raise missing("body")
        text, _ = extract(str(body))
        if not text:
            raise ApiError(400, {"error": "body is empty"})
        changed = dataclasses.replace(note, body=text, updated_at=self._now())
        return self.store.put(changed)

    def delete_note(self, project: Project, actor: User, note: Note) -> None:
        """DELETE .../notes/:note_id: `authorize! :admin_note` (NotePolicy):
        the note's author or a Maintainer+, never a system note."""
        if note.system:
            raise ApiError(403, {"message": "403 Forbidden"})
        if note.author_id != actor.id and self.access_level(project, actor) < MAINTAINER:
            raise ApiError(403, {"message": "403 Forbidden"})
        self.store.delete_note(note)

    def participants(self, project: Project, issue: Issue) -> list[User]:
        """Issuable#visible_participants (Participable#raw_participants): the
        author, note authors in order (a system note's only if it is not
        already in), the assignees, then users @mentioned in the title,
        description and comments; only those who may read the issue."""
        users = self.store.users
        found: list[int] = [issue.author_id]
        mentioned: list[str] = [*_mentions(issue.title), *_mentions(issue.description or "")]
        notes = sorted(self.store.notes_of(issue.id), key=lambda n: (n.created_at, n.id))
        for note in notes:
            mentions = _mentions(note.body)
            if note.system and note.author_id in found and not mentions:
                continue
            if note.author_id not in found:
                found.append(note.author_id)
            mentioned.extend(mentions)
        found.extend(i for i in issue.assignee_ids if i not in found)
        for username in mentioned:
            user = self.store.user_by_username(username)
            if user is not None and user.id not in found:
                found.append(user.id)
        return [users[i] for i in found if i in users and self.can_read(project, users[i])]

    # -- links -------------------------------------------------------------

    def link_issues(self, actor: User, issue: Issue, target: Issue, link_type: str | None) -> Link:
        """POST .../links (IssueLinks::CreateService). Free ignores link_type."""
        kind = link_type or "relates_to"
        if kind not in ("relates_to", "blocks", "is_blocked_by"):
            raise ApiError(400, {"error": "link_type does not have a valid value"})
        if not self._premium():
            kind = "relates_to"
        for link in self.store.links_of(issue.id):
            if target.id in (link.source_id, link.target_id):
                raise ApiError(409, {"message": "Issue(s) already assigned"})
        if target.id == issue.id:
            raise ApiError(
                422,
                {
                    "message": f"{self._ref(target, issue)} cannot be added: "
                    "cannot be related to itself"
                },
            )
        source, dest = (target, issue) if kind == "is_blocked_by" else (issue, target)
        now = self._now()
        link = Link(
            id=self.store.new_id(Link),
            source_id=source.id,
            target_id=dest.id,
            link_type="relates_to" if kind == "relates_to" else "blocks",
            created_at=now,
            updated_at=now,
        )
        self.store.put(link)
        if link.link_type == "blocks":
            self._system_note(
                actor, source, f"marked this issue as blocking {self._ref(dest, source)}"
            )
            self._system_note(
                actor, dest, f"marked this issue as blocked by {self._ref(source, dest)}"
            )
        else:
            self._system_note(
                actor, source, f"marked this issue as related to {self._ref(dest, source)}"
            )
            self._system_note(
                actor, dest, f"marked this issue as related to {self._ref(source, dest)}"
            )
        return link

    def unlink_issues(self, actor: User, issue: Issue, link_id_text: str) -> Link:
        link = self.store.links.get(int(link_id_text)) if link_id_text.isdigit() else None
        if link is None or issue.id not in (link.source_id, link.target_id):
            raise not_found()
        self.store.delete_link(link)
        source, target = self.store.issues[link.source_id], self.store.issues[link.target_id]
        self._system_note(actor, source, f"removed the relation with {self._ref(target, source)}")
        self._system_note(actor, target, f"removed the relation with {self._ref(source, target)}")
        return link

    def _ref(self, issue: Issue, seen_from: Issue) -> str:
        if issue.project_id == seen_from.project_id:
            return f"#{issue.iid}"
        return f"{self.store.projects[issue.project_id].path}#{issue.iid}"

    # -- clock -------------------------------------------------------------

    def _now(self) -> str:
        return format_time(self._clock())


_MENTION = re.compile(r"(?<![\w@`])@([A-Za-z0-9_][A-Za-z0-9_.-]*)")


_MARKDOWN = MarkdownIt("commonmark")


def _mentions(text: str) -> list[str]:
    """Usernames @mentioned in a text's prose (User.reference_pattern; a
    trailing `.` or `-` ends the sentence, not the name). As in GitLab's
    reference filters, code spans and code blocks mention no one."""
    if "@" not in text:
        return []
    names: list[str] = []
    for token in _MARKDOWN.parse(text):
        for child in token.children or []:
            if child.type == "text":
                names.extend(name.rstrip(".-") for name in _MENTION.findall(child.content))
    return names


def _due_date_note(due: str | None) -> str:
    if due is None:
        return "removed due date"
    day = date.fromisoformat(due)
    return f"changed due date to {day.strftime('%B')} {day.day}, {day.year}"


def _inline_diff(old: str, new: str) -> tuple[str, str]:
    """Mark the changed middle as GitLab's InlineDiffMarkdownMarker does:
    `{-removed-}` in the old title, `{+added+}` in the new one."""
    prefix = 0
    while prefix < min(len(old), len(new)) and old[prefix] == new[prefix]:
        prefix += 1
    suffix = 0
    while (
        suffix < min(len(old), len(new)) - prefix
        and old[len(old) - 1 - suffix] == new[len(new) - 1 - suffix]
    ):
        suffix += 1
    old_mid = old[prefix : len(old) - suffix]
    new_mid = new[prefix : len(new) - suffix]
    before = old[:prefix] + (f"{{-{old_mid}-}}" if old_mid else "") + old[len(old) - suffix :]
    after = new[:prefix] + (f"{{+{new_mid}+}}" if new_mid else "") + new[len(new) - suffix :]
    return before, after
