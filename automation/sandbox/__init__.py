"""A local GitLab REST v4 sandbox that python-gitlab talks to over real HTTP.

    from automation.sandbox import Sandbox
    with Sandbox(premium=False) as sb:
        gl = gitlab.Gitlab(sb.url, private_token=sb.bot_token)

Users, tokens and the private project `sales/salesbot` come from `seed.yml`
(`seed`). A request goes `server` (the `Sandbox` facade: options, clock,
serving) -> `app` (the WSGI app: `faults` and the throttle, `request_log`) ->
`routes` (endpoints; `calls` for requests and parameters, `pagination`,
`issue_filters`, `search`) -> `service` (GitLab's write rules, by domain:
`access`, `issues`, `labels`, `notes`, `links`, `system_notes`, with
`quick_actions` and `params` for Grape's coercions and error answers) ->
`store` (records, optional SQLite); `render` answers GitLab's JSON and
`markdown` counts tasks as GitLab does.
"""

from __future__ import annotations

from automation.sandbox.server import LogEntry, RequestLog, Sandbox, SandboxOptions

__all__ = ["LogEntry", "RequestLog", "Sandbox", "SandboxOptions"]
