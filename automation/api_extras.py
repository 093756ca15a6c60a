"""The adapter's calls for the webhook receiver: project hooks (`salesbot
webhook install/status`) and notes written once by concurrent writers
(`automation.once`). Mixed into `automation.api.GitLabApi`, which supplies
`_project`, `_call` and `_opts`; kept apart so the adapter stays small.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from automation import rest_fields
from automation.records import Note

T = TypeVar("T")


class HooksAndNotes:
    if TYPE_CHECKING:
        _project: Any

        def _call(self, what: str, fn: Callable[[], T]) -> T: ...

        def _opts(self, *, retry_transient: bool = True) -> dict[str, Any]: ...

    # -- project hooks (`salesbot webhook install/status`) ----------------------
    # Plain dicts: automation.receiver.install reads them. GitLab needs the
    # Maintainer role for these (`authorize_admin_project`, lib/api/project_hooks.rb)
    # and never returns a hook's secret token.

    def list_hooks(self) -> list[dict[str, Any]]:
        hooks = self._call(
            "list the project's webhooks",
            lambda: self._project.hooks.list(get_all=True, per_page=100, **self._opts()),
        )
        return [dict(hook.attributes) for hook in hooks]

    def create_hook(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        hook = self._call(
            "add a project webhook",
            lambda: self._project.hooks.create(dict(fields), **self._opts(retry_transient=False)),
        )
        return dict(hook.attributes)

    def update_hook(self, hook_id: int, fields: Mapping[str, Any]) -> dict[str, Any]:
        data = self._call(
            f"update project webhook {hook_id}",
            lambda: self._project.hooks.update(hook_id, dict(fields), **self._opts()),
        )
        return dict(data)

    # -- notes written once by concurrent writers (automation.once) ------------

    def newest_notes(self, iid: int, count: int = 100) -> list[Note]:
        """The issue's newest notes (one request), newest first."""
        lazy = self._project.issues.get(iid, lazy=True)
        notes = self._call(
            f"list notes of issue #{iid}",
            lambda: lazy.notes.list(
                sort="desc", order_by="created_at", per_page=count, get_all=False, **self._opts()
            ),
        )
        return [rest_fields.note(n.attributes) for n in notes]

    def delete_note(self, iid: int, note_id: int) -> None:
        lazy = self._project.issues.get(iid, lazy=True)
        self._call(
            f"delete note {note_id} of issue #{iid}",
            lambda: lazy.notes.delete(note_id, **self._opts()),
        )
