"""`salesbot webhook install` and `salesbot webhook status`: the project hook
that sends the receiver its events.

A hook is ours when its URL is the one given (GitLab identifies hooks by id
only, so the URL is the natural key, as in Terraform's and Ansible's GitLab
modules). Install creates it, or updates it when an event switch, the SSL
setting, the URL or the secret differ, and writes nothing when all are as
wanted.

The secret is write-only in GitLab's hooks API: `token` is accepted by
`POST/PUT /projects/:id/hooks` and never returned (API::Entities::ProjectHook
has no token field; doc: "Project webhooks API", api/project_webhooks.md). To
know whether the hook still carries this secret without resending it, the
hook's URL carries a fingerprint of it in its query (`?salesbot_secret=`, the
first 16 hex digits of HMAC-SHA256 keyed with the secret over a fixed text):
it tells two secrets apart, and does not reveal a random secret (the README
says to make one with `openssl rand -hex 32`). The receiver ignores the query.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from automation.api import GitLabApi

# Issue events (ticks, label and state changes), their confidential variant
# (handover issues are confidential), and comments, on confidential issues too.
EVENTS = {
    "issues_events": True,
    "confidential_issues_events": True,
    "note_events": True,
    "confidential_note_events": True,
    # GitLab turns push events on by default; the receiver has no use for them
    "push_events": False,
}
FINGERPRINT = "salesbot_secret"  # the hook URL's query parameter


def fingerprint(secret: str) -> str:
    """What the hook URL carries of the secret: an HMAC, never the secret."""
    mac = hmac.new(secret.encode("utf-8"), b"salesbot webhook secret", hashlib.sha256)
    return mac.hexdigest()[:16]


def _split(url: str) -> tuple[str, str | None]:
    """A hook URL without our fingerprint (as the person gave it), and the fingerprint."""
    parts = urlsplit(url.strip())
    query = parse_qsl(parts.query, keep_blank_values=True)
    found = next((value for name, value in query if name == FINGERPRINT), None)
    kept = urlencode([(name, value) for name, value in query if name != FINGERPRINT])
    base = urlunsplit(parts._replace(query=kept)).rstrip("/")
    return base, found


def hook_url(url: str, secret: str) -> str:
    """The URL registered with GitLab: `url` and the secret's fingerprint."""
    parts = urlsplit(url.strip())
    query = [(n, v) for n, v in parse_qsl(parts.query, keep_blank_values=True) if n != FINGERPRINT]
    query.append((FINGERPRINT, fingerprint(secret)))
    return urlunsplit(parts._replace(query=urlencode(query)))


@dataclass(frozen=True)
class Hook:
    id: int
    url: str
    events: dict[str, bool]
    enable_ssl_verification: bool
    alert_status: str  # executable | temporarily_disabled | disabled
    disabled_until: str | None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Hook:
        return cls(
            id=int(data["id"]),
            url=str(data.get("url") or ""),
            events={name: bool(data.get(name)) for name in EVENTS},
            enable_ssl_verification=bool(data.get("enable_ssl_verification", True)),
            alert_status=str(data.get("alert_status") or "executable"),
            disabled_until=data.get("disabled_until") or None,
        )

    @property
    def enabled(self) -> bool:
        return self.alert_status == "executable"


@dataclass(frozen=True)
class Installed:
    hook: Hook
    created: bool
    changed: bool = True  # False: the hook was already as wanted (no write)


def find(api: GitLabApi, url: str) -> Hook | None:
    """The project hook for `url` (with or without a secret's fingerprint)."""
    wanted, _ = _split(url)
    for data in api.list_hooks():
        if _split(str(data.get("url") or ""))[0] == wanted:
            return Hook.from_json(data)
    return None


def _as_wanted(hook: Hook, url: str, secret: str, verify_ssl: bool) -> bool:
    """Everything GitLab returns is as `install` would write it, and the URL's
    fingerprint says the hook has this secret (GitLab never returns it)."""
    return (
        hook.url == hook_url(url, secret)
        and hook.enable_ssl_verification == verify_ssl
        and hook.events == EVENTS
    )


def install(api: GitLabApi, url: str, secret: str, *, verify_ssl: bool = True) -> Installed:
    """Create the hook, update it when anything differs (one PUT, the secret
    resent), or leave it alone: an unchanged rerun reads and writes nothing more
    than the hooks' list."""
    fields: dict[str, Any] = {
        "url": hook_url(url, secret),
        "token": secret,
        "enable_ssl_verification": verify_ssl,
        **EVENTS,
    }
    found = find(api, url)
    if found is None:
        return Installed(Hook.from_json(api.create_hook(fields)), created=True)
    if _as_wanted(found, url, secret, verify_ssl):
        return Installed(found, created=False, changed=False)
    return Installed(Hook.from_json(api.update_hook(found.id, fields)), created=False)


def describe(hook: Hook | None, url: str | None, project: str) -> list[str]:
    """`webhook status` in lines: the hook, its events, and whether GitLab disabled it."""
    if hook is None:
        where = f" for {url}" if url else ""
        return [
            f"no salesbot webhook{where} in {project}: run `salesbot webhook install --url URL`"
        ]
    on = ", ".join(name for name, value in hook.events.items() if value) or "none"
    lines = [
        f"hook {hook.id}: {_split(hook.url)[0]}",
        f"  events: {on}",
        f"  SSL verification: {'on' if hook.enable_ssl_verification else 'off'}",
    ]
    missing = [n for n, want in EVENTS.items() if want and not hook.events.get(n)]
    if missing:
        lines.append(f"  missing events: {', '.join(missing)}: run `salesbot webhook install`")
    if hook.alert_status == "temporarily_disabled":
        lines.append(
            f"  DISABLED by GitLab until {hook.disabled_until} after failed deliveries "
            "(it retries by itself then)."
        )
    elif hook.alert_status == "disabled":
        lines.append("  DISABLED by GitLab after too many failed deliveries.")
    else:
        lines.append("  status: enabled (GitLab delivers events)")
    if not hook.enabled:
        lines.append(
            "  To re-enable it: make sure the receiver answers (`curl URL/-/health`), then "
            "send a test event: Settings > Webhooks > Test > Issue events in GitLab, or "
            f"POST /projects/:id/hooks/{hook.id}/test/issues_events; a 2xx answer "
            "re-enables the hook. The scheduled sweep did the missed events' work."
        )
    return lines
