"""What one event costs: re-read the issue, plan it as the sweep would, apply.

The payload is only a hint of *which* issue changed: the receiver always
re-reads it from GitLab, so a late, repeated or reordered delivery, or the
same event handled by two receivers, leads to the same decision as the
sweep's, and a second pass over an unchanged issue writes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from automation import dashboard
from automation.applier import Report
from automation.bot import Bot
from automation.dashboard import on_tick
from automation.errors import SalesbotError
from automation.index import track
from automation.receiver import logs
from automation.receiver.dispatch import Job
from automation.records import Issue


def carry_out_dashboard(bot: Bot, today: date, board: Issue) -> Report:
    """The dashboard's ticked actions, planned and carried out by the code
    `salesbot dashboard` uses (keep this the only call, so it can be
    re-pointed when automation.dashboard changes shape), reading only what the
    ticked boxes need: the dashboard's notes, one GET per issue a box names and
    its notes, never the listing. The figures and the "Needs attention"
    section stay as the last scheduled run drew them."""
    return on_tick.carry_out_ticks(bot, today, board)


@dataclass
class Processed:
    workflow: str = ""
    outcome: str = "done"  # done | not-ours | closed | nothing-ticked | failed
    actions: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


def process(bot: Bot, iid: int, today: date) -> Processed:
    issue = bot.api.get_issue(iid)
    item = track(issue, bot.api.me().username)
    if item is None:
        return Processed(outcome="not-ours")
    workflow = item.marker.workflow
    if not issue.is_open:
        return Processed(workflow, "closed")
    if workflow == dashboard.WORKFLOW:
        if not dashboard.ticked(issue.description):
            return Processed(workflow, "nothing-ticked")
        report = carry_out_dashboard(bot, today, issue)
    else:
        report = bot.apply(bot.plan_issue(iid, today, issue=issue))
    return Processed(
        workflow,
        "failed" if report.failures else "done",
        [o.step.action.summary() for o in report.outcomes if o.ok],
        [f"{o.step.action.summary()}: {o.error}" for o in report.failures],
    )


class Worker:
    """The dispatcher's handler: process a job and log one line for it."""

    def __init__(self, bot: Bot, today: Callable[[], date]) -> None:
        self.bot = bot
        self.today = today

    def __call__(self, job: Job) -> None:
        started = time.monotonic()
        first, *rest = job.events or [{}]
        try:
            done = process(self.bot, job.iid, self.today())
        except SalesbotError as exc:
            # a GitLab error: the next event or the next sweep does this issue
            done = Processed(outcome="failed", failures=[str(exc)])
        except Exception as exc:  # a bug must not stop the worker
            done = Processed(outcome="failed", failures=[f"internal error: {type(exc).__name__}"])
        logs.event(
            **first,
            outcome=done.outcome,
            workflow=done.workflow,
            actions=done.actions,
            failures=done.failures,
            coalesced=len(rest),
            waited_ms=round((started - job.queued_at) * 1000),
            took_ms=round((time.monotonic() - started) * 1000),
        )
