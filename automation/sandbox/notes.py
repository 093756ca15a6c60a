"""Notes: comments (quick actions in them included), editing and deleting
them, and who took part in an issue."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Any

from markdown_it import MarkdownIt

from automation.sandbox.issues import IssueRules
from automation.sandbox.params import ApiError, missing, to_bool
from automation.sandbox.quick_actions import Interpretation, extract, interpret
from automation.sandbox.store import MAINTAINER, Issue, Note, Project, User

MAX_NOTE = 1_000_000


class NoteRules(IssueRules):
    """GitLab's note write paths over one store. Callers hold `store.lock`."""

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
