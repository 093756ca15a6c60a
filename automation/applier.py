"""Carries out a plan through the GitLab adapter.

Failures do not stop the run: each failed action is recorded and the rest go
on, so a second run finishes what the first could not. Actions on one issue
run in order; an action whose issue could not be created is skipped.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from automation import hidden
from automation.actions import (
    Action,
    Comment,
    CreateIssue,
    EditIssue,
    IssueRef,
    Plan,
    RewriteDescription,
    SetAssignees,
    Step,
    UpdateIssue,
)
from automation.api import GitLabApi
from automation.checklist import parse
from automation.connection import wait_seconds
from automation.errors import GitLabError, InputError, SalesbotError
from automation.marker import Marker
from automation.once import post_once
from automation.records import Issue, IssueChange, NewIssue, User

# Writes in flight at once. Each costs GitLab's round trip (30 ms and more), so
# 1,000 label changes take about 4 s at 8 and 8 s at 4; the throttle's
# RateLimit-Remaining still slows every worker down before a 429.
DEFAULT_WORKERS = 8


@dataclass(frozen=True)
class Outcome:
    step: Step
    error: str | None = None
    issue: Issue | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.ok]

    @property
    def created(self) -> list[Issue]:
        return [
            o.issue
            for o in self.outcomes
            if o.ok and o.issue is not None and isinstance(o.step.action, CreateIssue)
        ]

    def tally(self) -> dict[str, Counter[str]]:
        """Per workflow: opened, updated, nudged, closed, failed."""
        result: dict[str, Counter[str]] = {}
        for outcome in self.outcomes:
            counts = result.setdefault(outcome.step.workflow, Counter())
            counts[verb(outcome.step.action) if outcome.ok else "failed"] += 1
        return result

    def extend(self, other: Report) -> None:
        self.outcomes.extend(other.outcomes)


def verb(action: Action) -> str:
    """The word a run summary counts an action under."""
    if isinstance(action, CreateIssue):
        return "opened"
    if isinstance(action, UpdateIssue) and action.state_event == "close":
        return "closed"
    if isinstance(action, Comment) and action.close:
        return "closed"
    if isinstance(action, Comment) and action.reason.startswith("nudge"):
        return "nudged"
    return "updated"  # labels, due dates, links and other notes


class Applier:
    """Runs a plan's actions: creations first, then every issue's other actions
    in order. Issues are independent, so up to `workers` of them are written at
    once; each worker pauses when GitLab's `RateLimit-Remaining` runs low, so
    the run slows down before a 429 rather than after."""

    def __init__(
        self, api: GitLabApi, *, workers: int = DEFAULT_WORKERS, deadline: float | None = None
    ) -> None:
        self.api = api
        self.workers = max(1, workers)
        self.deadline = deadline  # time.monotonic() after which nothing new starts
        self._users: dict[str, User | None] = {}
        self._lock = threading.Lock()
        self._created: dict[Marker, Issue] = {}
        self._failed: set[Marker] = set()
        self._labels: set[str] | None = None  # the project's labels, read when first needed

    def apply(self, plan: Plan, *, on_outcome: Callable[[Outcome], None] | None = None) -> Report:
        steps = list(plan)
        outcomes: list[Outcome | None] = [None] * len(steps)
        creates = [[i] for i, s in enumerate(steps) if isinstance(s.action, CreateIssue)]
        groups: dict[IssueRef, list[int]] = {}
        for i, step in enumerate(steps):
            if not isinstance(step.action, CreateIssue):
                groups.setdefault(step.action.target, []).append(i)

        def run_group(indexes: list[int]) -> None:
            broken: set[str] = set()  # chains with a failed step: the rest is not tried
            for i in indexes:
                chain = steps[i].chain
                if chain is not None and chain in broken:
                    outcome = Outcome(steps[i], error=SKIPPED_IN_CHAIN)
                else:
                    outcome = self._run(steps[i])
                if chain is not None and not outcome.ok:
                    broken.add(chain)
                outcomes[i] = outcome
                if on_outcome is not None:
                    with self._lock:
                        on_outcome(outcome)

        for batch in (creates, list(groups.values())):
            if self.workers == 1 or len(batch) <= 1:
                for group in batch:
                    run_group(group)
            else:
                with ThreadPoolExecutor(max_workers=self.workers) as pool:
                    list(pool.map(run_group, batch))
        return Report([o for o in outcomes if o is not None])

    def _run(self, step: Step) -> Outcome:
        action = step.action
        if self.deadline is not None and time.monotonic() > self.deadline:
            return Outcome(step, error="not attempted: the run's deadline passed")
        pause = wait_seconds(self.api.stats)
        if pause:
            time.sleep(min(pause, 60.0))
        try:
            issue = self._do(action)
        except SalesbotError as exc:
            if isinstance(action, CreateIssue):
                self._failed.add(action.marker)
            return Outcome(step, error=str(exc))
        return Outcome(step, issue=issue)

    def _do(self, action: Action) -> Issue | None:
        if isinstance(action, CreateIssue):
            issue = self.api.open_issue(self._new_issue(action), marker=action.marker.render())
            self._created[action.marker] = issue
            return issue
        iid = self._iid(action.target)
        if isinstance(action, UpdateIssue):
            change = IssueChange(
                add_labels=action.add_labels,
                remove_labels=action.remove_labels,
                due_date=action.due_date,
                state_event=action.state_event,
            )
            return self.api.edit_issue(iid, change)
        if isinstance(action, SetAssignees):
            ids = tuple(self._user(u).id for u in action.assignees)
            return self.api.edit_issue(iid, IssueChange(assignee_ids=ids))
        if isinstance(action, EditIssue):
            return self._edit(iid, action)
        if isinstance(action, Comment):
            # GitLab's /label applies only labels that exist (unlike add_labels)
            self._ensure_labels(action.add_labels)
            # once, even when a webhook receiver decides the same at the same time
            post_once(self.api, iid, action.full_body())
            return None
        if isinstance(action, RewriteDescription):
            return self._rewrite(iid, action)
        self.api.link_issues(iid, self._iid(action.other))
        return None

    def _edit(self, iid: int, action: EditIssue) -> Issue:
        """Re-read right before writing: a person's tick made since the plan's
        read is kept (and nothing is written when the result is what GitLab has)."""
        fresh = self.api.get_issue(iid)
        body = action.description
        if not same_text(fresh.description, action.seen):
            body = keep_ticks(body, fresh.description, frozenset(action.release))
        due = action.due_date if action.due_date != fresh.due_date else None
        if same_text(body, fresh.description) and fresh.title == action.title and due is None:
            return fresh
        change = IssueChange(description=body, title=action.title, due_date=due)
        return self.api.edit_issue(iid, change)

    def _new_issue(self, action: CreateIssue) -> NewIssue:
        return NewIssue(
            title=action.title,
            description=action.description,
            labels=action.labels,
            assignee_ids=tuple(self._user(u).id for u in action.assignees),
            due_date=action.due_date,
            confidential=action.confidential,
        )

    def _rewrite(self, iid: int, action: RewriteDescription) -> Issue:
        # re-read right before writing: a box ticked since the plan's read survives
        from automation.upgrade import carry_ticks

        fresh = self.api.get_issue(iid)
        body = carry_ticks(action.seen, fresh.description, action.description)
        if body is None:
            raise GitLabError(
                f"#{iid} changed while salesbot planned its upgrade; nothing written, "
                "the next run upgrades it"
            )
        issue = self.api.edit_issue(iid, IssueChange(description=body))
        if action.note:
            self.api.create_note(iid, action.note)
        return issue

    def _ensure_labels(self, names: tuple[str, ...]) -> None:
        if not names:
            return
        with self._lock:
            if self._labels is None:
                self._labels = set(self.api.label_names())
            missing = [n for n in names if n not in self._labels]
            if missing:
                self.api.ensure_labels(missing)
                self._labels.update(missing)

    def _user(self, username: str) -> User:
        with self._lock:
            known = username in self._users
        if not known:
            found = self.api.find_user(username)
            with self._lock:
                self._users[username] = found
        user = self._users[username]
        if user is None:
            raise InputError(
                f"GitLab has no user '{username}' (a search for that username found nobody)"
            )
        return user

    def _created_issue(self, ref: IssueRef) -> Issue:
        assert ref.marker is not None
        if ref.marker in self._failed or ref.marker not in self._created:
            raise GitLabError(f"skipped: {ref} was not created")
        return self._created[ref.marker]

    def _iid(self, ref: IssueRef) -> int:
        return ref.iid if ref.iid is not None else self._created_issue(ref).iid


SKIPPED_IN_CHAIN = "not attempted: an earlier write of the same action failed"


def same_text(a: str, b: str) -> bool:
    """Equal once line endings and trailing blanks are normalised (GitLab keeps
    what it is sent, but a person's edit in the browser may send CRLF)."""

    def norm(text: str) -> str:
        return "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").split("\n")).strip()

    return norm(a) == norm(b)


def keep_ticks(body: str, fresh: str, release: frozenset[str]) -> str:
    """`body` with each keyed box ticked as it is in `fresh` (what a person
    left), except the `release`d keys, which stay unticked."""
    ticked = {item.key for item in parse(fresh).items if item.key and item.checked}
    lines = []
    for line in body.split("\n"):
        match = hidden.KEYED_BOX_LINE_RE.match(line)
        if match is not None:
            mark = "x" if match["key"] in ticked and match["key"] not in release else " "
            line = f"{match['head']}{mark}{match['tail']}"
        lines.append(line)
    return "\n".join(lines)
