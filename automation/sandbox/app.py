"""The sandbox's WSGI app: what sits in front of GitLab's Rails app (injected
latency, proxy faults, the throttle), then authentication, the endpoint
(`routes`) under the store's lock, and the request log.
"""

from __future__ import annotations

import json
import time
import traceback
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from werkzeug.wrappers import Request, Response

from automation.sandbox.calls import Call, Reply, Route, parse_params, split_path
from automation.sandbox.faults import Faults, Throttle
from automation.sandbox.hook_sender import HookSender
from automation.sandbox.options import SandboxOptions
from automation.sandbox.params import ApiError
from automation.sandbox.render import Renderer
from automation.sandbox.request_log import LogEntry, RequestLog
from automation.sandbox.routes import find_route
from automation.sandbox.service import Service
from automation.sandbox.store import Store, User
from automation.sandbox.web import WebPages, is_web

_WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_BAD_GATEWAY = {"message": "502 Bad Gateway"}
_UNAVAILABLE = {"message": "503 Service Unavailable"}


class App:
    """One sandbox's request handling; `Sandbox` owns the state it shares."""

    def __init__(
        self,
        *,
        options: SandboxOptions,
        store: Store,
        service: Service,
        renderer: Callable[[], Renderer],
        requests: RequestLog,
        errors: list[str],
        fault_seed: int,
        sender: HookSender | None = None,
        pages: WebPages | None = None,
    ) -> None:
        self.options = options
        self._store = store
        self._service = service
        self._renderer = renderer
        self._requests = requests
        self._errors = errors
        self._faults = Faults(fault_seed)
        self._throttle = Throttle()
        self._sender = sender
        self._pages = pages

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        response = self._respond(request, environ)
        return response(environ, start_response)

    def _respond(self, request: Request, environ: dict[str, Any]) -> Response:
        options = self.options
        if options.latency > 0:
            time.sleep(options.latency)
        raw_uri = environ.get("REQUEST_URI") or environ.get("RAW_URI") or request.full_path
        path, query_text, segments = split_path(str(raw_uri))
        method = request.method.upper()
        if self._pages is not None and is_web(path):
            # the web UI: issue pages, sign-in (automation.sandbox.web)
            page = self._pages(request, path)
            self._requests.add(LogEntry(method, path, page.status_code), "web", reached_app=True)
            return page
        route, args, path_exists = (
            find_route(method, segments) if segments is not None else (None, {}, False)
        )
        kind = route.kind if route else f"{method} {path}"
        fault = self._faults.roll(options.fault_rate)
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
            and self._faults.roll(options.commit_then_fail_rate, statuses=(502,)) is not None
        ):
            response = _json(502, _BAD_GATEWAY)
        response.headers.update(rate_headers)
        return self._finish(method, path, kind, response, reached=True)

    def _dispatch(
        self,
        request: Request,
        path: str,
        query: list[tuple[str, str]],
        route: Route | None,
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
            params = parse_params(request, query)
        except ApiError as error:
            return _json(error.status, error.body)
        with self._store.lock:
            try:
                call = Call(
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
                reply = Reply(error.status, error.body)
            except Exception:  # a sandbox bug: answer as GitLab would, keep the trace
                self._errors.append(traceback.format_exc())
                reply = Reply(500, {"message": "500 Internal Server Error"})
            finally:
                self._store.commit()
                if self._sender is not None:
                    self._sender.flush(user)
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

    def _finish(
        self, method: str, path: str, kind: str, response: Response, *, reached: bool
    ) -> Response:
        self._requests.add(LogEntry(method, path, response.status_code), kind, reached_app=reached)
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
