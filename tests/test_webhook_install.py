"""`salesbot webhook install|status` against the sandbox's project hooks API."""

from __future__ import annotations

import pytest

from automation.sandbox import hooks
from tests.e2e import World

TODAY = "2026-11-27"
URL = "https://salesbot.example.com/webhook"


@pytest.fixture(autouse=True)
def secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SALESBOT_WEBHOOK_SECRET", "s3cret")


def project_hooks(world: World) -> list[hooks.Hook]:
    return hooks.table(world.sandbox._store).of(world.sandbox.project_id)


def test_install_registers_one_hook_with_the_secret_and_a_rerun_keeps_one(world: World) -> None:
    first = world.cli("webhook", "install", "--url", URL, today=TODAY)
    assert first.code == 0, first.err
    assert "webhook registered" in first.out and "s3cret" not in first.out + first.err
    (hook,) = project_hooks(world)
    assert hook.url == URL and hook.token == "s3cret"
    for event in ("issues_events", "confidential_issues_events", "note_events"):
        assert hook.wants(event)
    assert not hook.wants("push_events")  # on by default in GitLab: turned off
    again = world.cli("webhook", "install", "--url", URL, today=TODAY)
    assert again.code == 0 and "webhook updated" in again.out
    assert len(project_hooks(world)) == 1


def test_status_shows_the_hook_and_how_to_re_enable_it_when_gitlab_disabled_it(
    world: World,
) -> None:
    missing = world.cli("webhook", "status", today=TODAY)
    assert missing.code == 1 and "webhook install" in missing.out
    assert world.cli("webhook", "install", "--url", URL, today=TODAY).code == 0
    ok = world.cli("webhook", "status", today=TODAY)
    assert ok.code == 0 and URL in ok.out and "enabled" in ok.out
    (hook,) = project_hooks(world)
    with world.sandbox._store.lock:
        hooks.table(world.sandbox._store).disable(hook.id, until="2026-11-27T10:00:00.000Z")
    disabled = world.cli("webhook", "status", "--url", URL, today=TODAY)
    assert disabled.code == 1
    assert "DISABLED by GitLab until 2026-11-27T10:00:00.000Z" in disabled.out
    assert f"hooks/{hook.id}/test/issues_events" in disabled.out


def test_install_needs_the_maintainer_role(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITLAB_TOKEN", world.sandbox.token_for("bob"))  # a Developer
    result = world.cli("webhook", "install", "--url", URL, today=TODAY)
    assert result.code == 2 and "Maintainer" in result.err
    assert project_hooks(world) == []


def test_the_hooks_api_checks_the_url_and_never_returns_the_secret(world: World) -> None:
    api = world.api
    with pytest.raises(Exception, match="422"):
        api.create_hook({"url": "not a url", "token": "x"})
    made = api.create_hook({"url": URL, "token": "x", "issues_events": True})
    assert "token" not in made and made["alert_status"] == "executable"
    assert made["push_events"] is True  # GitLab's default
    assert [h["id"] for h in api.list_hooks()] == [made["id"]]
