"""`salesbot demo --serve`: after the story the sandbox stays up and the link
it prints opens the issue list in a browser (after a sign-in by username)."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent


def test_demo_serve_prints_a_link_that_opens() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "automation", "demo", "--serve"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        link = None
        deadline = time.monotonic() + 300
        for line in process.stdout:
            found = re.search(r"Inspect: (http://\S+)", line)
            if found:
                link = found.group(1)
                break
            assert time.monotonic() < deadline, "no Inspect link printed"
        assert link is not None and link.endswith("/-/issues")
        first = requests.get(link, timeout=10)
        assert first.status_code == 401 and 'name="username"' in first.text  # sign in first
        session = requests.Session()
        base = link.split("/", 3)
        session.post(f"{base[0]}//{base[2]}/-/sign_in", data={"username": "salesbot"}, timeout=10)
        page = session.get(link, timeout=10)
        assert page.status_code == 200 and "/-/issues/1" in page.text
        issue = session.get(f"{link}/1", timeout=10)
        assert issue.status_code == 200 and 'id="title"' in issue.text
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
