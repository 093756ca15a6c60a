"""The sandbox's data: frozen records, in-memory indexes, optional SQLite.

Every record is a frozen dataclass stored by id; indexes give the lookups the
API needs (user by token, issue by iid, notes of an issue, ...). In memory
mode nothing else happens, so creating 10,000 issues costs only dict inserts.
With a SQLite file every `put` is also written through as one JSON row
(`rows(kind, id, data)`) and `commit()` makes a request's changes durable, so
a restarted sandbox reloads users, tokens, issues, notes, labels and events.

Timestamps are kept as GitLab prints them (`2025-01-31T09:00:00.000Z`, always
UTC with milliseconds), so they sort and compare correctly as strings.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

GUEST, REPORTER, DEVELOPER, MAINTAINER, OWNER = 10, 20, 30, 40, 50


def format_time(moment: datetime) -> str:
    """GitLab's API timestamp format: UTC, milliseconds, `Z`."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass(frozen=True)
class User:
    id: int
    username: str
    name: str
    token: str
    created_at: str
    state: str = "active"


@dataclass(frozen=True)
class Project:
    id: int
    path: str  # full path, e.g. "sales/salesbot"
    name: str
    description: str
    created_at: str
    visibility: str = "private"


@dataclass(frozen=True)
class Member:
    id: int
    project_id: int
    user_id: int
    access_level: int
    created_at: str


@dataclass(frozen=True)
class Label:
    id: int
    project_id: int
    name: str
    color: str
    description: str | None
    created_at: str


@dataclass(frozen=True)
class Issue:
    id: int
    iid: int
    project_id: int
    title: str
    description: str | None
    state: str  # "opened" | "closed"
    created_at: str
    updated_at: str
    closed_at: str | None
    closed_by_id: int | None
    author_id: int
    label_ids: tuple[int, ...]
    assignee_ids: tuple[int, ...]
    due_date: str | None  # YYYY-MM-DD
    confidential: bool
    discussion_locked: bool | None


@dataclass(frozen=True)
class Note:
    id: int
    project_id: int
    issue_id: int
    body: str
    author_id: int
    created_at: str
    updated_at: str
    system: bool
    internal: bool


@dataclass(frozen=True)
class LabelEvent:
    id: int
    issue_id: int
    user_id: int
    label_id: int
    action: str  # "add" | "remove"
    created_at: str


@dataclass(frozen=True)
class StateEvent:
    id: int
    issue_id: int
    user_id: int
    state: str  # "closed" | "reopened"
    created_at: str


@dataclass(frozen=True)
class Link:
    id: int
    source_id: int
    target_id: int
    link_type: str  # "relates_to" | "blocks"
    created_at: str
    updated_at: str


Record = User | Project | Member | Label | Issue | Note | LabelEvent | StateEvent | Link
R = TypeVar("R", User, Project, Member, Label, Issue, Note, LabelEvent, StateEvent, Link)

_KINDS: dict[str, type[Any]] = {
    "user": User,
    "project": Project,
    "member": Member,
    "label": Label,
    "issue": Issue,
    "note": Note,
    "label_event": LabelEvent,
    "state_event": StateEvent,
    "link": Link,
}
_KIND_OF: dict[type[Any], str] = {cls: kind for kind, cls in _KINDS.items()}


class _Sqlite:
    """Write-through JSON rows; one transaction per request."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(str(path), check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS rows ("
            "kind TEXT NOT NULL, id INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (kind, id))"
        )
        self._conn.commit()
        self._dirty = False

    def load(self) -> Iterator[Record]:
        cursor = self._conn.execute("SELECT kind, data FROM rows ORDER BY kind, id")
        for kind, data in cursor:
            cls = _KINDS.get(kind)
            if cls is None:
                continue
            values = {
                key: tuple(value) if isinstance(value, list) else value
                for key, value in json.loads(data).items()
            }
            yield cls(**values)

    def put(self, kind: str, record: Record) -> None:
        data = json.dumps(dataclasses.asdict(record), ensure_ascii=False)
        self._conn.execute(
            "INSERT OR REPLACE INTO rows (kind, id, data) VALUES (?, ?, ?)", (kind, record.id, data)
        )
        self._dirty = True

    def delete(self, kind: str, record_id: int) -> None:
        self._conn.execute("DELETE FROM rows WHERE kind = ? AND id = ?", (kind, record_id))
        self._dirty = True

    def commit(self) -> None:
        if self._dirty:
            self._conn.commit()
            self._dirty = False

    def close(self) -> None:
        self.commit()
        self._conn.close()


class Store:
    """All records of one sandbox. Callers hold `lock` around a request."""

    def __init__(self, data: Path | None = None) -> None:
        self.lock = threading.RLock()
        self.users: dict[int, User] = {}
        self.projects: dict[int, Project] = {}
        self.members: dict[int, Member] = {}
        self.labels: dict[int, Label] = {}
        self.issues: dict[int, Issue] = {}
        self.notes: dict[int, Note] = {}
        self.label_events: dict[int, LabelEvent] = {}
        self.state_events: dict[int, StateEvent] = {}
        self.links: dict[int, Link] = {}
        self._user_by_name: dict[str, int] = {}
        self._user_by_token: dict[str, int] = {}
        self._project_by_path: dict[str, int] = {}
        self._members_of: dict[int, dict[int, int]] = {}  # project -> user -> member id
        self._labels_of: dict[int, dict[str, int]] = {}  # project -> name -> label id
        self._issues_of: dict[int, dict[int, int]] = {}  # project -> iid -> issue id
        self._max_iid: dict[int, int] = {}
        self._notes_of: dict[int, list[int]] = {}
        self._label_events_of: dict[int, list[int]] = {}
        self._state_events_of: dict[int, list[int]] = {}
        self._links_of: dict[int, list[int]] = {}
        self._next_id: dict[str, int] = dict.fromkeys(_KINDS, 1)
        # called with (old or None, new) for every issue and note saved (hook_sender)
        self.watchers: list[Callable[[object, object], None]] = []
        self._db = _Sqlite(data) if data is not None else None
        if self._db is not None:
            for record in self._db.load():
                self._index(record)

    # -- writing -----------------------------------------------------------

    def new_id(self, cls: type[Record]) -> int:
        kind = _KIND_OF[cls]
        value = self._next_id[kind]
        self._next_id[kind] = value + 1
        return value

    def put(self, record: R) -> R:
        if self.watchers and isinstance(record, (Issue, Note)):
            old: object = (
                self.issues.get(record.id)
                if isinstance(record, Issue)
                else self.notes.get(record.id)
            )
            for watch in self.watchers:
                watch(old, record)
        self._index(record)
        if self._db is not None:
            self._db.put(_KIND_OF[type(record)], record)
        return record

    def delete_link(self, link: Link) -> None:
        self.links.pop(link.id, None)
        for issue_id in (link.source_id, link.target_id):
            ids = self._links_of.get(issue_id, [])
            if link.id in ids:
                ids.remove(link.id)
        if self._db is not None:
            self._db.delete("link", link.id)

    def delete_note(self, note: Note) -> None:
        self.notes.pop(note.id, None)
        ids = self._notes_of.get(note.issue_id, [])
        if note.id in ids:
            ids.remove(note.id)
        if self._db is not None:
            self._db.delete("note", note.id)

    def commit(self) -> None:
        if self._db is not None:
            self._db.commit()

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    @property
    def persistent(self) -> bool:
        return self._db is not None

    def _index(self, record: Record) -> None:
        kind = _KIND_OF[type(record)]
        self._next_id[kind] = max(self._next_id[kind], record.id + 1)
        if isinstance(record, User):
            self._index_user(record)
        elif isinstance(record, Project):
            self.projects[record.id] = record
            self._project_by_path[record.path.lower()] = record.id
        elif isinstance(record, Member):
            self.members[record.id] = record
            self._members_of.setdefault(record.project_id, {})[record.user_id] = record.id
        elif isinstance(record, Label):
            self._index_label(record)
        elif isinstance(record, Issue):
            self.issues[record.id] = record
            self._issues_of.setdefault(record.project_id, {})[record.iid] = record.id
            self._max_iid[record.project_id] = max(
                self._max_iid.get(record.project_id, 0), record.iid
            )
        else:
            self._index_event(record)

    def _index_user(self, user: User) -> None:
        old = self.users.get(user.id)
        if old is not None:
            self._user_by_name.pop(old.username.lower(), None)
            self._user_by_token.pop(old.token, None)
        self.users[user.id] = user
        self._user_by_name[user.username.lower()] = user.id
        self._user_by_token[user.token] = user.id

    def _index_label(self, label: Label) -> None:
        old = self.labels.get(label.id)
        names = self._labels_of.setdefault(label.project_id, {})
        if old is not None:
            names.pop(old.name, None)
        self.labels[label.id] = label
        names[label.name] = label.id

    def _index_event(self, record: Note | LabelEvent | StateEvent | Link) -> None:
        if isinstance(record, Note):
            if record.id not in self.notes:
                self._notes_of.setdefault(record.issue_id, []).append(record.id)
            self.notes[record.id] = record
        elif isinstance(record, LabelEvent):
            self.label_events[record.id] = record
            self._label_events_of.setdefault(record.issue_id, []).append(record.id)
        elif isinstance(record, StateEvent):
            self.state_events[record.id] = record
            self._state_events_of.setdefault(record.issue_id, []).append(record.id)
        else:
            if record.id not in self.links:
                self._links_of.setdefault(record.source_id, []).append(record.id)
                self._links_of.setdefault(record.target_id, []).append(record.id)
            self.links[record.id] = record

    # -- reading -----------------------------------------------------------

    def user_by_username(self, username: str) -> User | None:
        user_id = self._user_by_name.get(username.lower())
        return self.users[user_id] if user_id is not None else None

    def user_by_token(self, token: str) -> User | None:
        user_id = self._user_by_token.get(token)
        return self.users[user_id] if user_id is not None else None

    def project_by_ref(self, ref: str) -> Project | None:
        """A project by numeric id or full path (case-insensitive, as GitLab)."""
        if ref.isdigit():
            return self.projects.get(int(ref))
        project_id = self._project_by_path.get(ref.lower())
        return self.projects[project_id] if project_id is not None else None

    def member(self, project_id: int, user_id: int) -> Member | None:
        member_id = self._members_of.get(project_id, {}).get(user_id)
        return self.members[member_id] if member_id is not None else None

    def members_of(self, project_id: int) -> list[Member]:
        return [self.members[i] for i in self._members_of.get(project_id, {}).values()]

    def label_by_name(self, project_id: int, name: str) -> Label | None:
        label_id = self._labels_of.get(project_id, {}).get(name)
        return self.labels[label_id] if label_id is not None else None

    def labels_of(self, project_id: int) -> list[Label]:
        return [self.labels[i] for i in self._labels_of.get(project_id, {}).values()]

    def issue_by_iid(self, project_id: int, iid: int) -> Issue | None:
        issue_id = self._issues_of.get(project_id, {}).get(iid)
        return self.issues[issue_id] if issue_id is not None else None

    def issues_of(self, project_id: int) -> list[Issue]:
        issues = self.issues
        return [issues[i] for i in self._issues_of.get(project_id, {}).values()]

    def max_iid(self, project_id: int) -> int:
        return self._max_iid.get(project_id, 0)

    def notes_of(self, issue_id: int) -> list[Note]:
        return [self.notes[i] for i in self._notes_of.get(issue_id, [])]

    def label_events_of(self, issue_id: int) -> list[LabelEvent]:
        return [self.label_events[i] for i in self._label_events_of.get(issue_id, [])]

    def state_events_of(self, issue_id: int) -> list[StateEvent]:
        return [self.state_events[i] for i in self._state_events_of.get(issue_id, [])]

    def links_of(self, issue_id: int) -> list[Link]:
        return [self.links[i] for i in self._links_of.get(issue_id, [])]

    def user_notes_count(self, issue_id: int) -> int:
        notes = self.notes
        return sum(1 for i in self._notes_of.get(issue_id, []) if not notes[i].system)
