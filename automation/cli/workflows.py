"""`salesbot handover|onboard|consults`, `sweep` and `run`: the commands that plan and write."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from automation.cli.common import (
    AsJson,
    DryRun,
    _parse_date,
    _state,
    app,
    consults_app,
    err,
    handover_app,
    onboard_app,
    out,
    run_plan,
)

# -- workflows ---------------------------------------------------------------


@handover_app.command("open")
def handover_open(
    ctx: typer.Context,
    account: Annotated[str, typer.Option(help="The account's name.")],
    from_user: Annotated[str, typer.Option("--from", help="Outgoing seller's GitLab username.")],
    to_user: Annotated[str, typer.Option("--to", help="Incoming seller's GitLab username.")],
    account_id: Annotated[
        str | None, typer.Option(help="The CRM account id (keys the issue).")
    ] = None,
    effective: Annotated[
        str | None, typer.Option(help="Effective date, YYYY-MM-DD (default: today).")
    ] = None,
    reason: Annotated[str | None, typer.Option(help="Why the account moves.")] = None,
    opportunity: Annotated[
        list[str] | None, typer.Option(help="An open opportunity id (repeatable).")
    ] = None,
    dry_run: DryRun = False,
    as_json: AsJson = False,
) -> None:
    """Open one account handover issue, assigned to the incoming seller.

    Example: salesbot handover open --account "Acme Corp" --account-id 001A
    --from bob --to carol --dry-run
    """
    from automation.workflows import handover

    state = _state(ctx)
    today = state.date()
    item = handover.make(
        account=account,
        from_user=from_user,
        to_user=to_user,
        effective=_parse_date(effective, "--effective") or today,
        account_id=account_id,
        reason=reason,
        opportunities=opportunity or (),
        today=today,
    )
    bot = state.bot()
    plan = bot.plan_handovers([item], today)
    run_plan(bot, plan, dry_run=dry_run, as_json=as_json, title="Handover", command="handover open")


@handover_app.command("import")
def handover_import(
    ctx: typer.Context,
    csv_file: Annotated[
        Path,
        typer.Argument(
            metavar="FILE.csv",
            help="Columns: account, account_id, from, to, effective_date, reason, "
            "opportunities (ids separated by ;).",
        ),
    ],
    dry_run: DryRun = False,
    as_json: AsJson = False,
) -> None:
    """Open handover issues for every row of a territory-realignment CSV.

    The whole file is checked first; any bad row aborts with every bad row listed.

    Example: salesbot handover import realignment.csv --dry-run
    """
    from automation.workflows import handover

    state = _state(ctx)
    today = state.date()
    read = handover.read(csv_file, today=today)
    for warning in read.warnings:
        err.print(warning, markup=False)
    bot = state.bot()
    plan = bot.plan_handovers(read.handovers, today, source=str(csv_file))
    run_plan(
        bot,
        plan,
        dry_run=dry_run,
        as_json=as_json,
        title="Handover import",
        command="handover import",
    )


@onboard_app.command("sync")
def onboard_sync(ctx: typer.Context, dry_run: DryRun = False, as_json: AsJson = False) -> None:
    """Open 30/60/90 plans (and Give Back projects) for new hires on the roster,
    and the delivered Give Back projects' monthly roll-calls.

    Example: salesbot onboard sync --dry-run --today 2026-12-01
    """
    from automation.workflows import roll_call

    state = _state(ctx)
    bot = state.bot()
    plan = bot.plan_onboarding(state.date())
    # and this month's Give Back roll-calls (README: Give Back adoption roll-call)
    plan = plan + roll_call.prepare(bot, state.date(), bot.listing()).plan
    run_plan(
        bot, plan, dry_run=dry_run, as_json=as_json, title="Onboarding", command="onboard sync"
    )


@consults_app.command("sync")
def consults_sync(
    ctx: typer.Context,
    opportunities: Annotated[
        Path, typer.Option(help="The CRM opportunity export (CSV).", metavar="FILE.csv")
    ],
    dry_run: DryRun = False,
    as_json: AsJson = False,
) -> None:
    """Open a consult or Lightweight Deal Review per opportunity over the threshold.

    Example: salesbot consults sync --opportunities opportunities.csv --dry-run
    """
    from automation.workflows import consults

    state = _state(ctx)
    export = consults.read_csv(opportunities)
    for problem in (*export.warnings, *export.problems):
        err.print(problem, markup=False)
    bot = state.bot()
    index = bot.index(checklists=False)  # listed once for both plans
    plan = bot.plan_consults(export, state.date(), index)
    plan = plan + bot.plan_group_consults(state.date(), index)
    run_plan(bot, plan, dry_run=dry_run, as_json=as_json, title="Consults", command="consults sync")


def _shard_default() -> str | None:
    index, total = os.environ.get("CI_NODE_INDEX"), os.environ.get("CI_NODE_TOTAL")
    return f"{index}/{total}" if index and total else None


@app.command("sweep")
def sweep_command(
    ctx: typer.Context,
    dry_run: DryRun = False,
    as_json: AsJson = False,
    shard: Annotated[
        str | None,
        typer.Option(help="Sweep only share I of N (default: CI_NODE_INDEX/CI_NODE_TOTAL)."),
    ] = None,
) -> None:
    """Read every open bot issue's checklist: label progress, nudge, close finished work.

    Example: salesbot sweep --shard 1/2 --json
    """
    from automation.bot import Shard

    state = _state(ctx)
    chosen = shard or _shard_default()
    part = Shard.parse(chosen) if chosen else None  # a bad --shard before any set-up error
    bot = state.bot()
    plan = bot.plan_sweep(state.date(), shard=part)
    run_plan(bot, plan, dry_run=dry_run, as_json=as_json, title="Sweep", command="sweep")


@app.command("run")
def run_command(ctx: typer.Context, dry_run: DryRun = False, as_json: AsJson = False) -> None:
    """The scheduled job: onboard sync, consults sync (if an export is configured), sweep.

    Then the dashboard. Example: salesbot run --dry-run --today 2026-12-01
    """
    from automation import registry
    from automation.output import (
        command_output,
        print_failures,
        print_json,
        print_plan,
        summary_lines,
    )
    from automation.progress import progress
    from automation.run import run

    state = _state(ctx)
    bot = state.bot()
    today = state.date()
    if dry_run:
        result = run(bot, today, config_path=state.config_path, dry_run=True)
    else:
        with progress("run: writes", None) as bar:
            result = run(
                bot, today, config_path=state.config_path, on_outcome=lambda _o: bar.advance()
            )
    if as_json:
        print_json(command_output("run", result.plan, None if dry_run else result.report))
    elif dry_run:
        print_plan(out, result.plan, as_json=False, title="Run (dry run)")
    if dry_run:
        return
    print_failures(err, result.report)
    if not as_json:
        for line in summary_lines(result.report, registry.NAMES):
            out.print(line, markup=False)
    if result.report.failures:
        raise typer.Exit(2)
