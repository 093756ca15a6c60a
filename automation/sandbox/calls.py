"""A request as an endpoint handler sees it (`Call`), its answer (`Reply`), a
route, and the request's parameters.

Paths are matched on the raw request URI, segment by segment, so a project
given as a URL-encoded path (`sales%2Fsalesbot`) is one segment, as in GitLab
(`NAMESPACE_OR_PROJECT_REQUIREMENTS`). Query and body parameters are merged
(body wins), as Grape does; bodies may be JSON (python-gitlab) or form-encoded.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote

from werkzeug.wrappers import Request

from automation.sandbox.params import ApiError
from automation.sandbox.render import Renderer
from automation.sandbox.service import Service
from automation.sandbox.store import Issue, Project, Store, User


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Call:
    """One request as a handler sees it."""

    request: Request
    path: str  # raw path, e.g. /api/v4/projects/sales%2Fsalesbot/issues
    query: list[tuple[str, str]]
    params: dict[str, Any]
    args: dict[str, str]
    user: User | None
    store: Store
    service: Service
    render: Renderer

    def project(self) -> Project:
        return self.service.find_project(self.args["id"], self.user)

    def issue(self, project: Project) -> Issue:
        return self.service.find_issue(project, self.args["iid"])

    def actor(self) -> User:
        if self.user is None:
            raise ApiError(401, {"message": "401 Unauthorized"})
        return self.user


Handler = Callable[[Call], Reply]


@dataclass(frozen=True)
class Route:
    method: str
    segments: tuple[str, ...]
    handler: Handler
    auth: bool  # True: a token is required (Grape `authenticate!`)

    @property
    def kind(self) -> str:
        return f"{self.method} /" + "/".join(self.segments)

    def match(self, segments: list[str]) -> dict[str, str] | None:
        if len(segments) != len(self.segments):
            return None
        args: dict[str, str] = {}
        for pattern, value in zip(self.segments, segments, strict=True):
            if pattern.startswith(":"):
                args[pattern[1:]] = value
            elif pattern != value:
                return None
        return args


# -- parameters ----------------------------------------------------------------


def split_path(raw_uri: str) -> tuple[str, str, list[str] | None]:
    """(raw path, raw query, decoded segments after /api/v4) of a request URI."""
    if raw_uri.startswith(("http://", "https://")):  # absolute-form request target
        raw_uri = "/" + raw_uri.split("/", 3)[3] if raw_uri.count("/") >= 3 else "/"
    path, _, query = raw_uri.partition("?")
    parts = path.split("/")
    if len(parts) < 3 or parts[1:3] != ["api", "v4"]:
        return path, query, None
    return path, query, [unquote(p) for p in parts[3:] if p != ""]


def parse_params(request: Request, query: list[tuple[str, str]]) -> dict[str, Any]:
    """Query and body parameters as one dict; `x[]` keys become lists."""
    params = _pairs_to_dict(query)
    body = request.get_data(cache=True)
    if not body:
        return params
    content_type = request.mimetype or ""
    if content_type == "application/json":
        try:
            data = json.loads(body)
        except ValueError:
            raise ApiError(
                400, {"error": "The provided content-type 'application/json' is not valid JSON"}
            ) from None
        if isinstance(data, dict):
            params.update(data)
    elif content_type in ("application/x-www-form-urlencoded", ""):
        params.update(_pairs_to_dict(parse_qsl(body.decode("utf-8", "replace"), True)))
    return params


def _pairs_to_dict(pairs: Sequence[tuple[str, str]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key.endswith("[]"):
            result.setdefault(key[:-2], []).append(value)
        elif key in result:
            existing = result[key]
            result[key] = [*existing, value] if isinstance(existing, list) else [existing, value]
        else:
            result[key] = value
    return result


def json_reply(status: int, body: Any, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, body, headers or {})
