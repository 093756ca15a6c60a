"""`salesbot serve` and `salesbot webhook install|status`.

Registered on the main app by `automation.cli` (its `__init__`); thin like the rest of the CLI
(errors become exit codes there). The receiver itself is `automation.receiver`.
"""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

webhook_app = typer.Typer(
    help="The GitLab project webhook that feeds `salesbot serve`.", no_args_is_help=True
)


def _state(ctx: typer.Context) -> Any:
    return ctx.find_root().obj  # automation.cli.State


def _say(text: str, *, error: bool = False) -> None:
    (sys.stderr if error else sys.stdout).write(text + "\n")


def serve(
    ctx: typer.Context,
    host: Annotated[
        str, typer.Option(help="Address to listen on (0.0.0.0 in a container).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[
        int, typer.Option(help="Issues processed at once (one issue's events stay in order).")
    ] = 4,
    queue: Annotated[
        int, typer.Option(help="Issues waiting at most; past it events are dropped and logged.")
    ] = 1000,
) -> None:
    """Receive GitLab issue and comment webhooks at /webhook and act on them within seconds.

    Needs SALESBOT_WEBHOOK_SECRET (the hook's secret token) besides GITLAB_URL and
    GITLAB_TOKEN. Health probe: GET /-/health. SIGTERM finishes in-flight work."""
    from automation.receiver import logs, server

    secret = server.secret_from_env()  # before anything else: no secret, no start
    state = _state(ctx)
    bot = state.bot(bounded=False)  # a server runs until stopped: no deadline
    logs.configure()
    receiver = server.build(bot, secret=secret, today=state.date, workers=workers, capacity=queue)
    _say(f"salesbot receiver on http://{host}:{port}/webhook (health: /-/health)", error=True)
    server.serve(receiver, host=host, port=port)


@webhook_app.command("install")
def webhook_install(
    ctx: typer.Context,
    url: Annotated[str, typer.Option(help="The receiver's public URL, ending in /webhook.")],
    verify_ssl: Annotated[
        bool, typer.Option("--verify-ssl/--no-verify-ssl", help="GitLab checks the certificate.")
    ] = True,
) -> None:
    """Register the project hook (or update it) with SALESBOT_WEBHOOK_SECRET as its secret.

    Issue, confidential issue, comment and confidential comment events. Rerunning
    leaves one hook for URL. Needs the Maintainer role."""
    from automation.errors import AuthError
    from automation.receiver import install, server

    secret = server.secret_from_env()
    bot = _state(ctx).bot()
    try:
        done = install.install(bot.api, url, secret, verify_ssl=verify_ssl)
    except AuthError as exc:
        raise AuthError(f"{exc} (managing webhooks needs the Maintainer role)") from None
    verb = "registered" if done.created else "updated" if done.changed else "unchanged"
    _say(f"webhook {verb}: hook {done.hook.id} -> {url}")
    for line in install.describe(done.hook, url, bot.api.settings.project)[1:]:
        _say(line)


@webhook_app.command("status")
def webhook_status(
    ctx: typer.Context,
    url: Annotated[
        str | None, typer.Option(help="The receiver's URL (default: every project hook).")
    ] = None,
) -> None:
    """Show the project hook, its events, and whether GitLab has disabled it (and how
    to re-enable it). Exit code 1 when it is missing or disabled."""
    from automation.receiver import install

    bot = _state(ctx).bot()
    project = bot.api.settings.project
    if url is not None:
        hooks = [h for h in [install.find(bot.api, url)] if h is not None]
    else:
        hooks = [install.Hook.from_json(data) for data in bot.api.list_hooks()]
    if not hooks:
        for line in install.describe(None, url, project):
            _say(line)
        raise typer.Exit(1)
    for hook in hooks:
        for line in install.describe(hook, None, project):
            _say(line)
    if not all(h.enabled for h in hooks):
        raise typer.Exit(1)
