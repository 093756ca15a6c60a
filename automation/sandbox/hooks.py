"""Project hooks (`GET/POST/PUT/DELETE /projects/:id/hooks[/:hook_id]`).

As lib/api/project_hooks.rb: Maintainer role required (`authorize_admin_project`),
`url` required and checked, the secret `token` stored but never returned,
push events on unless turned off (the column's default), `alert_status` and
`disabled_until` as `WebHooks::AutoDisabling` reports them. DELETE answers 204.

Hooks live beside the store (not in it, and not in its SQLite file): this
sandbox registers them; `hook_sender` sends them the events.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from automation.sandbox.calls import Call, Reply, Route, json_reply
from automation.sandbox.pagination import page_reply
from automation.sandbox.params import ApiError, not_found, to_bool
from automation.sandbox.store import MAINTAINER, Store, format_time

EVENT_FIELDS = (
    "push_events",
    "tag_push_events",
    "issues_events",
    "confidential_issues_events",
    "merge_requests_events",
    "note_events",
    "confidential_note_events",
    "job_events",
    "pipeline_events",
    "wiki_page_events",
    "deployment_events",
    "releases_events",
)
_DEFAULT_ON = frozenset({"push_events"})


@dataclass(frozen=True)
class Hook:
    id: int
    project_id: int
    url: str
    token: str | None
    events: tuple[tuple[str, bool], ...]
    enable_ssl_verification: bool
    created_at: str
    name: str = ""
    description: str = ""
    # WebHooks::AutoDisabling: what GitLab says after failed deliveries
    alert_status: str = "executable"  # executable | temporarily_disabled | disabled
    disabled_until: str | None = None

    def wants(self, event: str) -> bool:
        return dict(self.events).get(event, False)


class HookTable:
    """The hooks of one sandbox; callers hold the store's lock."""

    def __init__(self) -> None:
        self.hooks: dict[int, Hook] = {}
        self._next = 1

    def of(self, project_id: int) -> list[Hook]:
        return sorted((h for h in self.hooks.values() if h.project_id == project_id), key=_id)

    def add(self, hook: Hook) -> Hook:
        hook = replace(hook, id=self._next)
        self._next += 1
        self.hooks[hook.id] = hook
        return hook

    def disable(self, hook_id: int, until: str | None) -> None:
        """Mark a hook as GitLab does after failures: temporarily until `until`,
        or for good when `until` is None."""
        hook = self.hooks[hook_id]
        status = "temporarily_disabled" if until else "disabled"
        self.hooks[hook_id] = replace(hook, alert_status=status, disabled_until=until)


def _id(hook: Hook) -> int:
    return hook.id


_TABLES: weakref.WeakKeyDictionary[Store, HookTable] = weakref.WeakKeyDictionary()


def table(store: Store) -> HookTable:
    """The hooks kept beside `store`."""
    found = _TABLES.get(store)
    if found is None:
        found = _TABLES[store] = HookTable()
    return found


def render(hook: Hook) -> dict[str, Any]:
    """API::Entities::ProjectHook (the token is never exposed)."""
    return {
        "id": hook.id,
        "url": hook.url,
        "name": hook.name,
        "description": hook.description,
        "project_id": hook.project_id,
        "created_at": hook.created_at,
        **dict(hook.events),
        "enable_ssl_verification": hook.enable_ssl_verification,
        "alert_status": hook.alert_status,
        "disabled_until": hook.disabled_until,
        "url_variables": [],
        "push_events_branch_filter": None,
        "branch_filter_strategy": "wildcard",
        "custom_webhook_template": None,
    }


def _admin(call: Call) -> int:
    project = call.project()
    if call.service.access_level(project, call.actor()) < MAINTAINER:
        raise ApiError(403, {"message": "403 Forbidden"})
    return project.id


def _find(call: Call, project_id: int) -> Hook:
    raw = call.args["hook_id"]
    hook = table(call.store).hooks.get(int(raw)) if raw.isdigit() else None
    if hook is None or hook.project_id != project_id:
        raise not_found()
    return hook


def _url(value: Any) -> str:
    text = str(value or "").strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ApiError(422, {"message": "Invalid url given"})
    return text


def _fields(call: Call, hook: Hook) -> Hook:
    params = call.params
    events = dict(hook.events)
    for name in EVENT_FIELDS:
        if name in params:
            events[name] = to_bool(params[name], name)
    changes: dict[str, Any] = {"events": tuple(events.items())}
    if "url" in params:
        changes["url"] = _url(params["url"])
    if "token" in params:
        changes["token"] = str(params["token"]) or None
    if "enable_ssl_verification" in params:
        changes["enable_ssl_verification"] = to_bool(
            params["enable_ssl_verification"], "enable_ssl_verification"
        )
    for name in ("name", "description"):
        if name in params:
            changes[name] = str(params[name] or "")
    return replace(hook, **changes)


def list_hooks(call: Call) -> Reply:
    return page_reply(call, table(call.store).of(_admin(call)), render)


def get_hook(call: Call) -> Reply:
    return json_reply(200, render(_find(call, _admin(call))))


def create_hook(call: Call) -> Reply:
    project_id = _admin(call)
    if "url" not in call.params:
        raise ApiError(400, {"error": "url is missing"})
    blank = Hook(
        id=0,
        project_id=project_id,
        url="",
        token=None,
        events=tuple((name, name in _DEFAULT_ON) for name in EVENT_FIELDS),
        enable_ssl_verification=True,
        created_at=format_time(datetime.now(UTC)),
    )
    hook = table(call.store).add(_fields(call, blank))
    return json_reply(201, render(hook))


def update_hook(call: Call) -> Reply:
    project_id = _admin(call)
    hooks = table(call.store)
    hook = _fields(call, _find(call, project_id))
    hooks.hooks[hook.id] = hook
    return json_reply(200, render(hook))


def delete_hook(call: Call) -> Reply:
    hook = _find(call, _admin(call))
    del table(call.store).hooks[hook.id]
    return Reply(204, None)


_HOOKS = "projects/:id/hooks"


def routes(route: Any) -> tuple[Route, ...]:
    """The endpoints, built with routes.py's `_route`."""
    return (
        route("GET", _HOOKS, list_hooks),
        route("POST", _HOOKS, create_hook),
        route("GET", f"{_HOOKS}/:hook_id", get_hook),
        route("PUT", f"{_HOOKS}/:hook_id", update_hook),
        route("DELETE", f"{_HOOKS}/:hook_id", delete_hook),
    )
