"""The sandbox sends webhooks: Issue Hook and Note Hook (and their
confidential variants) to the project's hooks, as GitLab does.

The store reports every issue and note it saves (`watch`); when the request
that made them is done, `flush` turns them into deliveries (built by
`hook_payloads`) for every hook that wants the event, and a background thread
POSTs them in order, as GitLab's `WebHookWorker` does from Sidekiq.

GitLab's behaviour kept here:
- no Note Hook for a system note, and no Issue Hook when a comment only
  touched the issue's `updated_at` (Notes::PostProcessService skips system
  notes; a touch is no issue update);
- a failed delivery (no answer, or not 2xx) is retried with the same
  Idempotency-Key and event UUID (GitLab 17.4+,
  doc/user/project/integrations/webhooks.md "Delivery headers");
- `WebHooks::AutoDisabling` (GitLab 17.x): after 4 failures in a row a hook is
  `temporarily_disabled` until `disabled_until`, backing off from 1 minute,
  doubling, at most a day; after 40 it is `disabled` for good; a success
  resets it. Disabled hooks are skipped.
"""

from __future__ import annotations

import queue
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from automation.sandbox.hook_payloads import Delivery, Instance, issue_event, note_event
from automation.sandbox.hooks import Hook, table
from automation.sandbox.render import Renderer
from automation.sandbox.store import MAINTAINER, Issue, Note, Store, User, format_time

TEMPORARY_AFTER = 4  # failures in a row before a hook is temporarily disabled
PERMANENT_AFTER = 40  # ... and before it is disabled for good
TIMEOUT = 10.0  # seconds: GitLab's default webhook timeout
_MAX_BACKOFF = timedelta(days=1)
_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


@dataclass(frozen=True)
class _Job:
    hook_id: int
    delivery: Delivery


@dataclass
class _Health:
    failures: int = 0
    backoff: int = 0


class HookSender:
    """Deliveries of one sandbox. `watch` and `flush` run under the store's lock."""

    def __init__(
        self,
        store: Store,
        renderer: Callable[[], Renderer],
        *,
        retry_delays: tuple[float, ...] = (0.2, 1.0, 3.0),
    ) -> None:
        self._store = store
        self._renderer = renderer
        self.retry_delays = retry_delays
        self._issues: dict[int, tuple[Issue | None, Issue]] = {}
        self._notes: list[Note] = []
        self._queue: queue.Queue[_Job | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._uuids: dict[int, str] = {}
        self._health: dict[int, _Health] = {}
        self._stopping = threading.Event()
        self.sent: list[tuple[int, str, int]] = []  # (hook id, event, HTTP status or 0)
        store.watchers.append(self.watch)

    def watch(self, old: object, new: object) -> None:
        if not table(self._store).hooks:
            return
        if isinstance(new, Issue):
            first = self._issues.get(new.id)
            before = old if isinstance(old, Issue) else None
            self._issues[new.id] = (first[0] if first else before, new)
        elif isinstance(new, Note) and old is None and not new.system:
            self._notes.append(new)

    def flush(self, actor: User | None) -> None:
        """Queue the deliveries for what the finished request changed."""
        issues, notes = self._issues, self._notes
        self._issues, self._notes = {}, []
        if not issues and not notes:
            return
        render = self._renderer()
        for old, new in issues.values():
            if old is not None and _touch_only(old, new):
                continue
            who = actor or self._store.users[new.author_id]
            self._issue(render, old, new, who)
        for note in notes:
            issue = self._store.issues[note.issue_id]
            self._note(render, note, issue, actor or self._store.users[note.author_id])

    def _hooks(self, project_id: int, event: str) -> list[Hook]:
        return [h for h in table(self._store).of(project_id) if h.wants(event)]

    def _instance(self, render: Renderer, hook: Hook) -> Instance:
        uuid = self._uuids.setdefault(hook.id, Instance("", None).webhook_uuid)
        return Instance(render.base_url, hook.token, uuid)

    def _issue(self, render: Renderer, old: Issue | None, new: Issue, actor: User) -> None:
        event = "confidential_issues_events" if new.confidential else "issues_events"
        hooks = self._hooks(new.project_id, event)
        if not hooks:
            return
        project = render.project(self._store.projects[new.project_id], MAINTAINER)
        action = "open" if old is None else "update"
        if old is not None and old.state != new.state:
            action = "close" if new.state == "closed" else "reopen"
        body = render.issue(new, single=True)
        before = render.issue(old, single=True) if old is not None else None
        user = render.user(actor) or {}
        for hook in hooks:
            delivery = issue_event(
                body,
                user=user,
                project=project,
                instance=self._instance(render, hook),
                action=action,
                previous=before,
            )
            self._put(_Job(hook.id, delivery))

    def _note(self, render: Renderer, note: Note, issue: Issue, actor: User) -> None:
        confidential = issue.confidential or note.internal
        hooks = self._hooks(
            issue.project_id, f"{'confidential_' if confidential else ''}note_events"
        )
        if not hooks:
            return
        project = render.project(self._store.projects[issue.project_id], MAINTAINER)
        body = render.issue(issue, single=True)
        user = render.user(actor) or {}
        for hook in hooks:
            delivery = note_event(
                render.note(note),
                body,
                user=user,
                project=project,
                instance=self._instance(render, hook),
            )
            self._put(_Job(hook.id, delivery))

    # -- sending -------------------------------------------------------------

    def _put(self, job: _Job) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="sandbox-hooks", daemon=True)
            self._thread.start()
        self._queue.put(job)

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=5)

    def idle(self, timeout: float = 10.0) -> bool:
        """Wait until every queued delivery is done (for tests and benchmarks)."""
        done = threading.Event()

        def wait() -> None:
            self._queue.join()
            done.set()

        threading.Thread(target=wait, daemon=True).start()
        return done.wait(timeout)

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            try:
                if job is None:
                    return
                self._deliver(job)
            finally:
                self._queue.task_done()

    def _deliver(self, job: _Job) -> None:
        delivery = job.delivery
        for attempt in range(len(self.retry_delays) + 1):
            if self._stopping.is_set():
                return
            with self._store.lock:
                hook = table(self._store).hooks.get(job.hook_id)
                if hook is None or not _executable(hook) or not _local(hook.url):
                    return
            status = _post(hook.url, delivery)
            self.sent.append((hook.id, delivery.headers["X-Gitlab-Event"], status))
            ok = 200 <= status < 300
            self._record(hook.id, ok)
            if ok:
                return
            if attempt < len(self.retry_delays):
                self._stopping.wait(self.retry_delays[attempt])
                delivery = delivery.retried()

    def _record(self, hook_id: int, ok: bool) -> None:
        with self._store.lock:
            hooks = table(self._store)
            hook = hooks.hooks.get(hook_id)
            if hook is None:
                return
            health = self._health.setdefault(hook_id, _Health())
            if ok:
                self._health[hook_id] = _Health()
                hooks.hooks[hook_id] = replace(hook, alert_status="executable", disabled_until=None)
                return
            health.failures += 1
            if health.failures >= PERMANENT_AFTER:
                hooks.disable(hook_id, None)
            elif health.failures >= TEMPORARY_AFTER:
                wait = min(timedelta(minutes=2**health.backoff), _MAX_BACKOFF)
                health.backoff += 1
                hooks.disable(hook_id, format_time(datetime.now(UTC) + wait))


def _executable(hook: Hook) -> bool:
    if hook.alert_status == "disabled":
        return False
    if hook.alert_status == "temporarily_disabled" and hook.disabled_until:
        until = datetime.fromisoformat(hook.disabled_until.replace("Z", "+00:00"))
        return datetime.now(UTC) >= until
    return True


def _local(url: str) -> bool:
    """The sandbox delivers only to this machine: a hook registered for a real
    host (tests register `https://salesbot.example.com/...`) is kept, shown
    and never called. (GitLab does the opposite by default: it refuses local
    addresses, "Allow requests to the local network from webhooks".)"""
    return urlsplit(url).hostname in _LOOPBACK


def _touch_only(old: Issue, new: Issue) -> bool:
    return replace(old, updated_at=new.updated_at) == new


def _post(url: str, delivery: Delivery) -> int:
    request = urllib.request.Request(url, data=delivery.body, method="POST")
    for name, value in delivery.headers.items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except (OSError, ValueError):
        return 0


__all__ = ["HookSender"]
