"""`salesbot demo --live`: the sandbox, the webhook receiver, and a handover
one box short of done, so a person can tick the last box in a browser and
watch the bot label it complete and close it within a second or two.

Everything is what production runs: the sandbox sends GitLab's Issue Hook to
`salesbot serve`'s receiver (automation.receiver, with a generated secret and
the hook installed through the API as `salesbot webhook install` does), which
plans the issue with the sweep's planner.
"""

from __future__ import annotations

import secrets
import tempfile
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType

from rich.console import Console

from automation.api import GitLabApi, Settings
from automation.bot import Bot
from automation.checklist import parse
from automation.demo import build_world, serve_until_interrupted, tick
from automation.receiver import server
from automation.receiver.install import install
from automation.run import run
from automation.sandbox import Sandbox
from automation.workflows import handover


@dataclass(frozen=True)
class LiveIssue:
    url: str  # the issue's page
    iid: int
    person: str  # who ticks: the new account owner


class Live:
    """The running sandbox and receiver; `with Live(config) as live:`."""

    def __init__(self, config_path: Path, *, latency: float = 0.0, handovers: int = 1) -> None:
        self._config_path = config_path
        self._latency = latency
        self._count = handovers
        self._stack = ExitStack()
        self.sandbox = Sandbox()
        self.bot: Bot | None = None
        self.receiver_url = ""
        self.issue: LiveIssue | None = None
        self.issues: list[LiveIssue] = []  # `handovers` of them; `issue` is the first

    def start(self) -> Live:
        stack = self._stack
        sandbox = stack.enter_context(self.sandbox)
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="salesbot-live-")))
        world = build_world(self._config_path, workdir, sandbox)
        bot = self.bot = world.bot
        today = datetime.now(UTC).date()
        sellers = [m for m in world.team.active_members() if m.manager][:2]
        person = sellers[1].username
        requests = [
            handover.make(
                account="Globex Corporation" if n == 0 else f"Globex Corporation {n + 1}",
                account_id=f"001GLOBEX{n or ''}",
                from_user=sellers[0].username,
                to_user=person,
                effective=today + timedelta(days=7),
                reason="Territory realignment",
            )
            for n in range(self._count)
        ]
        report = bot.apply(bot.plan_handovers(requests, today))
        api = GitLabApi(Settings(sandbox.url, sandbox.project_path, sandbox.token_for(person)))
        for created in sorted(report.created, key=lambda i: i.iid):
            issue = api.get_issue(created.iid)
            api.update_issue(created.iid, {"description": all_but_last(issue.description)})
            web = f"{sandbox.url}/{sandbox.project_path}/-/issues/{created.iid}"
            self.issues.append(LiveIssue(web, created.iid, person))
        run(bot, today, config_path=self._config_path)  # the sweep: progress labels
        secret = secrets.token_urlsafe(24)
        receiver = server.build(bot, secret=secret, today=lambda: datetime.now(UTC).date())
        running = stack.enter_context(server.Running(receiver))
        self.receiver_url = running.url
        install(bot.api, f"{running.url}/webhook", secret, verify_ssl=False)
        sandbox.options.latency = self._latency
        self.issue = self.issues[0]
        return self

    def stop(self) -> None:
        self._stack.close()

    def __enter__(self) -> Live:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def all_but_last(description: str) -> str:
    """Every open box ticked except the last required one (🔴), which is the
    one whose tick completes the checklist."""
    items = [i for section in parse(description).sections for i in section.items]
    last = max((i.line for i in items if i.required), default=0)
    return tick(description, {i.line for i in items if not i.checked and i.line != last})


def run_live(console: Console, *, config_path: Path) -> None:
    """Start everything, print the link, serve until Ctrl+C."""
    with Live(config_path) as live:
        assert live.issue is not None
        sandbox = live.sandbox
        console.print(
            f"GitLab sandbox: {sandbox.url}/{sandbox.project_path}/-/issues", markup=False
        )
        console.print(
            f"salesbot receiver: {live.receiver_url}/webhook (hook installed)", markup=False
        )
        console.print(
            f"Open {live.issue.url} and sign in as {live.issue.person} (no password); tick "
            "the last box: the bot labels the handover complete and closes it within seconds.",
            markup=False,
        )
        serve_until_interrupted(console)


__all__ = ["Live", "LiveIssue", "all_but_last", "run_live"]
