"""Time bounds: a GitLab that accepts connections and never answers fails within
the request timeout (not that timeout times the retries), and SALESBOT_DEADLINE
bounds reads as well as writes."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from automation.api import GitLabApi
from automation.connection import Settings
from automation.errors import GitLabError, InputError


@pytest.fixture
def silent_gitlab() -> Iterator[str]:
    """A server that accepts every connection and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def test_a_gitlab_that_never_answers_fails_within_the_request_timeout(
    silent_gitlab: str,
) -> None:
    api = GitLabApi(Settings(silent_gitlab, "a/b", "t", timeout=0.5))
    started = time.monotonic()
    with pytest.raises(GitLabError, match=r"did not answer .*SALESBOT_REQUEST_TIMEOUT"):
        api.me()
    # one timeout, not one per retry (5 retries would take 3 s and more)
    assert time.monotonic() - started < 2.5


def test_writes_to_a_silent_gitlab_are_not_retried_past_the_timeout(silent_gitlab: str) -> None:
    api = GitLabApi(Settings(silent_gitlab, "a/b", "t", timeout=0.5))
    started = time.monotonic()
    with pytest.raises(GitLabError, match="did not answer"):
        api.create_note(1, "hello")
    assert time.monotonic() - started < 2.5


def test_the_deadline_bounds_reads(silent_gitlab: str) -> None:
    api = GitLabApi(
        Settings(silent_gitlab, "a/b", "t", timeout=30), deadline=time.monotonic() + 0.5
    )
    started = time.monotonic()
    with pytest.raises(GitLabError):
        api.me()
    assert time.monotonic() - started < 2.5
    with pytest.raises(GitLabError, match=r"deadline \(SALESBOT_DEADLINE\) passed"):
        api.find_user("someone")


def test_the_request_timeout_comes_from_the_environment() -> None:
    env = {"GITLAB_TOKEN": "t", "SALESBOT_PROJECT": "a/b"}
    assert Settings.from_env(env).timeout == 30
    assert Settings.from_env({**env, "SALESBOT_REQUEST_TIMEOUT": "5"}).timeout == 5
    with pytest.raises(InputError, match="SALESBOT_REQUEST_TIMEOUT: 'soon'"):
        Settings.from_env({**env, "SALESBOT_REQUEST_TIMEOUT": "soon"})
