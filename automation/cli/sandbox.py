"""`salesbot sandbox serve` and `salesbot demo`."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from automation.cli.common import (
    DEFAULT_CONFIG,
    _state,
    app,
    out,
    sandbox_app,
)

# -- sandbox and demo ----------------------------------------------------------


@sandbox_app.command("serve")
def sandbox_serve(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (0 picks a free one).")] = 8080,
    data: Annotated[
        Path | None, typer.Option(help="SQLite file that keeps the sandbox across restarts.")
    ] = None,
    premium: Annotated[
        bool, typer.Option(help="Behave like GitLab Premium (exclusive scoped labels).")
    ] = False,
    rate_limit: Annotated[
        int | None, typer.Option(help="Requests per minute per token before 429.")
    ] = None,
    latency: Annotated[float, typer.Option(help="Seconds added to every request.")] = 0.0,
    fault_rate: Annotated[float, typer.Option(help="Fraction of requests answered 502/503.")] = 0.0,
) -> None:
    """Serve a local GitLab REST v4 sandbox until interrupted."""
    from automation.sandbox import Sandbox

    sandbox = Sandbox(
        premium=premium, rate_limit=rate_limit, latency=latency, fault_rate=fault_rate, data=data
    )
    sandbox.start(port=port)
    out.print(f"GitLab sandbox on {sandbox.url} (project {sandbox.project_path})", markup=False)
    out.print(
        f"  issues: {sandbox.url}/{sandbox.project_path}/-/issues (sign in by username)",
        markup=False,
    )
    out.print(
        f"  export GITLAB_URL={sandbox.url} SALESBOT_PROJECT={sandbox.project_path} "
        # the sandbox's own fake token (seed.yml), not a secret
        f"GITLAB_TOKEN={sandbox.bot_token}",
        markup=False,
    )
    out.print("Press Ctrl+C to stop.", markup=False)
    try:
        while True:
            time.sleep(3600)
    finally:
        sandbox.stop()


@app.command()
def demo(
    ctx: typer.Context,
    serve: Annotated[
        bool, typer.Option("--serve", help="Keep the sandbox running afterwards to inspect.")
    ] = False,
    live: Annotated[
        bool,
        typer.Option(
            "--live",
            help="Start the sandbox and the webhook receiver; tick a box in a browser "
            "and watch the bot act within seconds.",
        ),
    ] = False,
) -> None:
    """Run salesbot against an embedded sandbox over simulated days."""
    from importlib.resources import files

    from automation.demo import run_demo

    config_path = _state(ctx).config_path
    if config_path == DEFAULT_CONFIG and not config_path.is_file():
        # Installed from the wheel, outside a checkout: the shipped example config.
        example = files("automation.example_config") / "salesbot.yml"
        config_path = Path(str(example))
        out.print(f"no {DEFAULT_CONFIG} here: using the example config {config_path}", markup=False)
    if live:
        from automation.demo_live import run_live

        run_live(out, config_path=config_path)
        return
    run_demo(out, config_path=config_path, serve=serve)
