"""Issue links: POST and DELETE .../links (IssueLinks::CreateService) and the
system notes they leave on both issues."""

from __future__ import annotations

from automation.sandbox.params import ApiError, not_found
from automation.sandbox.store import Issue, Link, User
from automation.sandbox.system_notes import SystemNotes


class LinkRules(SystemNotes):
    """GitLab's issue-link rules over one store. Callers hold `store.lock`."""

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
