"""`salesbot webhook install` and `salesbot webhook status`: the project hook
that sends the receiver its events.

A hook is ours when its URL is the one given (GitLab identifies hooks by id
only, so the URL is the natural key, as in Terraform's and Ansible's GitLab
modules). Install creates it, or updates it when an event switch, the SSL
setting or the secret may differ (GitLab never returns the secret, so an
update always resends it: one PUT, and a rerun stays correct).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

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


def find(api: GitLabApi, url: str) -> Hook | None:
    for data in api.list_hooks():
        if str(data.get("url") or "").rstrip("/") == url.rstrip("/"):
            return Hook.from_json(data)
    return None


def install(api: GitLabApi, url: str, secret: str, *, verify_ssl: bool = True) -> Installed:
    fields: dict[str, Any] = {
        "url": url,
        "token": secret,
        "enable_ssl_verification": verify_ssl,
        **EVENTS,
    }
    found = find(api, url)
    if found is None:
        return Installed(Hook.from_json(api.create_hook(fields)), created=True)
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
        f"hook {hook.id}: {hook.url}",
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
