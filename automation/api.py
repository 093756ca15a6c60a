"""The one adapter between salesbot and GitLab: the only module that imports `gitlab`.

Everything else works with the small frozen records of `automation.records`
(`Issue`, `Note`, `User`, `LabelEvent`, `NewIssue`, `IssueChange`), built and
translated to GitLab's REST fields only here and in `automation.rest_fields`,
so services are tested against the sandbox through this adapter and never
see python-gitlab objects. Every python-gitlab error becomes one of our own
(`automation.errors`) with a one-line message that names the host and what
to check, and never the token.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

import gitlab
import gitlab.exceptions
import requests

from automation import rest_fields
from automation.api_extras import HooksAndNotes
from automation.connection import (
    RequestStats,
    RequestTimedOut,
    Settings,
    answer_text,
    html_summary,
    http_error,
    looks_like_html,
)
from automation.errors import AuthError, GitLabError, InputError, NotGitLabError
from automation.records import Issue, IssueChange, LabelEvent, NewIssue, Note, User
from automation.rest_fields import COUNT_LIMIT, PAGE_SIZE, Page

__all__ = ["GitLabApi", "Settings"]

T = TypeVar("T")

# python-gitlab retries 429 and 5xx up to 10 times by default, backing off
# 0.1 * 2^n s: about 100 s per request against a GitLab that is down. A
# scheduled job should fail in seconds, not block its runner for hours.
DEFAULT_MAX_RETRIES = 5
# Pages of one listing requested at once (see `GitLabApi.iter_issues`).
LIST_WINDOW = 4


MAX_DESCRIPTION = 1_048_576  # GitLab's limit on issue descriptions (reference §4)


class GitLabApi(HooksAndNotes):
    """A project on one GitLab, seen through python-gitlab.

    Built once by the CLI (or a test, pointed at the sandbox) and passed into
    services; nothing else constructs it.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        max_retries: int = DEFAULT_MAX_RETRIES,
        timeout: float | None = None,
        deadline: float | None = None,
    ) -> None:
        self.settings = settings
        self.stats = RequestStats()
        self._max_retries = max_retries
        self._timeout = settings.timeout if timeout is None else timeout
        # time.monotonic() after which no request starts (SALESBOT_DEADLINE):
        # reads are bounded as well as writes.
        self.deadline = deadline
        self._gl = gitlab.Gitlab(
            settings.url,
            private_token=settings.token,
            retry_transient_errors=True,
            timeout=self._timeout,
            per_page=100,
        )
        self._send = self._gl.session.request
        self._gl.session.request = self._bounded_request  # type: ignore[method-assign,assignment]
        self._gl.session.hooks["response"].append(self.stats.record)
        self._gl.session.hooks["response"].append(self._refuse_web_page)
        # lazy: no request until the project is used, and a 404 then names it.
        self._project = self._gl.projects.get(settings.project, lazy=True)
        self._me: User | None = None
        # Each distinct user is looked up once per run.
        self._users: dict[str, User] = {}

    def _bounded_request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        """Every HTTP request: none starts after the deadline, none waits past
        it, and a timeout ends the call instead of being retried."""
        timeout = self._timeout
        if self.deadline is not None:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise GitLabError(
                    "the deadline (SALESBOT_DEADLINE) passed: stopped before asking "
                    f"{self.settings.host} for more; the next run carries on"
                )
            timeout = min(timeout, left)
        kwargs["timeout"] = timeout
        try:
            return self._send(method, url, **kwargs)
        except requests.Timeout:
            raise RequestTimedOut(f"no answer within {timeout:g} s") from None

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
        except RequestTimedOut as exc:
            raise GitLabError(
                f"GitLab at {self.settings.host} did not answer to {what} ({exc}): check "
                "GITLAB_URL and the network, or raise SALESBOT_REQUEST_TIMEOUT"
            ) from None
        except requests.RequestException as exc:
            reason = type(exc).__name__
            raise GitLabError(
                f"cannot reach GitLab at {self.settings.host} to {what} ({reason}): "
                "check GITLAB_URL and the network"
            ) from None

    def _http_error(self, what: str, exc: gitlab.exceptions.GitlabError) -> GitLabError:
        message = self._scrub(answer_text(exc.error_message))
        return http_error(self.settings, what, exc.response_code, exc.error_message, message)

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
            except RequestTimedOut:
                raise  # the total stays within one request timeout
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
                return rest_fields.user(data)

            self._me = self._call("read the current user", fetch)
        return self._me

    def find_user(self, username: str) -> User | None:
        """The user, or None; each username is looked up once per run (the
        adapter lives for one run), however many rows or steps name it."""
        if username in self._users:
            return self._users[username]

        def fetch() -> User | None:
            found = self._gl.users.list(username=username, **self._opts())
            return rest_fields.user(found[0].attributes) if found else None

        user = self._call(f"look up user '{username}'", fetch)
        # only users found are kept: one not found may be created meanwhile
        # (the demo creates its people), and an unknown user ends a run anyway
        if user is not None:
            self._users[username] = user
        return user

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
        dated: Callable[[str | None, float], None] | None = None,
    ) -> Iterator[Issue]:
        """Stream issues oldest first, 100 per request. `dated` is told the
        first page's `Date` header (GitLab's clock) and how long it took.

        Up to LIST_WINDOW pages are in flight at once and yielded in order: one
        page after another, 10,000 issues cost 100 round trips end to end. Only
        pages known to exist are requested ahead, so a listing costs exactly its
        pages: X-Total-Pages says where to stop up to 10,000 rows; past that GitLab
        drops the totals (doc: api/rest/#pagination "Other pagination headers",
        `Gitlab::Pagination::OffsetPagination` MAX_COUNT_LIMIT) yet still sends
        X-Page and X-Next-Page, so the first 10,000 rows' pages are fetched ahead
        and the rest one at a time, each page saying whether another follows."""
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
        first = self._issue_page(params, 1, dated)
        yield from map(rest_fields.issue, first.rows)
        if not first.more:
            return
        # Pages surely there: all of them when counted; past 10,000 rows the
        # counted part; with GitLab's headers stripped (a proxy), guess ahead.
        if first.total_pages is not None:
            sure = first.total_pages
        elif first.next_known:
            sure = COUNT_LIMIT // PAGE_SIZE + 1
        else:
            sure = None
        pending: deque[Future[Page]] = deque()
        following = 2
        more = True
        with ThreadPoolExecutor(LIST_WINDOW, thread_name_prefix="list-issues") as pool:
            try:
                while True:
                    while len(pending) < LIST_WINDOW and (
                        sure is None or following <= sure or (not pending and more)
                    ):
                        pending.append(pool.submit(self._issue_page, params, following))
                        following += 1
                    if not pending:
                        return
                    page = pending.popleft().result()
                    yield from map(rest_fields.issue, page.rows)
                    more = page.more
                    if not more:
                        return
            finally:
                for future in pending:
                    future.cancel()

    def _issue_page(
        self,
        params: Mapping[str, Any],
        number: int,
        dated: Callable[[str | None, float], None] | None = None,
    ) -> Page:
        """One page of a listing with what GitLab's headers say about the rest;
        `dated` hears GitLab's Date header and how long the answer took."""
        path = self._project.issues.path

        def fetch() -> requests.Response:
            response = self._gl.http_get(
                path, query_data={**params, "page": number}, raw=True, **self._opts()
            )
            assert isinstance(response, requests.Response)
            return response

        response = self._call("list issues", fetch)
        data = response.json()
        if not isinstance(data, list):
            raise GitLabError(f"GitLab at {self.settings.host} answered a list of issues oddly")
        if dated is not None:
            dated(response.headers.get("Date"), response.elapsed.total_seconds())
        return Page.of(data, response.headers)

    def get_issue(self, iid: int) -> Issue:
        issue = self._call(
            f"read issue #{iid}", lambda: self._project.issues.get(iid, **self._opts())
        )
        return rest_fields.issue(issue.attributes)

    def create_issue(self, fields: Mapping[str, Any], *, marker: str | None = None) -> Issue:
        """Create an issue. With `marker` (a line the description carries), a
        transient failure is followed by a look at the newest bot issues, so an
        issue GitLab committed before failing is found rather than created twice."""
        self._check_description(fields)
        data = dict(fields)

        def post() -> Issue:
            issue = self._project.issues.create(data, **self._opts(retry_transient=False))
            return rest_fields.issue(issue.attributes)

        def committed() -> Issue | None:
            if marker is None:
                return None
            newest = self._project.issues.list(
                order_by="created_at", sort="desc", per_page=100, get_all=False, **self._opts()
            )
            for item in newest:
                found = rest_fields.issue(item.attributes)
                if marker in found.description and found.author == self.me().username:
                    return found
            return None

        return self._call("create an issue", lambda: self._create_once("create", post, committed))

    def open_issue(self, new: NewIssue, *, marker: str | None = None) -> Issue:
        """Create `new` (see `create_issue` for `marker`)."""
        return self.create_issue(rest_fields.new_issue(new), marker=marker)

    def edit_issue(self, iid: int, change: IssueChange) -> Issue:
        """Apply `change` in one PUT."""
        return self.update_issue(iid, rest_fields.issue_change(change))

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
        return rest_fields.issue(data)

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
            yield rest_fields.note(item.attributes)

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
                found = rest_fields.note(note.attributes)
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
        return [rest_fields.label_event(e.attributes) for e in events]

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
