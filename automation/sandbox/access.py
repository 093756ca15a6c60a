"""What every write rule starts from: the store, the tier, the clock, and who
may see which project (a private project answers 404 to anyone else)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from automation.sandbox.params import not_found
from automation.sandbox.store import Issue, Project, Store, User, format_time


class Access:
    """The state a rule reads. Callers hold `store.lock`."""

    def __init__(
        self,
        store: Store,
        *,
        premium: Callable[[], bool],
        clock: Callable[[], datetime],
    ) -> None:
        self.store = store
        self._premium = premium
        self._clock = clock

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

    def _now(self) -> str:
        return format_time(self._clock())
