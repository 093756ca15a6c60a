"""SALESBOT_DEADLINE bounds a run's writes; what is left is reported, not lost."""

from __future__ import annotations

import pytest

from tests.e2e import World


def test_past_the_deadline_no_write_starts_and_the_next_run_finishes(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SALESBOT_DEADLINE", "0")
    result = world.cli("onboard", "sync", today="2026-11-27")
    assert result.code == 2
    assert "deadline" in result.err and world.issues() == []
    monkeypatch.delenv("SALESBOT_DEADLINE")
    assert world.cli("onboard", "sync", today="2026-11-27").code == 0
    assert len(world.issues("onboarding")) == 2


def test_a_deadline_that_is_not_a_number_is_an_input_error(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SALESBOT_DEADLINE", "soon")
    result = world.cli("sweep", today="2026-11-27")
    assert result.code == 1 and "SALESBOT_DEADLINE" in result.err


@pytest.mark.parametrize("command", [("run",), ("dashboard",)])
def test_past_the_deadline_no_dashboard_is_written(
    world: World, monkeypatch: pytest.MonkeyPatch, command: tuple[str, ...]
) -> None:
    # issue 12: the dashboard writes through Bot.apply, so the deadline holds for it too
    monkeypatch.setenv("SALESBOT_DEADLINE", "0")
    result = world.cli(*command, today="2026-11-27")
    assert result.code == 2 and "deadline" in result.err
    assert world.issues() == []  # nor any other issue (labels may be created: set-up)
    monkeypatch.delenv("SALESBOT_DEADLINE")
    assert world.cli(*command, today="2026-11-27").code == 0
    assert len(world.issues("dashboard")) == 1


@pytest.mark.parametrize("command", [("report", "--format", "json"), ("sweep",)])
def test_past_the_deadline_nothing_is_even_read(
    world: World, monkeypatch: pytest.MonkeyPatch, command: tuple[str, ...]
) -> None:
    # issue 13: SALESBOT_DEADLINE bounds reads as well as writes, so a slow
    # GitLab cannot keep a job listing issues past its budget
    world.sandbox.requests.clear()
    monkeypatch.setenv("SALESBOT_DEADLINE", "0")
    result = world.cli(*command, today="2026-11-27")
    assert result.code == 2 and "SALESBOT_DEADLINE" in result.err
    assert result.out == "" and len(world.sandbox.requests.entries) == 0
