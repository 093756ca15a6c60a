"""Shared fixtures: a GitLab sandbox per test, and python-gitlab pointed at it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import gitlab
import pytest
from gitlab.v4.objects import Project

from automation.sandbox import Sandbox

# the `world` fixture: the real CLI against a sandbox with a test config
pytest_plugins = ["tests.e2e"]


def _no_server_errors(sandbox: Sandbox) -> None:
    """A 500 from the sandbox is a bug in the sandbox, whichever test met it."""
    if sandbox.errors:
        pytest.fail("the GitLab sandbox crashed:\n" + "\n".join(sandbox.errors), pytrace=False)


@pytest.fixture
def sandbox(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    """A started Free-tier sandbox with the default users and project; Premium
    when a test parametrizes it indirectly with True (see `tests.e2e.TIERS`)."""
    with Sandbox(premium=bool(getattr(request, "param", False))) as started:
        yield started
    _no_server_errors(started)


@pytest.fixture
def make_sandbox() -> Iterator[Callable[..., Sandbox]]:
    """`make_sandbox(premium=True, rate_limit=60, ...)` -> a started sandbox;
    all are stopped at teardown."""
    made: list[Sandbox] = []

    def make(**options: Any) -> Sandbox:
        started = Sandbox(**options).start()
        made.append(started)
        return started

    yield make
    for started in made:
        started.stop()
    for started in made:
        _no_server_errors(started)


@pytest.fixture
def gl(sandbox: Sandbox) -> Iterator[gitlab.Gitlab]:
    """python-gitlab as the bot, retrying transient errors as salesbot does."""
    client = gitlab.Gitlab(
        sandbox.url, private_token=sandbox.bot_token, retry_transient_errors=True
    )
    yield client
    client.session.close()


@pytest.fixture
def project(gl: gitlab.Gitlab, sandbox: Sandbox) -> Project:
    return gl.projects.get(sandbox.project_path)
