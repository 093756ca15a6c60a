"""`salesbot serve` under load: the three receiver figures of issue 15.

    python -m benchmarks.receiver [--n 1000] [--latency 0.03] [--rate 200] [--seconds 10]

Against the benchmark sandbox (a child process, `benchmarks.server`, N seeded
bot issues, every one with a stale progress label, 30 ms per request), the
receiver runs in this process with the real Bot, as `salesbot serve` runs it:

1. **Wrong or missing secret**: 1,000 deliveries with a wrong, empty or no
   `X-Gitlab-Token`; every answer must be 401 and the sandbox must see no
   request at all.
2. **Latency**: one person's tick at a time (a PUT of the description as that
   person, then the Issue Hook); from the delivery's arrival to the bot's
   label change being written (the receiver's own log: time waited in the
   queue plus time to re-read, plan and write), p50 and p95.
3. **Burst**: `rate` events a second for `seconds` s on random issues (100 of
   them finished by hand, so they also need a summary note and a close);
   then a scheduled sweep runs while the receiver is still busy. Nothing is
   lost (a second sweep finds nothing to do), no summary is written twice,
   every answer is 2xx and quick, and the process's peak RSS stays low.

No figure fails the build: read the verdicts.
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import random
import resource
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from automation.api import GitLabApi, Settings
from automation.bot import Bot
from automation.config import load
from automation.receiver.server import Running, build
from automation.sandbox.hook_payloads import Delivery, Instance, issue_event
from benchmarks.dataset import TODAY
from benchmarks.runner import config_dir, sandbox

SECRET = "bench-secret"
LATENCY_TARGET_S = 2.0
INTAKE_TARGET_S = 0.1
RSS_TARGET_MB = 200.0
FINISHED = 100  # issues a person finishes by hand before the burst


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class _Lines(logging.Handler):
    """Keeps the receiver's JSON log lines."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[dict[str, Any]] = []
        self._lock2 = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        with self._lock2:
            self.lines.append(json.loads(record.getMessage()))

    def take(self) -> list[dict[str, Any]]:
        with self._lock2:
            found, self.lines = self.lines, []
        return found


@dataclass
class Figures:
    n: int
    latency_s: float
    unauthorized: dict[str, Any] = field(default_factory=dict)
    latency: dict[str, Any] = field(default_factory=dict)
    burst: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "latency_s": self.latency_s,
            "unauthorized": self.unauthorized,
            "latency": self.latency,
            "burst": self.burst,
        }


def send_burst(
    url: str, deliveries: list[tuple[dict[str, str], bytes]], rate: int
) -> tuple[list[tuple[int, float, str]], float]:
    """POST every delivery, `rate` a second, from 16 threads; (status, seconds,
    outcome) per delivery and the seconds it took to send them all."""
    answers: list[tuple[int, float, str]] = []
    lock = threading.Lock()
    local = threading.local()
    start = time.monotonic()

    def send(k: int) -> None:
        if not hasattr(local, "session"):
            local.session = requests.Session()
        pause = start + k / rate - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        headers, body = deliveries[k]
        began = time.perf_counter()
        answer = local.session.post(url, data=body, headers=headers, timeout=10)
        took = time.perf_counter() - began
        with lock:
            answers.append((answer.status_code, took, answer.json().get("outcome", "")))

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(send, range(len(deliveries))))
    return answers, time.monotonic() - start


def _issue_json(iid: int, project_id: int, labels: list[str]) -> dict[str, Any]:
    return {"id": iid, "iid": iid, "project_id": project_id, "labels": labels, "state": "opened"}


def bench(
    n: int = 1000,
    *,
    latency: float = 0.03,
    rate: int = 200,
    seconds: float = 10.0,
    samples: int = 40,
    workdir: Path | None = None,
) -> Figures:
    figures = Figures(n, latency)
    where = Path(workdir or tempfile.mkdtemp(prefix="salesbot-receiver-bench-"))
    config = config_dir(n, where / "config")
    lines = _Lines()
    logger = logging.getLogger("salesbot.receiver")
    logger.handlers[:] = [lines]
    logger.setLevel(logging.INFO)
    logger.propagate = False
    with sandbox(n, stale=n, latency=latency) as child:
        settings = Settings(child.url, child.project, child.token)
        loaded, team = load(config)
        bot = Bot(api=GitLabApi(settings), config=loaded, team=team)
        person = GitLabApi(Settings(child.url, child.project, "sandbox-token-carol"))
        project = {"id": 1, "path_with_namespace": child.project, "name": "salesbot"}
        carol = {"id": 3, "username": "carol", "name": "Carol Chen"}
        instance = Instance(url=child.url, token=SECRET)
        label = loaded.labels.bot

        def delivery(iid: int, token: str | None = SECRET) -> Delivery:
            where = Instance(url=child.url, token=token, webhook_uuid=instance.webhook_uuid)
            issue = _issue_json(iid, 1, [label])
            return issue_event(issue, user=carol, project=project, instance=where)

        receiver = build(bot, secret=SECRET, today=lambda: TODAY, workers=4, capacity=1000)
        with Running(receiver) as running:
            session = requests.Session()
            post = f"{running.url}/webhook"
            child.ask("stats")
            # 1. wrong or missing secret
            codes: dict[str, int] = {}
            for k in range(1000):
                token = (None, "", "wrong", SECRET[:-1])[k % 4]
                d = delivery(1 + k % n, token)
                status = session.post(post, data=d.body, headers=d.headers, timeout=10).status_code
                codes[str(status)] = codes.get(str(status), 0) + 1
            seen = child.ask("stats")["total"]
            figures.unauthorized = {"answers": codes, "gitlab_requests": seen}
            lines.take()
            # 2. latency, one tick at a time
            samples = min(samples, n // 4)
            picked = random.Random(1).sample(range(1, n + 1), samples + min(FINISHED, n // 2))
            waits: list[float] = []
            for iid in picked[:samples]:
                issue = person.get_issue(iid)
                ticked = issue.description.replace("- [ ]", "- [x]", 1)
                person.update_issue(iid, {"description": ticked})
                d = delivery(iid)
                session.post(post, data=d.body, headers=d.headers, timeout=10)
                while receiver.dispatcher.queued or receiver.dispatcher.in_flight:
                    time.sleep(0.005)
                time.sleep(0.01)
            for line in lines.take():
                if line.get("outcome") == "done" and line.get("actions"):
                    waits.append((line["waited_ms"] + line["took_ms"]) / 1000)
            figures.latency = {
                "samples": len(waits),
                "p50_s": round(_percentile(waits, 0.5), 3),
                "p95_s": round(_percentile(waits, 0.95), 3),
                "max_s": round(max(waits, default=float("nan")), 3),
            }
            # 3. a burst, with a sweep racing the receiver afterwards
            finished = picked[samples:]

            def finish(iid: int) -> None:
                issue = person.get_issue(iid)
                person.update_issue(
                    iid, {"description": issue.description.replace("- [ ]", "- [x]")}
                )

            with ThreadPoolExecutor(8) as pool:
                list(pool.map(finish, finished))
            rng = random.Random(2)
            total = int(rate * seconds)
            targets = [
                rng.choice(finished) if k % 4 == 0 else rng.randint(1, n) for k in range(total)
            ]
            burst = [(d.headers, d.body) for d in map(delivery, targets)]
            # the deliveries come from another process, as GitLab's would: the
            # sender's threads must not compete with the receiver for this GIL
            with multiprocessing.get_context("spawn").Pool(1) as senders:
                answers, sent_s = senders.apply(send_burst, (post, burst, rate))
            sweep_report = bot.apply(bot.plan_sweep(TODAY))  # races the receiver's backlog
            deadline = time.monotonic() + 300
            while (
                receiver.intake.waiting
                or receiver.dispatcher.queued
                or receiver.dispatcher.in_flight
            ) and time.monotonic() < deadline:
                time.sleep(0.05)
            # what the racing sweep could not do (a failed request), the next one does
            second = bot.apply(bot.plan_sweep(TODAY))
            again = bot.plan_sweep(TODAY)
            summaries = 0
            doubled = 0
            for iid in finished:
                found = [
                    note
                    for note in bot.api.iter_notes(iid)
                    if note.author == "salesbot" and "salesbot:complete" in note.body
                ]
                summaries += len(found)
                doubled += max(0, len(found) - 1)
            took = [t for _, t, _ in answers]
            # every answer is 202 "accepted": what became of an event is in the log
            # (a job's line when it is done; a folded, duplicate or dropped event's own)
            outcomes: dict[str, int] = {}
            taken = lines.take()
            for line in taken:
                outcome = str(line.get("outcome"))
                if "took_ms" in line:  # a job's line: done, failed, closed...
                    outcome = "queued"
                outcomes[outcome] = outcomes.get(outcome, 0) + 1
            done_lines = [x for x in taken if x.get("outcome") in ("done", "failed")]
            event_waits = [(x["waited_ms"] + x["took_ms"]) / 1000 for x in done_lines]
            figures.burst = {
                "events": total,
                "sent_in_s": round(sent_s, 1),
                "non_2xx": sum(1 for status, _, _ in answers if not 200 <= status < 300),
                "answer_p50_ms": round(_percentile(took, 0.5) * 1000, 1),
                "answer_p95_ms": round(_percentile(took, 0.95) * 1000, 1),
                "answer_max_ms": round(max(took) * 1000, 1),
                "outcomes": outcomes,
                "jobs_failed": sum(1 for x in done_lines if x["outcome"] == "failed"),
                "event_to_write_p50_s": round(_percentile(event_waits, 0.5), 2),
                "event_to_write_p95_s": round(_percentile(event_waits, 0.95), 2),
                "sweep_after_burst_actions": len(sweep_report.outcomes),
                "sweep_after_burst_failures": [o.error for o in sweep_report.failures],
                "second_sweep_actions": len(second.outcomes),
                "third_sweep_actions": len(again),
                "finished_issues": len(finished),
                "summaries": summaries,
                "duplicate_summaries": doubled,
                "peak_rss_mb": round(_peak_rss_mb(), 1),
            }
    return figures


def verdicts(figures: Figures) -> list[tuple[str, str, bool]]:
    u, lat, b = figures.unauthorized, figures.latency, figures.burst
    return [
        (
            "1,000 bad secrets: all 401, no GitLab request",
            f"{u['answers']}, {u['gitlab_requests']} requests",
            u["answers"] == {"401": 1000} and u["gitlab_requests"] == 0,
        ),
        (
            "tick to label change p95 < 2 s",
            f"p50 {lat['p50_s']} s, p95 {lat['p95_s']} s",
            lat["p95_s"] < LATENCY_TARGET_S,
        ),
        (
            "burst: every answer 2xx within 100 ms",
            f"{b['non_2xx']} non-2xx, p95 {b['answer_p95_ms']} ms, max {b['answer_max_ms']} ms",
            b["non_2xx"] == 0 and b["answer_p95_ms"] < INTAKE_TARGET_S * 1000,
        ),
        (
            "burst: nothing lost (after the next sweeps nothing is left to do)",
            f"{b['second_sweep_actions']} done by the second sweep, "
            f"{b['third_sweep_actions']} left for a third",
            b["third_sweep_actions"] == 0,
        ),
        (
            "burst: zero duplicate notes",
            f"{b['duplicate_summaries']} of {b['summaries']} summaries",
            b["duplicate_summaries"] == 0,
        ),
        (
            "burst: peak RSS < 200 MB",
            f"{b['peak_rss_mb']} MB",
            b["peak_rss_mb"] < RSS_TARGET_MB,
        ),
    ]


def table(figures: Figures) -> str:
    rows = [
        f"receiver, N={figures.n:,} at {figures.latency_s * 1000:.0f} ms per request",
        json.dumps(figures.to_json(), indent=None),
    ]
    for what, value, ok in verdicts(figures):
        rows.append(f"  {'ok  ' if ok else 'MISS'} {what}: {value}")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.receiver")
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.03)
    parser.add_argument("--rate", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args(argv)
    print(table(bench(args.n, latency=args.latency, rate=args.rate, seconds=args.seconds)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
