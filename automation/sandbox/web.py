"""The sandbox's web pages: what a person opens from a link the bot prints.

GitLab answers an issue's `web_url` (`/<project>/-/issues/<iid>`) and the
project's issue list (`/<project>/-/issues`) with HTML pages; so does the
sandbox, from autoescaped Jinja templates shipped in the package. The issue
page shows the rendered description (comrak, as `automation.checklist`
renders it for GitLab's task lists: raw HTML is omitted), labels, assignees
and notes, and lets the signed-in person tick and untick boxes as GitLab's UI
does (`web_tasks`): the description is updated through the same write rules as
the API, so the checklist system note credits that person and the project's
hooks are sent. Signing in is by username alone (a cookie): this is a sandbox.

Like GitLab's `realtime_changes` endpoint, which the issue page polls,
`/-/issues/<iid>/realtime_changes` answers the issue's `updated_at` and state,
so an open page reloads when the bot changes the issue.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, unquote

from jinja2 import PackageLoader, StrictUndefined, select_autoescape
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup
from werkzeug.wrappers import Request, Response

from automation.checklist import render_html
from automation.sandbox.hook_sender import HookSender
from automation.sandbox.markdown import summarize
from automation.sandbox.params import ApiError
from automation.sandbox.render import Renderer, text_color
from automation.sandbox.service import Service
from automation.sandbox.store import Issue, Project, Store, User
from automation.sandbox.web_tasks import StaleLine, enable_boxes, toggle

COOKIE = "sandbox_user"
_ENV = ImmutableSandboxedEnvironment(
    loader=PackageLoader("automation.sandbox", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,
)


def is_web(path: str) -> bool:
    """Paths the pages answer: everything outside the REST API."""
    return not path.startswith("/api/")


class WebPages:
    def __init__(
        self,
        *,
        store: Store,
        service: Service,
        renderer: Callable[[], Renderer],
        sender: HookSender,
        project_path: Callable[[], str],
    ) -> None:
        self._store = store
        self._service = service
        self._renderer = renderer
        self._sender = sender
        self._project_path = project_path
        self._key = secrets.token_bytes(16)

    def __call__(self, request: Request, path: str) -> Response:
        parts = [unquote(p) for p in path.strip("/").split("/") if p]
        with self._store.lock:
            user = self._signed_in(request)
            try:
                return self._route(request, parts, user)
            except ApiError as error:
                if error.status == 404 and user is None:
                    return self._page("sign_in.html", 401, user=None, next=path, project=None)
                return self._page("error.html", error.status, user=user, status=error.status)
            finally:
                self._store.commit()

    def _route(self, request: Request, parts: list[str], user: User | None) -> Response:
        method = request.method.upper()
        if parts == ["-", "sign_in"] and method == "POST":
            return self._sign_in(request)
        if parts == ["-", "sign_out"] and method == "POST":
            response = _redirect(str(request.form.get("next") or "/"))
            response.delete_cookie(COOKIE)
            return response
        if not parts:
            return _redirect(f"/{self._project_path()}/-/issues")
        if "-" not in parts:
            if self._store.project_by_ref("/".join(parts)) is not None:
                return _redirect(f"/{'/'.join(parts)}/-/issues")
            raise ApiError(404, {})
        dash = parts.index("-")
        project = self._service.find_project("/".join(parts[:dash]), user)
        rest = parts[dash + 1 :]
        if rest == ["issues"] and method in ("GET", "HEAD"):
            return self._list(request, project, user)
        if len(rest) >= 2 and rest[0] == "issues":
            issue = self._service.find_issue(project, rest[1])
            tail = rest[2:]
            if not tail and method in ("GET", "HEAD"):
                return self._issue(project, issue, user)
            if tail == ["realtime_changes"] and method == "GET":
                body = {"updated_at": issue.updated_at, "state": issue.state}
                return Response(json.dumps(body), 200, content_type="application/json")
            if tail == ["toggle_task"] and method == "POST":
                return self._toggle(request, project, issue, user)
        raise ApiError(404, {})

    # -- people ---------------------------------------------------------------

    def _signed_in(self, request: Request) -> User | None:
        name = request.cookies.get(COOKIE)
        return self._store.user_by_username(name) if name else None

    def _csrf(self, user: User | None) -> str:
        name = user.username if user else ""
        return hmac.new(self._key, name.encode(), hashlib.sha256).hexdigest()

    def _sign_in(self, request: Request) -> Response:
        username = str(request.form.get("username") or "").strip().lstrip("@")
        target = str(request.form.get("next") or "/")
        user = self._store.user_by_username(username)
        if user is None:
            return self._page(
                "sign_in.html", 401, user=None, next=target, project=None, unknown=username
            )
        response = _redirect(target)
        response.set_cookie(COOKIE, user.username, httponly=True, samesite="Lax")
        return response

    # -- pages ----------------------------------------------------------------

    def _list(self, request: Request, project: Project, user: User | None) -> Response:
        state = request.args.get("state", "opened")
        render = self._renderer()
        issues = [
            render.issue_basic(i)
            for i in sorted(self._store.issues_of(project.id), key=lambda i: -i.iid)
            if state == "all" or i.state == state
        ]
        return self._page(
            "issues.html",
            200,
            user=user,
            project=project,
            issues=issues,
            state=state,
            colors=self._colors(project),
        )

    def _issue(self, project: Project, issue: Issue, user: User | None) -> Response:
        render = self._renderer()
        data = render.issue(issue, single=True)
        html = enable_boxes(render_html(issue.description or ""), issue.description)
        notes = [
            {**render.note(n), "html": Markup(render_html(n.body))}
            for n in self._store.notes_of(issue.id)
            if not n.internal or user is not None
        ]
        return self._page(
            "issue.html",
            200,
            user=user,
            project=project,
            issue=data,
            description=Markup(html),
            notes=notes,
            tasks=summarize(issue.description).status,
            colors=self._colors(project),
            toggle_url=f"/{project.path}/-/issues/{issue.iid}/toggle_task",
            poll_url=f"/{project.path}/-/issues/{issue.iid}/realtime_changes",
            csrf=self._csrf(user),
        )

    def _toggle(
        self, request: Request, project: Project, issue: Issue, user: User | None
    ) -> Response:
        if user is None:
            return _json(401, {"message": "Sign in to tick boxes"})
        if not hmac.compare_digest(str(request.form.get("csrf") or ""), self._csrf(user)):
            return _json(422, {"message": "Invalid authenticity token"})
        if self._service.access_level(project, user) < 20:  # Reporter may update issues
            return _json(403, {"message": "403 Forbidden"})
        try:
            line = int(str(request.form.get("line") or "0"))
            checked = str(request.form.get("checked") or "") in ("1", "true", "on")
            description = toggle(
                issue.description or "", line, str(request.form.get("source") or ""), checked
            )
        except (ValueError, StaleLine):
            return _json(409, {"message": "The checklist changed; reload the page"})
        if description != (issue.description or ""):
            issue = self._service.update_issue(project, user, issue, {"description": description})
            self._sender.flush(user)
        if request.form.get("redirect"):
            return _redirect(f"/{project.path}/-/issues/{issue.iid}")
        return _json(200, {"updated_at": issue.updated_at, "description": issue.description})

    def _colors(self, project: Project) -> dict[str, tuple[str, str]]:
        return {
            lb.name: (lb.color, text_color(lb.color)) for lb in self._store.labels_of(project.id)
        }

    def _page(self, name: str, code: int, **context: Any) -> Response:
        html = _ENV.get_template(name).render(
            project_path=self._project_path(), quote=quote, **context
        )
        return Response(html, code, content_type="text/html; charset=utf-8")


def _redirect(target: str) -> Response:
    if not target.startswith("/") or target.startswith("//"):
        target = "/"  # only local redirects
    return Response("", 303, headers={"Location": target})


def _json(status: int, body: Any) -> Response:
    return Response(json.dumps(body), status, content_type="application/json")
