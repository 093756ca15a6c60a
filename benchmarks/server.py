"""The benchmark's GitLab: a sandbox seeded in-process, run as a child process.

The measured salesbot runs in processes of their own, so their peak RSS is
theirs alone. This process seeds N issues straight into the sandbox's store
(10,000 POSTs would take minutes and measure nothing), prints one JSON line
with the URL, token and project, then answers commands on standard input,
one per line, with one JSON line each:

    stats   request counts since the last `stats` (by endpoint, status, writes)
    state   a digest of the project's issues (iid, state, labels, notes)
    day D   the sandbox's clock to 09:00 UTC of day D (YYYY-MM-DD)
    quit    stop

    python -m benchmarks.server --n 1000 --stale 1000 --latency 0.03
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from automation.marker import find
from automation.sandbox import Sandbox
from automation.sandbox.markdown import summarize
from automation.sandbox.store import Issue, Label, Link, Store, format_time
from benchmarks.dataset import TODAY, IssueSpec, hires, issues, static_labels


def store_of(sandbox: Sandbox) -> Store:
    """The sandbox's record store. The sandbox has no bulk-seeding API, and
    going through `Sandbox.create_issue` would record label events and
    system notes that nobody reads; a benchmark only needs the records."""
    store: Store = sandbox._store
    return store


def seed(sandbox: Sandbox, specs: Iterable[IssueSpec], *, today: date = TODAY) -> int:
    """Put every issue into the sandbox's store as the bot authored it; returns
    how many. Creation times are one minute apart, oldest first, ending
    before `today`, so the list order is the seeding order."""
    store = store_of(sandbox)
    with store.lock:
        project = store.projects[sandbox.project_id]
        bot = store.user_by_username("salesbot")
        assert bot is not None
        moment = datetime.combine(today, time(0), tzinfo=UTC) - timedelta(days=30)
        for name in static_labels():
            if store.label_by_name(project.id, name) is None:
                store.put(
                    Label(
                        id=store.new_id(Label),
                        project_id=project.id,
                        name=name,
                        color="#6699cc",
                        description=None,
                        created_at=format_time(moment),
                    )
                )
        count = 0
        plans: dict[str, int] = {}  # a hire's onboarding issue id, by key
        for spec in specs:
            moment += timedelta(minutes=1)
            label_ids = []
            for name in spec.labels:
                label = store.label_by_name(project.id, name)
                assert label is not None, name
                label_ids.append(label.id)
            assignee = store.user_by_username(spec.assignee)
            stamp = format_time(moment)
            issue = store.put(
                Issue(
                    id=store.new_id(Issue),
                    iid=store.max_iid(project.id) + 1,
                    project_id=project.id,
                    title=spec.title,
                    description=spec.description,
                    state="opened",
                    created_at=stamp,
                    updated_at=stamp,
                    closed_at=None,
                    closed_by_id=None,
                    author_id=bot.id,
                    label_ids=tuple(label_ids),
                    assignee_ids=(assignee.id,) if assignee else (),
                    due_date=spec.due_date.isoformat(),
                    confidential=False,
                    discussion_locked=None,
                )
            )
            # as salesbot leaves them: each Give Back issue linked to its plan
            found = find(spec.description)
            if found and found.workflow == "onboarding":
                plans[found.key] = issue.id
            elif found and found.workflow == "give-back" and found.key in plans:
                store.put(
                    Link(
                        id=store.new_id(Link),
                        source_id=issue.id,
                        target_id=plans[found.key],
                        link_type="relates_to",
                        created_at=stamp,
                        updated_at=stamp,
                    )
                )
            # GitLab keeps the task counts with the rendered description; warm
            # the sandbox's cache so its first list page is as fast as its last.
            summarize(spec.description)
            count += 1
        store.commit()
    return count


def digest(sandbox: Sandbox) -> dict[str, Any]:
    """The project's issues as a comparable summary: per iid the state, labels
    and bodies of the notes people can see, plus a hash of it all."""
    store = store_of(sandbox)
    with store.lock:
        rows = []
        for issue in sorted(store.issues_of(sandbox.project_id), key=lambda i: i.iid):
            labels = sorted(store.labels[i].name for i in issue.label_ids)
            notes = [n.body for n in store.notes_of(issue.id) if not n.system]
            rows.append([issue.iid, issue.state, labels, issue.due_date, notes])
    text = json.dumps(rows, sort_keys=True)
    return {"issues": len(rows), "sha256": hashlib.sha256(text.encode()).hexdigest()}


def stats(sandbox: Sandbox) -> dict[str, Any]:
    """Request counts since the last call (the log is cleared)."""
    log = sandbox.requests
    entries = list(log.entries)
    result = {
        "by_kind": log.by_kind(),
        "statuses": dict(Counter(str(e.status) for e in entries)),
        "total": len(entries),
        "writes": log.writes(),
    }
    log.clear()
    return result


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.server")
    parser.add_argument("--n", type=int, required=True, help="issues to seed")
    parser.add_argument("--stale", type=int, default=0, help="issues with a stale label")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per request")
    parser.add_argument("--rate-limit", type=int, default=None, help="requests per window")
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    sandbox = Sandbox(rate_limit=args.rate_limit)
    sandbox.set_time(datetime.combine(TODAY, time(9), tzinfo=UTC))
    # the roster's hires are GitLab users and project members, as on a real
    # team: `salesbot run` checks every active roster username before planning
    for hire in hires(args.n, seed=args.seed):
        sandbox.add_user(hire.username, hire.name)
    seeded = seed(sandbox, issues(args.n, stale=args.stale, seed=args.seed))
    # the runs come a minute after the issues were made, as on a real GitLab
    # whose clock moves: a sweep's look at what changed since its listing
    # (automation.recheck) then finds what changed, not everything seeded
    sandbox.set_time(datetime.combine(TODAY, time(9, 1), tzinfo=UTC))
    sandbox.options.latency = args.latency
    sandbox.start()
    hello = {
        "url": sandbox.url,
        "token": sandbox.bot_token,
        "project": sandbox.project_path,
        "issues": seeded,
    }
    print(json.dumps(hello), flush=True)
    try:
        for line in sys.stdin:
            command = line.strip()
            if command == "stats":
                print(json.dumps(stats(sandbox)), flush=True)
            elif command == "state":
                print(json.dumps(digest(sandbox)), flush=True)
            elif command.startswith("day "):
                day = date.fromisoformat(command.split()[1])
                sandbox.set_time(datetime.combine(day, time(9), tzinfo=UTC))
                print(json.dumps({"day": day.isoformat()}), flush=True)
            elif command == "quit":
                break
            else:
                print(json.dumps({"error": f"unknown command {command!r}"}), flush=True)
    finally:
        sandbox.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
