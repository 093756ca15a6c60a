"""What a change leaves in an issue's history: system notes and resource events.

Label and state changes are resource events, not notes (GitLab 13.x+; the
Notes API docs say so). Title, description (or ticked checklist items), due
date, assignee, confidentiality and lock changes are system notes
(Issuable::CommonSystemNotesService).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Literal

from automation.sandbox import markdown
from automation.sandbox.access import Access
from automation.sandbox.store import Issue, LabelEvent, Note, StateEvent, Store, User

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


class SystemNotes(Access):
    """Records the notes and events of one create/update. Callers hold `store.lock`."""

    def __init__(
        self,
        store: Store,
        *,
        premium: Callable[[], bool],
        clock: Callable[[], datetime],
        checklist_notes: Callable[[], ChecklistNotes] = lambda: "escaped",
    ) -> None:
        super().__init__(store, premium=premium, clock=clock)
        self._checklist_notes = checklist_notes

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
