"""The one adapter between salesbot and GitLab: the only module that imports `gitlab`.

Everything else works with the small frozen records defined here (`Issue`,
`Note`, `User`, `LabelEvent`), so services are tested against the sandbox
through this adapter and never see python-gitlab objects. Every python-gitlab
error becomes one of our own (`automation.errors`) with a one-line message
that names the host and what to check, and never the token.
"""

from __future__ import annotations

import html
import os
import re
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar
from urllib.parse import urlsplit

import gitlab
import gitlab.exceptions
import requests

from automation.errors import AuthError, GitLabError, InputError, NotFoundError, NotGitLabError

T = TypeVar("T")

DEFAULT_URL = "https://gitlab.com"
# python-gitlab retries 429 and 5xx up to 10 times by default, backing off
# 0.1 * 2^n s: about 100 s per request against a GitLab that is down. A
# scheduled job should fail in seconds, not block its runner for hours.
DEFAULT_MAX_RETRIES = 5
DEFAULT_TIMEOUT = 30.0
PAGE_SIZE = 100  # GitLab's maximum per_page
# Pages of one listing requested at once (see `GitLabApi.iter_issues`).
LIST_WINDOW = 4
MAX_DESCRIPTION = 1_048_576  # GitLab's limit on issue descriptions (reference §4)
# GitLab's answer is quoted in error messages up to this length.
MAX_ANSWER = 300
_HTML_START = re.compile(rb"^\s*(<!doctype html|<html|<head|<body|<title|<h1|<center)", re.I)
_HTML_TITLE = re.compile(r"<(title|h1)[^>]*>(.*?)</\1\s*>", re.I | re.S)
_TAG = re.compile(r"<[^>]*>")


def looks_like_html(body: bytes | str, content_type: str = "") -> bool:
    """An HTML page rather than GitLab's JSON: by Content-Type, or by how the
    body starts (some proxies send their error pages as text/plain)."""
    if "html" in content_type.lower():
        return True
    head = body[:512].encode("utf-8", "replace") if isinstance(body, str) else body[:512]
    return _HTML_START.match(head) is not None


def html_summary(body: bytes | str) -> str:
    """An HTML page in a few words: its <title> (or first <h1>), e.g. `an HTML
    page titled '502 Bad Gateway'`, never the page itself."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    found = _HTML_TITLE.search(text)
    title = " ".join(html.unescape(_TAG.sub(" ", found[2])).split()) if found else ""
    return f"an HTML page titled '{title[:80]}'" if title else "an HTML page"


def answer_text(message: object) -> str:
    """GitLab's error message as one short line; an HTML body is summarised."""
    if isinstance(message, bytes | str) and looks_like_html(message):
        return html_summary(message)
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)
    text = " ".join(text.split())
    return text if len(text) <= MAX_ANSWER else f"{text[: MAX_ANSWER - 1]}…"


@dataclass(frozen=True)
class Settings:
    """Where GitLab is and who we are there. The token is never shown in repr."""

    url: str
    project: str
    token: str = field(repr=False)

    @property
    def host(self) -> str:
        return urlsplit(self.url).netloc or self.url

    @classmethod
    def from_env(
        cls,
        env: Mapping[str, str] | None = None,
        *,
        project: str | None = None,
        default_project: str | None = None,
    ) -> Settings:
        """Read GITLAB_URL (default CI_SERVER_URL, then gitlab.com), GITLAB_TOKEN and the
        project (argument, SALESBOT_PROJECT, CI_PROJECT_PATH, then the config's)."""
        env = os.environ if env is None else env
        url = env.get("GITLAB_URL") or env.get("CI_SERVER_URL") or DEFAULT_URL
        token = env.get("GITLAB_TOKEN", "").strip()
        if not token:
            raise InputError(
                "GITLAB_TOKEN is not set: create a token with the 'api' scope "
                "and export it as GITLAB_TOKEN"
            )
        chosen = (
            project or env.get("SALESBOT_PROJECT") or env.get("CI_PROJECT_PATH") or default_project
        )
        if not chosen:
            raise InputError(
                "no GitLab project: pass --project, set SALESBOT_PROJECT, "
                "or set gitlab.project in the config"
            )
        return cls(url=url.rstrip("/"), project=chosen, token=token)


@dataclass(frozen=True)
class User:
    id: int
    username: str
    name: str

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> User:
        return cls(id=int(data["id"]), username=str(data["username"]), name=str(data["name"]))


@dataclass(frozen=True)
class Issue:
    """What salesbot needs of an issue, straight from a list or get response."""

    iid: int
    project_id: int
    title: str
    description: str
    state: str
    labels: tuple[str, ...]
    assignees: tuple[str, ...]
    author: str
    due_date: date | None
    web_url: str
    reference: str
    created_at: str
    updated_at: str
    confidential: bool
    task_count: int
    task_completed: int
    # non-system notes, as the list response counts them; None when not sent
    user_notes_count: int | None = None

    @property
    def is_open(self) -> bool:
        return self.state == "opened"

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Issue:
        tasks = data.get("task_completion_status") or {}
        due = data.get("due_date")
        refs = data.get("references") or {}
        return cls(
            iid=int(data["iid"]),
            project_id=int(data["project_id"]),
            title=str(data.get("title") or ""),
            description=str(data.get("description") or ""),
            state=str(data.get("state") or "opened"),
            labels=tuple(sorted(data.get("labels") or ())),
            assignees=tuple(a["username"] for a in data.get("assignees") or ()),
            author=str((data.get("author") or {}).get("username", "")),
            due_date=date.fromisoformat(due) if due else None,
            web_url=str(data.get("web_url") or ""),
            reference=str(refs.get("full") or f"#{data['iid']}"),
            created_at=str(data.get("created_at") or ""),
            updated_at=str(data.get("updated_at") or ""),
            confidential=bool(data.get("confidential")),
            task_count=int(tasks.get("count", 0)),
            task_completed=int(tasks.get("completed_count", 0)),
            user_notes_count=_count(data.get("user_notes_count")),
        )


def _count(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@dataclass(frozen=True)
class Note:
    id: int
    body: str
    author: str
    system: bool
    created_at: str

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Note:
        return cls(
            id=int(data["id"]),
            body=str(data.get("body") or ""),
            author=str((data.get("author") or {}).get("username", "")),
            system=bool(data.get("system")),
            created_at=str(data.get("created_at") or ""),
        )


@dataclass(frozen=True)
class LabelEvent:
    label: str
    action: str  # "add" | "remove"
    user: str
    created_at: str

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LabelEvent:
        return cls(
            label=str((data.get("label") or {}).get("name", "")),
            action=str(data.get("action") or ""),
            user=str((data.get("user") or {}).get("username", "")),
            created_at=str(data.get("created_at") or ""),
        )


class RequestStats:
    """Counts every HTTP request python-gitlab sends (retries included), by kind,
    and remembers GitLab's last `RateLimit-Remaining` so writers can slow down
    before a 429 rather than after."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.by_method: Counter[str] = Counter()
        self.statuses: Counter[int] = Counter()
        self.rate_remaining: int | None = None
        self.rate_reset: float | None = None

    def record(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        with self._lock:
            self.by_method[response.request.method or "GET"] += 1
            self.statuses[response.status_code] += 1
            remaining = response.headers.get("RateLimit-Remaining")
            if remaining is not None and remaining.isdigit():
                self.rate_remaining = int(remaining)
                reset = response.headers.get("RateLimit-Reset", "")
                self.rate_reset = float(reset) if reset.isdigit() else None

    @property
    def total(self) -> int:
        return sum(self.by_method.values())

    @property
    def writes(self) -> int:
        return sum(n for method, n in self.by_method.items() if method not in ("GET", "HEAD"))


class GitLabApi:
    """A project on one GitLab, seen through python-gitlab.

    Built once by the CLI (or a test, pointed at the sandbox) and passed into
    services; nothing else constructs it.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        max_retries: int = DEFAULT_MAX_RETRIES,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.settings = settings
        self.stats = RequestStats()
        self._max_retries = max_retries
        self._gl = gitlab.Gitlab(
            settings.url,
            private_token=settings.token,
            retry_transient_errors=True,
            timeout=timeout,
            per_page=100,
        )
        self._gl.session.hooks["response"].append(self.stats.record)
        self._gl.session.hooks["response"].append(self._refuse_web_page)
        # lazy: no request until the project is used, and a 404 then names it.
        self._project = self._gl.projects.get(settings.project, lazy=True)
        self._me: User | None = None

    # -- error translation -------------------------------------------------

    def _refuse_web_page(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        """A successful answer that is an HTML page is not GitLab's API: a proxy,
        a VPN or single sign-on login page (often after a redirect), or a web
        server at the wrong address. python-gitlab would hand it back as a raw
        response (it parses only application/json), so stop at the boundary
        with one line rather than fail later on a shape we do not expect."""
        if response.status_code >= 300:
            return  # error statuses are python-gitlab's; `_http_error` words them
        if not looks_like_html(response.content, response.headers.get("Content-Type", "")):
            return
        raise NotGitLabError(
            f"{self.settings.url} answered {response.status_code} with "
            f"{html_summary(response.content)} instead of GitLab's API: check GITLAB_URL "
            "(it must be GitLab itself, e.g. https://gitlab.example.com, not a proxy's "
            "or a login page)"
        )

    def _call(self, what: str, fn: Callable[[], T]) -> T:
        """Run one python-gitlab call, turning its errors into ours."""
        try:
            return fn()
        except gitlab.exceptions.GitlabAuthenticationError:
            raise AuthError(
                f"GitLab at {self.settings.host} rejected the token (401) while trying to "
                f"{what}: check GITLAB_TOKEN (it needs the 'api' scope and must not be expired)"
            ) from None
        except gitlab.exceptions.GitlabError as exc:
            raise self._http_error(what, exc) from None
        except requests.RequestException as exc:
            reason = type(exc).__name__
            raise GitLabError(
                f"cannot reach GitLab at {self.settings.host} to {what} ({reason}): "
                "check GITLAB_URL and the network"
            ) from None

    def _http_error(self, what: str, exc: gitlab.exceptions.GitlabError) -> GitLabError:
        code = exc.response_code
        raw = exc.error_message
        message = self._scrub(answer_text(raw))
        if code and code >= 400 and isinstance(raw, bytes | str) and looks_like_html(raw):
            # a web server or proxy answered, not GitLab's API (which answers JSON)
            advice = (
                "GitLab, or a proxy in front of it, is failing: try again later "
                "and check GITLAB_URL"
                if code >= 500
                else "check GITLAB_URL (it must be GitLab itself, e.g. https://gitlab.example.com)"
            )
            return GitLabError(
                f"{self.settings.host} answered {code} with {message} to {what}: {advice}"
            )
        if code == 404 and "Project" in message:
            return NotFoundError(
                f"project '{self.settings.project}' was not found on {self.settings.host}, "
                "or the token has no access to it (check --project / SALESBOT_PROJECT)"
            )
        if code == 404:
            return NotFoundError(
                f"GitLab at {self.settings.host}: not found while trying to {what}"
            )
        if code == 403:
            return AuthError(
                f"GitLab at {self.settings.host} refused to {what} (403): the token's user "
                "needs at least Reporter access (Developer to write) and the 'api' scope"
            )
        status = f"{code}" if code else "an error"
        return GitLabError(f"GitLab at {self.settings.host} answered {status} to {what}: {message}")

    def _scrub(self, text: str) -> str:
        token = self.settings.token
        return text.replace(token, "***") if token else text

    def _opts(self, *, retry_transient: bool = True) -> dict[str, Any]:
        return {"max_retries": self._max_retries, "retry_transient_errors": retry_transient}

    def _create_once(
        self,
        what: str,
        post: Callable[[], T],
        committed: Callable[[], T | None],
    ) -> T:
        """POST without python-gitlab's blind retry, which would create twice when
        GitLab committed the request and then answered 502 (a proxy timeout). On a
        transient failure, look for what we posted before trying again."""
        delay = 0.2
        for attempt in range(self._max_retries + 1):
            try:
                return post()
            except gitlab.exceptions.GitlabError as exc:
                code = exc.response_code or 0
                if not (code >= 500 or code == 0) or attempt == self._max_retries:
                    raise
            except requests.RequestException:
                if attempt == self._max_retries:
                    raise
            found = committed()
            if found is not None:
                return found
            time.sleep(delay)
            delay = min(delay * 2, 5.0)
        raise AssertionError("unreachable")  # pragma: no cover

    # -- users -------------------------------------------------------------

    def me(self) -> User:
        """The token's own user (the bot); cached for the run."""
        if self._me is None:

            def fetch() -> User:
                data = self._gl.http_get("/user", **self._opts())
                if not isinstance(data, dict):
                    raise NotGitLabError(
                        f"{self.settings.url} did not answer /api/v4/user with GitLab's JSON: "
                        "check GITLAB_URL"
                    )
                return User.from_json(data)

            self._me = self._call("read the current user", fetch)
        return self._me

    def find_user(self, username: str) -> User | None:
        def fetch() -> User | None:
            found = self._gl.users.list(username=username, **self._opts())
            return User.from_json(found[0].attributes) if found else None

        return self._call(f"look up user '{username}'", fetch)

    def member_usernames(self) -> set[str]:
        """The project's members' usernames, inherited ones included (one
        request per 100), so a roster is checked without one lookup per person."""
        members = self._call(
            "list project members",
            lambda: self._project.members_all.list(get_all=True, per_page=100, **self._opts()),
        )
        return {str(m.attributes["username"]) for m in members}

    # -- issues ------------------------------------------------------------

    def iter_issues(
        self,
        *,
        labels: Sequence[str] = (),
        state: str = "opened",
        updated_after: str | None = None,
    ) -> Iterator[Issue]:
        """Stream issues oldest first, 100 per request.

        Up to LIST_WINDOW pages are in flight at once and yielded in order: one
        page after another, 10,000 issues cost 100 round trips end to end. GitLab's
        X-Total-Pages (sent up to 10,000 rows) says where to stop; beyond that a
        short page does, at the cost of at most LIST_WINDOW - 1 requests past the end."""
        params: dict[str, Any] = {
            "state": state,
            "order_by": "created_at",
            "sort": "asc",
            "per_page": PAGE_SIZE,
        }
        if labels:
            params["labels"] = ",".join(labels)
        if updated_after:
            params["updated_after"] = updated_after
        first, last = self._issue_page(params, 1)
        yield from map(Issue.from_json, first)
        if len(first) < PAGE_SIZE or last == 1:
            return
        pending: deque[Future[tuple[list[dict[str, Any]], int | None]]] = deque()
        following = 2
        with ThreadPoolExecutor(LIST_WINDOW, thread_name_prefix="list-issues") as pool:
            try:
                while True:
                    while len(pending) < LIST_WINDOW and (last is None or following <= last):
                        pending.append(pool.submit(self._issue_page, params, following))
                        following += 1
                    if not pending:
                        return
                    page, _ = pending.popleft().result()
                    yield from map(Issue.from_json, page)
                    if len(page) < PAGE_SIZE:
                        return
            finally:
                for future in pending:
                    future.cancel()

    def _issue_page(
        self, params: Mapping[str, Any], page: int
    ) -> tuple[list[dict[str, Any]], int | None]:
        """One page of a listing and GitLab's X-Total-Pages (None when not sent)."""
        path = self._project.issues.path

        def fetch() -> requests.Response:
            response = self._gl.http_get(
                path, query_data={**params, "page": page}, raw=True, **self._opts()
            )
            assert isinstance(response, requests.Response)
            return response

        response = self._call("list issues", fetch)
        data = response.json()
        if not isinstance(data, list):
            raise GitLabError(f"GitLab at {self.settings.host} answered a list of issues oddly")
        total = response.headers.get("X-Total-Pages", "")
        return data, int(total) if total.isdigit() else None

    def get_issue(self, iid: int) -> Issue:
        issue = self._call(
            f"read issue #{iid}", lambda: self._project.issues.get(iid, **self._opts())
        )
        return Issue.from_json(issue.attributes)

    def create_issue(self, fields: Mapping[str, Any], *, marker: str | None = None) -> Issue:
        """Create an issue. With `marker` (a line the description carries), a
        transient failure is followed by a look at the newest bot issues, so an
        issue GitLab committed before failing is found rather than created twice."""
        self._check_description(fields)
        data = dict(fields)

        def post() -> Issue:
            issue = self._project.issues.create(data, **self._opts(retry_transient=False))
            return Issue.from_json(issue.attributes)

        def committed() -> Issue | None:
            if marker is None:
                return None
            newest = self._project.issues.list(
                order_by="created_at", sort="desc", per_page=100, get_all=False, **self._opts()
            )
            for item in newest:
                found = Issue.from_json(item.attributes)
                if marker in found.description and found.author == self.me().username:
                    return found
            return None

        return self._call("create an issue", lambda: self._create_once("create", post, committed))

    def update_issue(self, iid: int, fields: Mapping[str, Any]) -> Issue:
        """PUT only the given fields. Labels go as add_labels/remove_labels, never
        `labels=`: a full rewrite would undo a person's concurrent edit (reference §4)."""
        if "labels" in fields:
            raise ValueError("use add_labels/remove_labels, never labels=")
        self._check_description(fields)
        data = self._call(
            f"update issue #{iid}",
            lambda: self._project.issues.update(iid, dict(fields), **self._opts()),
        )
        return Issue.from_json(data)

    def _check_description(self, fields: Mapping[str, Any]) -> None:
        description = fields.get("description")
        if isinstance(description, str) and len(description) > MAX_DESCRIPTION:
            raise InputError(
                f"issue description is {len(description):,} characters; "
                f"GitLab accepts at most {MAX_DESCRIPTION:,}"
            )

    # -- notes, links, events ----------------------------------------------

    def iter_notes(self, iid: int) -> Iterator[Note]:
        """Notes of an issue, oldest first, system notes included."""
        lazy = self._project.issues.get(iid, lazy=True)
        notes = self._call(
            f"list notes of issue #{iid}",
            lambda: lazy.notes.list(
                iterator=True, per_page=100, sort="asc", order_by="created_at", **self._opts()
            ),
        )
        iterator = iter(notes)
        while True:
            item = self._call(f"list notes of issue #{iid}", lambda: next(iterator, None))
            if item is None:
                return
            yield Note.from_json(item.attributes)

    def create_note(self, iid: int, body: str) -> None:
        """Comment once: after a transient failure, the newest notes are checked
        for this body before posting again (quick-action lines are stripped from
        a stored note, so the comparison is on the text before them)."""
        lazy = self._project.issues.get(iid, lazy=True)
        text = body.split("\n/", 1)[0].strip()

        def post() -> None:
            lazy.notes.create({"body": body}, **self._opts(retry_transient=False))

        def committed() -> bool | None:
            newest = lazy.notes.list(
                sort="desc", order_by="created_at", per_page=20, get_all=False, **self._opts()
            )
            me = self.me().username
            for note in newest:
                found = Note.from_json(note.attributes)
                if found.author == me and found.body.strip() == text:
                    return True
            return None

        self._call(f"comment on issue #{iid}", lambda: self._create_once("note", post, committed))

    def link_issues(self, iid: int, target_iid: int) -> None:
        """Relate two issues of this project (GitLab accepts the project's path
        as `target_project_id`)."""
        lazy = self._project.issues.get(iid, lazy=True)

        def link() -> None:
            try:
                lazy.links.create(
                    {"target_project_id": self.settings.project, "target_issue_iid": target_iid},
                    **self._opts(),
                )
            except gitlab.exceptions.GitlabCreateError as exc:
                # GitLab answers 409 when the link exists: the goal is reached.
                if exc.response_code != 409:
                    raise

        self._call(f"link issue #{iid} to #{target_iid}", link)

    def linked_iids(self, iid: int) -> set[int]:
        """The iids of the issues this one is linked to (this project's only)."""
        lazy = self._project.issues.get(iid, lazy=True)
        links = self._call(
            f"read links of issue #{iid}",
            lambda: lazy.links.list(get_all=True, per_page=100, **self._opts()),
        )
        return {int(link.attributes["iid"]) for link in links}

    def label_events(self, iid: int) -> list[LabelEvent]:
        lazy = self._project.issues.get(iid, lazy=True)
        events = self._call(
            f"read label history of issue #{iid}",
            lambda: lazy.resourcelabelevents.list(get_all=True, per_page=100, **self._opts()),
        )
        return [LabelEvent.from_json(e.attributes) for e in events]

    def label_names(self) -> list[str]:
        labels = self._call(
            "list labels",
            lambda: self._project.labels.list(get_all=True, per_page=100, **self._opts()),
        )
        return [label.name for label in labels]

    def ensure_labels(self, names: Sequence[str], colors: Mapping[str, str] | None = None) -> int:
        """Create the labels that do not exist yet; returns how many were created."""
        colors = colors or {}
        existing = set(self.label_names())
        created = 0
        for name in names:
            if name not in existing:
                self._create_label(name, colors.get(name, "#6699cc"))
                created += 1
        return created

    def _create_label(self, name: str, color: str) -> None:
        def create() -> None:
            try:
                self._project.labels.create({"name": name, "color": color}, **self._opts())
            except gitlab.exceptions.GitlabCreateError as exc:
                # 409: someone created it since we listed; that is what we wanted.
                if exc.response_code != 409:
                    raise

        self._call(f"create label '{name}'", create)

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
        return [Note.from_json(n.attributes) for n in notes]

    def delete_note(self, iid: int, note_id: int) -> None:
        lazy = self._project.issues.get(iid, lazy=True)
        self._call(
            f"delete note {note_id} of issue #{iid}",
            lambda: lazy.notes.delete(note_id, **self._opts()),
        )


def wait_seconds(stats: RequestStats, *, floor: int = 10) -> float:
    """How long a writer should pause before its next request so it slows down
    before GitLab answers 429: zero while more than `floor` requests remain in
    the window, else the time until the window resets."""
    if stats.rate_remaining is None or stats.rate_remaining > floor:
        return 0.0
    if stats.rate_reset is None:
        return 1.0
    return max(0.0, stats.rate_reset - time.time())
