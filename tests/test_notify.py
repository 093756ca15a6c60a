"""`salesbot notify`: the weekly digest to a Slack webhook, tested against a local receiver."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from automation import notify
from automation.cli import main
from automation.report import Snapshot
from tests.e2e import TODAY, dashboard_world
from tests.e2e import DashboardWorld as World

SECRET_PATH = "/services/T0000/B0000/not-a-real-webhook-secret"


class Receiver:
    """A Slack incoming webhook on 127.0.0.1 that records what it is sent."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.posts: list[dict[str, Any]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                receiver.posts.append(
                    {"path": self.path, "body": json.loads(self.rfile.read(length))}
                )
                self.send_response(receiver.status)
                self.end_headers()
                self.wfile.write(b"ok" if receiver.status == 200 else b"invalid_payload")

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{SECRET_PATH}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    started = Receiver()
    yield started
    started.close()


@pytest.fixture
def world(sandbox: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    built = dashboard_world(sandbox, tmp_path)
    for name, value in built.env().items():
        monkeypatch.setenv(name, value)
    return built


def notify_cli(world: World, *extra: str) -> int:
    return main(["--config", str(world.config), "--today", TODAY.isoformat(), "notify", *extra])


def test_the_digest_reaches_the_webhook_with_the_weeks_figures(
    world: World,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv(notify.WEBHOOK_VARIABLE, receiver.url)
    assert notify_cli(world) == 0
    assert len(receiver.posts) == 1 and receiver.posts[0]["path"] == SECRET_PATH
    text = receiver.posts[0]["body"]["text"]
    assert "*Account handovers*: 2 open, 1 overdue" in text
    assert f"|#{world.acme.iid} Account Handover: Acme Corp (bob → carol)>: Carol Chen" in text
    assert "Overdue* (2)" in text
    output = capsys.readouterr()
    assert "digest sent" in output.out
    assert SECRET_PATH not in output.out + output.err


def test_a_failing_webhook_warns_exits_zero_and_never_shows_the_url(
    world: World,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    receiver.status = 500
    monkeypatch.setenv(notify.WEBHOOK_VARIABLE, receiver.url)
    assert notify_cli(world) == 0
    output = capsys.readouterr()
    assert "warning: the weekly digest was not sent: the webhook answered 500" in output.err
    receiver.close()  # nobody listening any more
    assert notify_cli(world) == 0
    output2 = capsys.readouterr()
    assert "could not reach the webhook" in output2.err
    everything = output.out + output.err + output2.out + output2.err
    assert SECRET_PATH not in everything and "127.0.0.1:" not in everything


def test_without_a_webhook_nothing_is_sent(
    world: World,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv(notify.WEBHOOK_VARIABLE, raising=False)
    reads = world.sandbox.requests.count()
    assert notify_cli(world) == 0
    assert "SALESBOT_SLACK_WEBHOOK is not set; nothing sent" in capsys.readouterr().out
    assert world.sandbox.requests.count() == reads  # not even GitLab is asked


def test_untrusted_titles_cannot_mention_a_slack_channel() -> None:
    from datetime import date

    from automation.report import Person, Row

    row = Row(
        workflow="handover",
        key="k",
        iid=7,
        reference="g/p#7",
        title="<!channel> deal & <https://evil.example|click>",
        url="https://gitlab.example/g/p/-/issues/7",
        owner=Person("Eve <@U123>", "eve"),
        manager=None,
        phase="",
        progress=0.0,
        done=0,
        count=1,
        due=date(2026, 12, 1),
        status="overdue",
    )
    snapshot = Snapshot(TODAY, "g/p", (row,), (), ())
    text = json.dumps(notify.digest(snapshot), ensure_ascii=False)
    assert "<!channel>" not in text and "<@U123>" not in text
    assert "&lt;!channel&gt; deal &amp; &lt;https://evil.example¦click&gt;" in text
