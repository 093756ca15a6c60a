"""`salesbot dashboard`, `salesbot report [schema]` and `salesbot notify`."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer

from automation.cli.common import AsJson, DryRun, _state, app, err, out
from automation.errors import InputError


@app.command("dashboard")
def dashboard_command(
    ctx: typer.Context,
    dry_run: DryRun = False,
    as_json: AsJson = False,
) -> None:
    """Carry out the actions ticked on the dashboard issue, then rewrite it if it changed."""
    from automation import dashboard
    from automation.output import (
        command_output,
        print_failures,
        print_json,
        print_plan,
        print_report,
        summary_lines,
    )

    current = _state(ctx)
    result = dashboard.refresh(current.bot(), current.date(), dry_run=dry_run)
    if dry_run:
        if as_json:
            print_json(command_output("dashboard", result.plan, None))
        else:
            print_plan(out, result.plan, as_json=False, title="Dashboard (dry run)")
        return
    issue = result.dashboard
    if as_json:
        board = (
            {"iid": issue.iid, "url": issue.web_url, "written": result.written} if issue else None
        )
        document = command_output(
            "dashboard",
            result.plan,
            result.report,
            notes=list(result.notes),
            details={"dashboard": board},
        )
        print_json(document)
        print_failures(err, result.report)
    else:
        print_report(out, result.report, err)
        for note in result.notes:
            out.print(note, markup=False)
        for line in summary_lines(result.report):
            out.print(line, markup=False)
        if issue is not None:
            created = result.prepared.dashboard is None
            verb = ("created" if created else "updated") if result.written else "unchanged"
            out.print(f"dashboard {issue.reference} {verb}\n  {issue.web_url}", markup=False)
    if result.report.failures:
        raise typer.Exit(2)


report_app = typer.Typer(
    help="Write the dashboard's figures as a file: Markdown, HTML or JSON (versioned).",
    invoke_without_command=True,
)
app.add_typer(report_app, name="report")


@report_app.command("schema")
def report_schema() -> None:
    """Print the JSON Schema of `salesbot report --format json`."""
    from automation.report import schema

    out.print_json(json.dumps(schema()))


@report_app.callback()
def report_command(
    ctx: typer.Context,
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="md, html (one self-contained page) or json.")
    ] = "md",
    out_file: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Write to this file (default: standard output)."),
    ] = None,
) -> None:
    """Write the dashboard's figures as a file: Markdown, HTML or JSON (versioned).

    `salesbot report schema` prints the JSON report's JSON Schema."""
    if ctx.invoked_subcommand is not None:
        return
    from automation import report
    from automation.dashboard import settings_for

    if fmt not in report.FORMATS:
        raise InputError(f"--format: '{fmt}' is not one of {', '.join(report.FORMATS)}")
    current = _state(ctx)
    bot = current.bot()
    settings = settings_for(bot.config)
    snapshot = report.collect(bot, current.date())
    text = report.render(
        snapshot, fmt, rollup_threshold=settings.rollup_threshold, title=settings.title
    )
    if out_file is None:
        typer.echo(text, nl=False)
        return
    try:
        out_file.parent.mkdir(parents=True, exist_ok=True)
        out_file.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{out_file}: cannot write ({exc.strerror or exc})") from None
    out.print(f"{out_file}: {fmt} report written", markup=False)


@app.command("notify")
def notify_command(
    ctx: typer.Context,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the digest instead of posting it.")
    ] = False,
    as_json: AsJson = False,
) -> None:
    """Post the weekly digest to the Slack webhook in SALESBOT_SLACK_WEBHOOK.

    Off when the variable is unset. A failing webhook only warns: the exit code is 0.
    With --json the digest and whether it was sent are printed as a `salesbot
    schema output` document (`details.digest`, `details.sent`).

    Example: salesbot notify --dry-run
    """
    from automation import notify, report
    from automation.actions import Plan
    from automation.applier import Report
    from automation.dashboard import KEY, WORKFLOW
    from automation.output import command_output, print_json

    def show(text: str, details: dict[str, object]) -> None:
        if as_json:
            print_json(command_output("notify", Plan(), None if dry_run else Report(),
                                      notes=[text], details=details))  # fmt: skip
        else:
            out.print(text, markup=False, highlight=False)

    webhook = notify.webhook_from_env(os.environ)
    if webhook is None and not dry_run:
        show(f"notify: {notify.WEBHOOK_VARIABLE} is not set; nothing sent", {"sent": False})
        return
    current = _state(ctx)
    bot = current.bot()
    today = current.date()
    listing = bot.listing()
    snapshot = report.figures(bot.env(today), bot.team, listing, bot.api.settings.project)
    board = listing.index().get(WORKFLOW, KEY)
    message = notify.digest(snapshot, dashboard_url=board.issue.web_url if board else None)
    if dry_run:
        if as_json:
            show("notify: dry run; nothing sent", {"digest": message, "sent": False})
        else:
            out.print(message["text"], markup=False, highlight=False)
        return
    assert webhook is not None
    delivery = notify.deliver(webhook, message)
    if delivery.ok:
        show("notify: weekly digest sent", {"digest": message, "sent": True})
    else:
        err.print(
            f"salesbot: warning: the weekly digest was not sent: {delivery.detail}",
            markup=False,
        )
        if as_json:
            show(f"notify: not sent: {delivery.detail}", {"digest": message, "sent": False})
