"""`salesbot run`: the scheduled job, every workflow in order."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from automation import registry
from automation.actions import CreateIssue, Plan
from automation.applier import Outcome, Report
from automation.bot import Bot
from automation.dashboard import refresh_dashboard
from automation.workflows import consults, roll_call
from automation.workflows.common import label_set


@dataclass
class RunResult:
    plan: Plan = field(default_factory=Plan)
    report: Report = field(default_factory=Report)


def opportunities_file(bot: Bot, config_path: Path) -> Path | None:
    name = bot.config.consults.opportunities
    if not name:
        return None
    path = Path(name)
    return path if path.is_absolute() else config_path.parent / path


def run(
    bot: Bot,
    today: date,
    *,
    config_path: Path,
    dry_run: bool = False,
    on_outcome: Callable[[Outcome], None] | None = None,
) -> RunResult:
    """Onboard sync, consults sync (when an export is configured), sweep, Give
    Back roll-calls, dashboard.

    Inputs are read and validated before anything is written, so a bad CSV
    stops the run with nothing half-done. `on_outcome`: called after each
    write (the CLI's progress display)."""
    result = RunResult()
    export_path = opportunities_file(bot, config_path)
    export = consults.read_csv(export_path) if export_path else None
    # the bot's issues are listed once for every step; what a step writes is
    # read back (one issue at a time) before the next step plans
    listing = bot.listing()
    index = listing.index()
    plans = [bot.plan_onboarding(today, index)]
    if export is not None:
        plans.append(bot.plan_consults(export, today, index))
    plans.append(bot.plan_group_consults(today, index))  # the first run of a month opens them
    if bot.config.templates.auto_upgrade:  # before the sweep, which reads the new items
        plans.append(bot.plan_upgrades(listing=listing))
    if not dry_run:
        labels = label_set(bot.config)
        bot.api.ensure_labels(labels.all_static(), bot.config.labels.colors)
    for plan in plans:
        result.plan = result.plan + plan
        if not dry_run:
            result.report.extend(bot.apply(plan, on_outcome=on_outcome))
    listing = bot.after_writes(listing, result.report.outcomes)
    sweep = bot.plan_sweep(today, listing=listing)
    result.plan = result.plan + sweep
    if not dry_run:
        written = bot.apply(sweep, on_outcome=on_outcome)
        result.report.extend(written)
        listing = bot.after_writes(listing, written.outcomes)
    # Give Back roll-calls: this month's opened, last month's closed, flags
    calls = roll_call.prepare(bot, today, listing)
    result.plan = result.plan + calls.plan
    adoption = None
    if not dry_run:
        written = bot.apply(calls.plan, on_outcome=on_outcome)
        result.report.extend(written)
        listing = bot.after_writes(listing, written.outcomes)
        adoption, listing = roll_call.settle(bot, today, calls, listing, written.outcomes)
    # last, so the dashboard shows what this run did, and what failed
    dashboard = refresh_dashboard(
        bot,
        today,
        dry_run=dry_run,
        outcomes=result.report.outcomes,
        listing=listing,
        adoption=adoption,
    )
    if dashboard is not None:
        result.report.extend(dashboard)
        # A ticked action (extend, waive, reassign) changed issues the sweep
        # already planned: plan those again now, as the sweep would, so the
        # run ends where a rerun would (a rerun on the same day writes nothing).
        for iid in _acted_on(dashboard):
            again = bot.plan_issue(iid, today)
            result.plan = result.plan + again
            result.report.extend(bot.apply(again))
    return result


def _acted_on(report: Report) -> list[int]:
    """The issues (other than the dashboard) a dashboard step wrote to."""
    found = {
        o.step.action.target.iid
        for o in report.outcomes
        if o.ok
        and o.step.workflow != registry.DASHBOARD.name
        and not isinstance(o.step.action, CreateIssue)
        and o.step.action.target.iid is not None
    }
    return sorted(found)
