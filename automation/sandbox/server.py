"""`Sandbox`: a local GitLab REST v4 server on 127.0.0.1 for python-gitlab.

The facade: options, seeded users and project (`seed`), the clock, set-up
helpers, and serving. The WSGI app runs in werkzeug's threaded server (so slow
requests overlap, as they do against GitLab), in a daemon thread by `start()`
or blocking by `serve_forever()`; what it does per request is in `app` (faults
and the throttle in `faults`, the request log in `request_log`).
"""

from __future__ import annotations

import contextlib
import socket
import threading
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from automation.sandbox.app import App
from automation.sandbox.hook_sender import HookSender
from automation.sandbox.options import SandboxOptions
from automation.sandbox.render import Renderer
from automation.sandbox.request_log import LogEntry, RequestLog
from automation.sandbox.seed import add_user, populate, seed_data
from automation.sandbox.service import Service
from automation.sandbox.store import DEVELOPER, Store, format_time
from automation.sandbox.system_notes import ChecklistNotes
from automation.sandbox.web import WebPages


class _QuietHandler(WSGIRequestHandler):
    """No access log on stderr; connections tracked so `stop()` can close them."""

    def log(self, type: str, message: str, *args: Any) -> None:
        return None

    def date_time_string(self, timestamp: float | None = None) -> str:
        """The `Date` header from the sandbox's clock, as GitLab's is its
        server's (salesbot reads GitLab's time from it: `automation.recheck`)."""
        clock = getattr(self.server, "sandbox_clock", None)
        if timestamp is None and clock is not None:
            timestamp = clock().timestamp()
        return super().date_time_string(timestamp)

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
        self._store = Store(Path(data) if data is not None else None)
        self._service = Service(
            self._store,
            premium=lambda: self.options.premium,
            clock=self.now,
            checklist_notes=lambda: self.options.checklist_notes,
        )
        self.hooks = HookSender(self._store, self._renderer)
        self._app = App(
            options=self.options,
            store=self._store,
            service=self._service,
            renderer=self._renderer,
            requests=self.requests,
            errors=self.errors,
            fault_seed=fault_seed,
            sender=self.hooks,
            pages=WebPages(
                store=self._store,
                service=self._service,
                renderer=self._renderer,
                sender=self.hooks,
                project_path=lambda: self.project_path,
            ),
        )
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._url = "http://127.0.0.1"
        seeded = seed_data()
        self.project_path: str = seeded["project"]["path"]
        self._bot: str = seeded["bot"]
        with self._store.lock:
            self.project_id: int = populate(self._store, seeded, everyone=seed, now=self._now_text)
            self._store.commit()

    def add_user(self, username: str, name: str, *, member: bool = True) -> dict[str, Any]:
        """Create a user (with a token) and, by default, make them a Developer
        of the project; an existing user is returned as is (joining if asked)."""
        with self._store.lock:
            level = DEVELOPER if member else 0
            user = add_user(self._store, self.project_id, username, name, level, now=self._now_text)
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
            self.hooks.flush(actor)
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
        server.sandbox_clock = self.now  # type: ignore[attr-defined]
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
        self.hooks.stop()
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
        return self._app(environ, start_response)


__all__ = ["LogEntry", "RequestLog", "Sandbox", "SandboxOptions"]
