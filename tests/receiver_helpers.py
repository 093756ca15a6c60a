"""Acting as GitLab towards `salesbot serve`: read the sandbox's JSON, build
the delivery (automation.sandbox.hook_payloads) and POST it."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote

import requests

from automation.api import GitLabApi, Settings
from automation.bot import Bot
from automation.config import load
from automation.receiver.dispatch import DEFAULT_CAPACITY
from automation.receiver.server import Running, build
from automation.sandbox import Sandbox
from automation.sandbox.hook_payloads import Delivery, Instance, issue_event, note_event

SECRET = "s3cret-for-tests"


def bot_for(sandbox: Sandbox, config: Path) -> Bot:
    settings = Settings(sandbox.url, sandbox.project_path, sandbox.bot_token)
    loaded, team = load(config)
    return Bot(api=GitLabApi(settings), config=loaded, team=team)


@contextmanager
def receiver(
    sandbox: Sandbox,
    config: Path,
    today: date,
    *,
    workers: int = 4,
    capacity: int = DEFAULT_CAPACITY,
) -> Iterator[Running]:
    """`salesbot serve` in a thread, with its own Bot, as a deployment runs it."""
    made = build(
        bot_for(sandbox, config),
        secret=SECRET,
        today=lambda: today,
        workers=workers,
        capacity=capacity,
    )
    with Running(made) as running:
        yield running


class GitLab:
    """Sends what GitLab would send for changes made in the sandbox."""

    def __init__(self, sandbox: Sandbox, url: str, token: str | None = SECRET) -> None:
        self.sandbox = sandbox
        self.url = url
        self.instance = Instance(url=sandbox.url, token=token)
        self._session = requests.Session()

    def _get(self, path: str) -> Any:
        response = self._session.get(
            f"{self.sandbox.url}/api/v4/{path}",
            headers={"PRIVATE-TOKEN": self.sandbox.bot_token},
            timeout=10,
        )
        response.raise_for_status()
        return response.json()

    def _project_path(self) -> str:
        return f"projects/{quote(self.sandbox.project_path, safe='')}"

    def issue_json(self, iid: int) -> dict[str, Any]:
        return dict(self._get(f"{self._project_path()}/issues/{iid}"))

    def user_json(self, username: str) -> dict[str, Any]:
        return dict(self._get(f"users?username={username}")[0])

    def issue_event(
        self, iid: int, by: str, *, action: str = "update", previous: dict[str, Any] | None = None
    ) -> Delivery:
        return issue_event(
            self.issue_json(iid),
            user=self.user_json(by),
            project=self._get(self._project_path()),
            instance=self.instance,
            action=action,
            previous=previous,
        )

    def note_event(self, iid: int, by: str, body: str = "a comment") -> Delivery:
        note = {"id": 1, "body": body, "author": self.user_json(by), "system": False}
        return note_event(
            note,
            self.issue_json(iid),
            user=self.user_json(by),
            project=self._get(self._project_path()),
            instance=self.instance,
        )

    def send(self, delivery: Delivery, **header_changes: str | None) -> requests.Response:
        headers = dict(delivery.headers)
        for name, value in header_changes.items():
            name = name.replace("_", "-")
            if value is None:
                headers.pop(name, None)
            else:
                headers[name] = value
        return self._session.post(
            f"{self.url}/webhook", data=delivery.body, headers=headers, timeout=10
        )


def wait_for(check: Callable[[], bool], timeout: float = 15.0) -> float:
    """Seconds until `check()` holds; fails after `timeout`."""
    start = time.monotonic()
    while not check():
        if time.monotonic() - start > timeout:
            raise AssertionError("timed out waiting")
        time.sleep(0.02)
    return time.monotonic() - start


def idle(running: Running) -> bool:
    dispatcher = running.receiver.dispatcher
    unread = running.receiver.intake.waiting
    return unread == 0 and dispatcher.queued == 0 and dispatcher.in_flight == 0
