"""`salesbot demo --live`: a newcomer ticks the last box of a handover on its
page and sees it labelled complete and closed, through the sandbox's webhook
and `salesbot serve`'s receiver. Once over plain HTTP (always), once in
headless Chromium driven over the DevTools protocol (when installed)."""

from __future__ import annotations

import contextlib
import html
import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from automation.demo_live import Live, all_but_last

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "config" / "salesbot.yml"
# CHROMIUM=/path/to/chromium overrides where the browser is looked for
CHROMIUM = (
    os.environ.get("CHROMIUM")
    or shutil.which("chromium")
    or ("/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)
)


@pytest.fixture(scope="module")
def live() -> Iterator[Live]:
    with Live(CONFIG) as running:
        yield running


def test_all_but_last_leaves_the_last_required_box_open() -> None:
    text = "## S\n\n- [ ] 🔴 a\n- [x] b\n- [ ] 🔴 c\n- [ ] d\n"
    assert all_but_last(text) == "## S\n\n- [x] 🔴 a\n- [x] b\n- [ ] 🔴 c\n- [x] d\n"


def _wait_closed(live: Live, seconds: float = 5.0) -> tuple[str, tuple[str, ...], float]:
    assert live.bot is not None and live.issue is not None
    started = time.monotonic()
    while True:
        issue = live.bot.api.get_issue(live.issue.iid)
        elapsed = time.monotonic() - started
        if issue.state == "closed" or elapsed > seconds:
            return issue.state, tuple(issue.labels), elapsed
        time.sleep(0.05)


def test_ticking_the_last_box_over_http_closes_the_handover(live: Live) -> None:
    assert live.issue is not None and live.bot is not None
    session = requests.Session()
    session.post(f"{live.sandbox.url}/-/sign_in", data={"username": live.issue.person}, timeout=10)
    page = session.get(live.issue.url, timeout=10).text
    labels_shown = re.search(r'<p id="labels">(.*?)</p>', page, re.S)
    assert labels_shown is not None and "progress::complete" not in labels_shown.group(1)
    open_boxes = re.findall(r'class="task" data-line="(\d+)" data-source="([^"]*)" />', page)
    assert len(open_boxes) == 1  # the demo leaves only the last required box open
    csrf = re.search(r'const csrf = "([0-9a-f]+)"', page)
    assert csrf is not None
    line, source = open_boxes[0]
    answer = session.post(
        f"{live.issue.url}/toggle_task",
        data={"csrf": csrf.group(1), "line": line, "source": html.unescape(source), "checked": "1"},
        timeout=10,
    )
    assert answer.status_code == 200
    state, labels, elapsed = _wait_closed(live)
    assert state == "closed" and "progress::complete" in labels and elapsed < 2
    page = session.get(live.issue.url, timeout=10).text
    assert 'id="state">Closed' in page and "progress::complete" in page
    assert f"@{live.issue.person}" in page and "as completed" in page
    assert any(status == 202 for _, _, status in live.sandbox.hooks.sent)


def _onto_3_and_4(read: int, write: int) -> None:
    """In the child: the browser reads commands on fd 3 and writes on fd 4."""
    read, write = os.dup(read), os.dup(write)  # out of the way of 3 and 4 first
    os.dup2(read, 3)
    os.dup2(write, 4)


class DevTools:
    """Chromium's DevTools protocol over `--remote-debugging-pipe` (fds 3 and
    4, NUL-terminated JSON): no websocket client needed."""

    def __init__(self, executable: str, profile: Path) -> None:
        to_browser_read, self._write = os.pipe()
        self._read, from_browser_write = os.pipe()
        self._process = subprocess.Popen(
            [
                executable,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--no-first-run",
                f"--user-data-dir={profile}",
                "--remote-debugging-pipe",
                "about:blank",
            ],
            close_fds=False,  # our pipe ends are non-inheritable (PEP 446); 3 and 4 are
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=lambda: _onto_3_and_4(to_browser_read, from_browser_write),
        )
        os.close(to_browser_read)
        os.close(from_browser_write)
        self._buffer = b""
        self._next = 0
        self.session = ""

    def call(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        self._next += 1
        message: dict[str, Any] = {"id": self._next, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self._write, json.dumps(message).encode() + b"\0")
        while True:
            while b"\0" not in self._buffer:
                chunk = os.read(self._read, 65536)
                if not chunk:
                    raise RuntimeError("chromium closed the DevTools pipe")
                self._buffer += chunk
            raw, self._buffer = self._buffer.split(b"\0", 1)
            reply = json.loads(raw)
            if reply.get("id") == self._next:
                if "error" in reply:
                    raise RuntimeError(reply["error"])
                return dict(reply.get("result", {}))

    def page(self) -> str:
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)[
            "sessionId"
        ]
        self.call("Page.enable", self.session)
        self.call("Runtime.enable", self.session)
        return self.session

    def evaluate(self, expression: str) -> Any:
        result = self.call(
            "Runtime.evaluate",
            self.session,
            expression=expression,
            awaitPromise=True,
            returnByValue=True,
        )
        return result.get("result", {}).get("value")

    def wait_for(self, expression: str, seconds: float) -> float:
        started = time.monotonic()
        while time.monotonic() - started < seconds:
            try:
                if self.evaluate(expression):
                    return time.monotonic() - started
            except RuntimeError:
                pass  # the page is reloading
            time.sleep(0.05)
        raise AssertionError(f"not true after {seconds}s: {expression}")

    def close(self) -> None:
        with contextlib.suppress(RuntimeError, OSError):
            self.call("Browser.close")
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
        os.close(self._write)
        os.close(self._read)


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (scripts/ci-tools.sh)")
def test_a_newcomer_ticks_the_last_box_in_chromium_and_sees_it_closed(tmp_path: Path) -> None:
    assert CHROMIUM is not None
    with Live(CONFIG) as live:
        assert live.issue is not None
        browser = DevTools(CHROMIUM, tmp_path / "profile")
        try:
            browser.page()
            browser.call("Page.navigate", browser.session, url=live.issue.url)
            browser.wait_for("!!document.getElementById('username')", 10)
            # sign in through the page's form, as a person would
            browser.evaluate(
                f"document.getElementById('username').value = {json.dumps(live.issue.person)};"
                "document.getElementById('sign-in').click(); true"
            )
            browser.wait_for("!!document.getElementById('signed-in')", 10)
            browser.wait_for(
                "[...document.querySelectorAll('input.task')].filter(b => !b.disabled"
                " && !b.checked).length === 1",
                10,
            )
            browser.evaluate(
                "[...document.querySelectorAll('input.task')].filter(b => !b.checked)[0].click();"
                " true"
            )
            seconds = browser.wait_for(
                "document.getElementById('state') &&"
                " document.getElementById('state').textContent.trim() === 'Closed' &&"
                " document.getElementById('labels').textContent.includes('progress::complete')",
                10,
            )
            assert seconds < 2, f"closed on the page after {seconds:.2f}s"
            marked = browser.evaluate("document.getElementById('notes').textContent")
            assert f"@{live.issue.person}" in marked and "as completed" in marked
        finally:
            browser.close()
