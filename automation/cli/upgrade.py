"""`salesbot templates upgrade`: carry template changes into open issues.

Registered on the `templates` command group when `automation.cli` imports
this module; thin like the rest of the CLI (the work is `Bot.plan_upgrades`
and `automation.upgrade`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any

import typer
from rich.console import Console

from automation.cli.common import AsJson, DryRun


def register(
    templates_app: typer.Typer,
    *,
    state: Callable[[typer.Context], Any],
    out: Console,
    err: Console,
) -> None:
    """Add `upgrade` to the `templates` group."""

    @templates_app.command("upgrade")
    def templates_upgrade(
        ctx: typer.Context,
        workflow: Annotated[
            str | None,
            typer.Option(
                help="Only this workflow's issues (handover, onboarding, give-back, "
                "opportunity) or one template's (consult, ldr, ...)."
            ),
        ] = None,
        dry_run: DryRun = False,
        as_json: AsJson = False,
    ) -> None:
        """Upgrade the open issues of every changed template (its front matter
        `version:` went up): add its new items, mark removed ones not applicable,
        reword changed ones; never a person's tick, line or text."""
        from automation.output import plan_json, print_plan, print_report, summary_lines

        bot = state(ctx).bot()
        plan = bot.plan_upgrades(only=workflow)
        if dry_run:
            print_plan(out, plan, as_json=as_json, title="Template upgrade (dry run)")
            return
        report = bot.apply(plan)
        if as_json:
            document = {
                **plan_json(plan),
                "written": sum(1 for o in report.outcomes if o.ok),
                "failures": [
                    {"issue": str(o.step.action.target), "error": o.error} for o in report.failures
                ],
            }
            out.print_json(json.dumps(document))
        else:
            print_report(out, report, err)
            for note in plan.notes:
                out.print(note, markup=False)
            for line in summary_lines(report):
                out.print(line, markup=False)
            if not plan:
                out.print("No open issue needs an upgrade.", markup=False)
        if report.failures:
            raise typer.Exit(2)
