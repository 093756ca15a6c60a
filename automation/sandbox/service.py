"""What GitLab does on a write, assembled: `Service` is one object over the
store with every write rule the routes call.

Each public method takes already-authorised records (the project the actor may
see, the issue in it) and raw request parameters, validates them as Grape and
the Rails models would, and answers with records or raises `ApiError` carrying
GitLab's status and body (reference §7). The rules live by domain, each citing
GitLab's source: `access` (who sees what), `labels`, `issues` (quick actions in
descriptions included), `notes`, `links`, and `system_notes` (the history a
change leaves: system notes and resource events).
"""

from __future__ import annotations

from automation.sandbox.links import LinkRules
from automation.sandbox.notes import NoteRules
from automation.sandbox.params import ApiError
from automation.sandbox.system_notes import ChecklistNotes


class Service(NoteRules, LinkRules):
    """GitLab's write paths over one store. Callers hold `store.lock`."""


__all__ = ["ApiError", "ChecklistNotes", "Service"]
