"""The naive baseline: what a sweep costs when written the obvious way.

It lists the bot's issues for their iids, GETs each issue one by one, decides
with salesbot's own rules (`automation.workflows.sweep`), then carries out the
writes one at a time. Same adapter, same data, same decisions as `salesbot
sweep`: only the request pattern differs, so the ratio of the two is what the
engine's design buys, whatever the machine.

With `--limit K` only the first K issues are examined; the caller scales the
per-issue part of the time up to all of them (the list is read in full).
"""

from __future__ import annotations

import argparse
import time
from datetime import date
from pathlib import Path
from typing import Any

from automation.actions import Plan, Step
from automation.api import GitLabApi, Settings
from automation.applier import Applier
from automation.config import load
from automation.index import track
from automation.registry import SWEPT
from automation.workflows import sweep
from automation.workflows.common import Environment


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="naive sweep")
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--today", type=date.fromisoformat, required=True)
    parser.add_argument("--limit", type=int, default=None, help="examine only the first K")
    return parser.parse_args(argv)


def main(argv: list[str]) -> tuple[int, dict[str, Any]]:
    """Run the naive sweep; returns (exit code, figures)."""
    started = time.perf_counter()
    args = _parse(argv)
    config, team = load(args.config)
    api = GitLabApi(Settings.from_env(default_project=config.gitlab.project))
    env = Environment(config, args.today)
    bot = api.me().username
    listing = time.perf_counter()
    iids = [i.iid for i in api.iter_issues(labels=[config.labels.bot], state="opened")]
    listed = time.perf_counter()
    chosen = iids[: args.limit] if args.limit else iids
    steps: list[Step] = []
    for iid in chosen:
        tracked = track(api.get_issue(iid), bot)
        if tracked is None or tracked.marker.workflow not in SWEPT:
            continue
        assessment = sweep.assess(env, tracked)
        notes = list(api.iter_notes(iid)) if assessment.needs_notes else []
        events = api.label_events(iid) if assessment.needs_events else []
        history = sweep.History(notes=notes, label_events=events, bot=bot)
        decision = sweep.decide(env, team, assessment, history)
        steps.extend(Step(tracked.marker.workflow, a) for a in decision.actions)
    report = Applier(api, workers=1).apply(Plan(tuple(steps)))
    done = time.perf_counter()
    figures = {
        "listed": len(iids),
        "examined": len(chosen),
        "setup_s": listing - started,
        "list_s": listed - listing,
        "per_issue_s": (done - listed) / max(1, len(chosen)),
        "planned": len(steps),
        "failed": len(report.failures),
    }
    return (2 if report.failures else 0), figures
