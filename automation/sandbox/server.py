"""`Sandbox`: a local GitLab REST v4 server on 127.0.0.1 for python-gitlab.

The WSGI app runs in werkzeug's threaded server (so slow requests overlap,
as they do against GitLab), in a daemon thread by `start()` or blocking by
`serve_forever()`. Around the endpoints (`routes.py`) it adds what sits in
front of GitLab's Rails app: injected latency, proxy faults (502/503 before
the request reaches GitLab, or 502 after a write was committed), and the
authenticated- and unauthenticated-API throttles with GitLab's `RateLimit-*`
headers (reference §6).
"""

from __future__ import annotations

import contextlib
import json
import math
import random
import socket
import threading
import time
import traceback
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import formatdate
from functools import lru_cache
from importlib import resources
from pathlib import Path
from types import TracebackType
from typing import Any, NamedTuple
from urllib.parse import parse_qsl

import yaml
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from automation.sandbox import routes
from automation.sandbox.render import Renderer
from automation.sandbox.service import ApiError, ChecklistNotes, Service
from automation.sandbox.store import (
    DEVELOPER,
    GUEST,
    MAINTAINER,
    OWNER,
    REPORTER,
    Member,
    Project,
    Store,
    User,
    format_time,
)

_ACCESS = {
    "guest": GUEST,
    "reporter": REPORTER,
    "developer": DEVELOPER,
    "maintainer": MAINTAINER,
    "owner": OWNER,
}
_WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_BAD_GATEWAY = {"message": "502 Bad Gateway"}
_UNAVAILABLE = {"message": "503 Service Unavailable"}


@dataclass
class SandboxOptions:
    """Behaviour a test may switch mid-run (`sandbox.options.fault_rate = 0.5`)."""

    premium: bool = False
    rate_limit: int | None = None  # requests per window per token or per IP; None: unlimited
    fault_rate: float = 0.0  # fraction of requests answered 502/503 before GitLab sees them
    commit_then_fail_rate: float = 0.0  # fraction of writes carried out, then answered 502
    latency: float = 0.0  # seconds added to every request
    rate_window: float = 60.0  # GitLab throttles per minute; tests may shorten it
    # The text of "marked the checklist item **TEXT** as completed": "escaped" is
    # GitLab.com's (Markdown punctuation backslash-escaped, an HTML comment's
    # inner text kept as plain text), the least convenient; "raw" the item's
    # Markdown source as typed.
    checklist_notes: ChecklistNotes = "escaped"


class LogEntry(NamedTuple):
    method: str
    path: str
    status: int


class RequestLog:
    """Every request the sandbox answered, in order."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.entries: list[LogEntry] = []
        self._kinds: list[str] = []
        self._reached: list[bool] = []

    def add(self, entry: LogEntry, kind: str, *, reached_app: bool) -> None:
        with self._lock:
            self.entries.append(entry)
            self._kinds.append(kind)
            self._reached.append(reached_app)

    def count(
        self,
        method: str | None = None,
        path_contains: str | None = None,
        status: int | None = None,
    ) -> int:
        with self._lock:
            return sum(
                1
                for entry in self.entries
                if (method is None or entry.method == method.upper())
                and (path_contains is None or path_contains in entry.path)
                and (status is None or entry.status == status)
            )

    def writes(self) -> int:
        """Non-GET/HEAD requests that reached GitLab (not stopped by an injected
        fault or the throttle); commit-then-502 writes count."""
        with self._lock:
            return sum(
                1
                for entry, reached in zip(self.entries, self._reached, strict=True)
                if reached and entry.method not in ("GET", "HEAD")
            )

    def by_kind(self) -> dict[str, int]:
        """Counts per endpoint, e.g. {"GET /projects/:id/issues": 3}."""
        with self._lock:
            return dict(Counter(self._kinds))

    def clear(self) -> None:
        with self._lock:
            self.entries.clear()
            self._kinds.clear()
            self._reached.clear()


class _Throttle:
    """Fixed windows per identity, aligned on the epoch like Rack::Attack."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[int, int]] = {}

    def hit(self, key: str, name: str, limit: int, window: float) -> tuple[bool, dict[str, str]]:
        now = time.time()
        index = int(now // window)
        with self._lock:
            start, count = self._windows.get(key, (index, 0))
            count = count + 1 if start == index else 1
            self._windows[key] = (index, count)
        reset = (index + 1) * window
        headers = {
            "RateLimit-Name": name,
            "RateLimit-Limit": str(limit),
            "RateLimit-Observed": str(count),
            "RateLimit-Remaining": str(max(0, limit - count)),
            "RateLimit-Reset": str(math.ceil(reset)),
        }
        throttled = count > limit
        if throttled:
            headers["Retry-After"] = str(max(1, math.ceil(reset - now)))
            headers["RateLimit-ResetTime"] = formatdate(reset, usegmt=True)
        return throttled, headers


class _QuietHandler(WSGIRequestHandler):
    """No access log on stderr; connections tracked so `stop()` can close them."""

    def log(self, type: str, message: str, *args: Any) -> None:
        return None

    def setup(self) -> None:
        super().setup()
        connections = getattr(self.server, "sandbox_connections", None)
        if connections is not None:
            connections.add(self.connection)

    def finish(self) -> None:
        connections = getattr(self.server, "sandbox_connections", None)
        if connections is not None:
            connections.discard(self.connection)
        with contextlib.suppress(OSError):
            super().finish()


@lru_cache(maxsize=1)
def _seed() -> dict[str, Any]:
    text = resources.files("automation.sandbox").joinpath("seed.yml").read_text("utf-8")
    data = yaml.safe_load(text)
    assert isinstance(data, dict)
    return data


def token_of(username: str) -> str:
    return f"sandbox-token-{username}"


class Sandbox:
    """A GitLab REST v4 sandbox seeded from `seed.yml`.

    `start()`/`stop()` (or `with Sandbox() as sb:`) serve it on `sb.url`;
    `sb.bot_token`/`sb.token_for(username)` authenticate; `sb.options` switches
    premium, throttle and faults mid-run; `sb.set_time()` freezes its clock;
    `sb.requests` logs what clients sent; `sb.errors` holds the traceback of
    any request the sandbox itself failed (answered 500). `seed=False` creates
    only the bot and the project; `data=Path` keeps everything in SQLite.
    """

    def __init__(
        self,
        premium: bool = False,
        rate_limit: int | None = None,
        fault_rate: float = 0.0,
        commit_then_fail_rate: float = 0.0,
        latency: float = 0.0,
        data: Path | None = None,
        seed: bool = True,
        fault_seed: int = 0,
        checklist_notes: ChecklistNotes = "escaped",
    ) -> None:
        self.options = SandboxOptions(
            premium=premium,
            checklist_notes=checklist_notes,
            rate_limit=rate_limit,
            fault_rate=fault_rate,
            commit_then_fail_rate=commit_then_fail_rate,
            latency=latency,
        )
        self.requests = RequestLog()
        self.errors: list[str] = []  # tracebacks of requests answered 500
        self._frozen: datetime | None = None
        self._rng = random.Random(fault_seed)
        self._rng_lock = threading.Lock()
        self._throttle = _Throttle()
        self._store = Store(Path(data) if data is not None else None)
        self._service = Service(
            self._store,
            premium=lambda: self.options.premium,
            clock=self.now,
            checklist_notes=lambda: self.options.checklist_notes,
        )
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._url = "http://127.0.0.1"
        seed_data = _seed()
        self.project_path: str = seed_data["project"]["path"]
        self._bot: str = seed_data["bot"]
        with self._store.lock:
            self.project_id: int = self._populate(seed_data, everyone=seed)
            self._store.commit()

    # -- set-up ------------------------------------------------------------

    def _populate(self, seed_data: dict[str, Any], *, everyone: bool) -> int:
        """Create the seed's project and users, unless a reloaded file has them;
        returns the project's id. Without `everyone` only the bot is created."""
        project = self._store.project_by_ref(self.project_path)
        if project is None:
            spec = seed_data["project"]
            project = self._store.put(
                Project(
                    id=self._store.new_id(Project),
                    path=spec["path"],
                    name=spec["name"],
                    description=spec.get("description", ""),
                    created_at=self._now_text(),
                    visibility=spec.get("visibility", "private"),
                )
            )
        for spec in seed_data["users"]:
            if not everyone and spec["username"] != self._bot:
                continue
            if self._store.user_by_username(spec["username"]) is None:
                access = spec.get("access")
                level = _ACCESS[access] if access else 0
                self._add_user(project.id, spec["username"], spec["name"], level)
        return project.id

    def _add_user(self, project_id: int, username: str, name: str, access_level: int) -> User:
        store = self._store
        user = store.user_by_username(username)
        if user is None:
            user = store.put(
                User(
                    id=store.new_id(User),
                    username=username,
                    name=name,
                    token=token_of(username),
                    created_at=self._now_text(),
                )
            )
        if access_level and store.member(project_id, user.id) is None:
            store.put(
                Member(
                    id=store.new_id(Member),
                    project_id=project_id,
                    user_id=user.id,
                    access_level=access_level,
                    created_at=self._now_text(),
                )
            )
        return user

    def add_user(self, username: str, name: str, *, member: bool = True) -> dict[str, Any]:
        """Create a user (with a token) and, by default, make them a Developer
        of the project; an existing user is returned as is (joining if asked)."""
        with self._store.lock:
            user = self._add_user(self.project_id, username, name, DEVELOPER if member else 0)
            self._store.commit()
            data = self._renderer().user(user)
        assert data is not None
        return data

    def token_for(self, username: str) -> str:
        with self._store.lock:
            user = self._store.user_by_username(username)
        if user is None:
            raise KeyError(f"no sandbox user {username!r}")
        return user.token

    @property
    def bot_token(self) -> str:
        return self.token_for(self._bot)

    def create_issue(
        self,
        title: str,
        description: str | None = None,
        *,
        author: str | None = None,
        labels: tuple[str, ...] | list[str] = (),
        assignees: tuple[str, ...] | list[str] = (),
    ) -> dict[str, Any]:
        """Create an issue without HTTP (same rules as POST; for fast set-up of
        large data sets). Returns the issue JSON."""
        with self._store.lock:
            actor = self._store.user_by_username(author or self._bot)
            if actor is None:
                raise KeyError(f"no sandbox user {author!r}")
            params: dict[str, Any] = {"title": title, "labels": list(labels)}
            if description is not None:
                params["description"] = description
            ids = [u.id for u in map(self._store.user_by_username, assignees) if u is not None]
            if ids:
                params["assignee_ids"] = ids
            project = self._store.projects[self.project_id]
            issue = self._service.create_issue(project, actor, params)
            self._store.commit()
            return self._renderer().issue(issue, single=True)

    # -- clock -------------------------------------------------------------

    def set_time(self, moment: datetime | None) -> None:
        """Freeze the sandbox clock (timestamps of issues, notes, events);
        None returns to the real UTC clock."""
        if moment is not None and moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        self._frozen = moment

    def now(self) -> datetime:
        return self._frozen if self._frozen is not None else datetime.now(UTC)

    def _now_text(self) -> str:
        return format_time(self.now())

    # -- serving -----------------------------------------------------------

    @property
    def url(self) -> str:
        return self._url

    def start(self, host: str = "127.0.0.1", port: int = 0) -> Sandbox:
        """Serve in a daemon thread; returns self once the port is bound."""
        if self._server is not None:
            raise RuntimeError("sandbox already started")
        server = self._bind(host, port)
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.5},
            name=f"gitlab-sandbox-{server.server_port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def serve_forever(self, host: str = "127.0.0.1", port: int = 8080) -> None:
        """Serve in this thread until interrupted (for `salesbot sandbox serve`)."""
        server = self._bind(host, port)
        try:
            server.serve_forever()
        finally:
            self._server = None
            self._store.close()

    def _bind(self, host: str, port: int) -> BaseWSGIServer:
        server = make_server(
            host, port, self.wsgi_app, threaded=True, request_handler=_QuietHandler
        )
        server.sandbox_connections = set()  # type: ignore[attr-defined]
        self._server = server
        shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
        self._url = f"http://{shown}:{server.server_port}"
        return server

    def stop(self) -> None:
        """Stop serving, drop open connections and close the data file."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            # serve_forever polls every 0.5 s; ask it to stop and wake it at once.
            setattr(server, "_BaseServer__shutdown_request", True)  # noqa: B010
            with contextlib.suppress(OSError):
                socket.create_connection(("127.0.0.1", server.server_port), timeout=1).close()
            server.shutdown()
            server.server_close()
            for connection in list(getattr(server, "sandbox_connections", ())):
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
        if thread is not None:
            thread.join(timeout=5)
        with self._store.lock:
            self._store.close()

    def __enter__(self) -> Sandbox:
        return self.start() if self._server is None else self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- the WSGI app ------------------------------------------------------

    def _renderer(self) -> Renderer:
        return Renderer(self._store, self._url, premium=self.options.premium)

    def wsgi_app(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        response = self._respond(request, environ)
        return response(environ, start_response)

    def _respond(self, request: Request, environ: dict[str, Any]) -> Response:
        options = self.options
        if options.latency > 0:
            time.sleep(options.latency)
        raw_uri = environ.get("REQUEST_URI") or environ.get("RAW_URI") or request.full_path
        path, query_text, segments = routes.split_path(str(raw_uri))
        method = request.method.upper()
        route, args, path_exists = (
            routes.find_route(method, segments) if segments is not None else (None, {}, False)
        )
        kind = route.kind if route else f"{method} {path}"
        fault = self._fault(options.fault_rate)
        if fault is not None:
            return self._finish(
                method,
                path,
                kind,
                _json(fault, _BAD_GATEWAY if fault == 502 else _UNAVAILABLE),
                reached=False,
            )
        query = parse_qsl(query_text, keep_blank_values=True)
        token = _token(request, query)
        with self._store.lock:
            user = self._store.user_by_token(token) if token else None
        rate_headers: dict[str, str] = {}
        if options.rate_limit is not None:
            # Rack::Attack (lib/gitlab/rack_attack.rb): a request with a valid
            # token counts per user under throttle_authenticated_api, any other
            # per IP under throttle_unauthenticated_api (GitLab 14.3+).
            if user is not None:
                key, name = f"user:{user.id}", "throttle_authenticated_api"
            else:
                key, name = f"ip:{request.remote_addr}", "throttle_unauthenticated_api"
            throttled, rate_headers = self._throttle.hit(
                key, name, options.rate_limit, options.rate_window
            )
            if throttled:
                response = Response("Retry later\n", 429, content_type="text/plain")
                response.headers.update(rate_headers)
                return self._finish(method, path, kind, response, reached=False)
        response = self._dispatch(request, path, query, route, args, path_exists, token, user)
        if (
            method in _WRITE_METHODS
            and response.status_code < 300
            and self._fault(options.commit_then_fail_rate, statuses=(502,)) is not None
        ):
            response = _json(502, _BAD_GATEWAY)
        response.headers.update(rate_headers)
        return self._finish(method, path, kind, response, reached=True)

    def _dispatch(
        self,
        request: Request,
        path: str,
        query: list[tuple[str, str]],
        route: routes.Route | None,
        args: dict[str, str],
        path_exists: bool,
        token: str | None,
        user: User | None,
    ) -> Response:
        if route is None:
            if path_exists:
                return _json(405, {"error": "405 Not Allowed"})
            return _json(404, {"error": "404 Not Found"})
        if (token and user is None) or (route.auth and user is None):
            return _json(401, {"message": "401 Unauthorized"})
        try:
            # Read the body before taking the lock: a slow client blocks no one.
            params = routes.parse_params(request, query)
        except ApiError as error:
            return _json(error.status, error.body)
        with self._store.lock:
            try:
                call = routes.Call(
                    request=request,
                    path=path,
                    query=query,
                    params=params,
                    args=args,
                    user=user,
                    store=self._store,
                    service=self._service,
                    render=self._renderer(),
                )
                reply = route.handler(call)
            except ApiError as error:
                reply = routes.Reply(error.status, error.body)
            except Exception:  # a sandbox bug: answer as GitLab would, keep the trace
                self.errors.append(traceback.format_exc())
                reply = routes.Reply(500, {"message": "500 Internal Server Error"})
            finally:
                self._store.commit()
        if reply.status == 204:
            response = Response(status=204)  # `no_content!`: no body at all
        elif isinstance(reply.body, str):
            response = Response(reply.body, reply.status, content_type="text/plain")
        else:
            response = _json(reply.status, reply.body)
        response.headers.update(reply.headers)
        if request.method == "HEAD":
            response.set_data(b"")
        return response

    def _fault(self, rate: float, statuses: tuple[int, ...] = (502, 503)) -> int | None:
        if rate <= 0:
            return None
        with self._rng_lock:
            if self._rng.random() >= rate:
                return None
            return self._rng.choice(statuses)

    def _finish(
        self, method: str, path: str, kind: str, response: Response, *, reached: bool
    ) -> Response:
        self.requests.add(LogEntry(method, path, response.status_code), kind, reached_app=reached)
        return response


def _json(status: int, body: Any) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status, content_type="application/json")


def _token(request: Request, query: list[tuple[str, str]]) -> str | None:
    """PRIVATE-TOKEN, `Authorization: Bearer`, or the private_token parameter."""
    token = request.headers.get("PRIVATE-TOKEN")
    if token:
        return token.strip()
    authorization = request.headers.get("Authorization", "")
    if authorization.lower().startswith("bearer "):
        return authorization[7:].strip()
    for key, value in query:
        if key in ("private_token", "access_token") and value:
            return value
    return None


__all__ = ["LogEntry", "RequestLog", "Sandbox", "SandboxOptions"]
