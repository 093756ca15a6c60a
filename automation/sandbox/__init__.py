"""A local GitLab REST v4 sandbox that python-gitlab talks to over real HTTP.

    from automation.sandbox import Sandbox
    with Sandbox(premium=False) as sb:
        gl = gitlab.Gitlab(sb.url, private_token=sb.bot_token)

Users, tokens and the private project `sales/salesbot` come from `seed.yml`.
Modules: `server` (the Sandbox, faults, throttle, request log), `routes`
(endpoints, filters, pagination), `service` (GitLab's write rules),
`quick_actions`, `markdown` (task counting), `render` (JSON), `store` (records,
optional SQLite).
"""

from __future__ import annotations

from automation.sandbox.server import LogEntry, RequestLog, Sandbox, SandboxOptions

__all__ = ["LogEntry", "RequestLog", "Sandbox", "SandboxOptions"]
