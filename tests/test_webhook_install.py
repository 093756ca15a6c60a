"""`salesbot webhook install|status` against the sandbox's project hooks API."""

from __future__ import annotations

from dataclasses import replace

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
    assert hook.url.startswith(URL + "?salesbot_secret=") and hook.token == "s3cret"
    assert "s3cret" not in hook.url
    for event in ("issues_events", "confidential_issues_events", "note_events"):
        assert hook.wants(event)
    assert not hook.wants("push_events")  # on by default in GitLab: turned off
    again = world.cli("webhook", "install", "--url", URL, today=TODAY)
    assert again.code == 0 and "webhook unchanged" in again.out
    assert len(project_hooks(world)) == 1


def hook_writes(world: World) -> list[str]:
    return [
        f"{r.method} {r.path}"
        for r in list(world.sandbox.requests.entries)
        if r.method != "GET" and "/hooks" in r.path
    ]


def test_an_unchanged_rerun_writes_nothing_and_a_changed_secret_url_or_event_one_put(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert world.cli("webhook", "install", "--url", URL, today=TODAY).code == 0
    assert [w.split()[0] for w in hook_writes(world)] == ["POST"]
    world.sandbox.requests.clear()
    # GitLab never returns the secret: the URL's fingerprint says it is the same
    assert world.cli("webhook", "install", "--url", URL, today=TODAY).code == 0
    assert hook_writes(world) == []
    monkeypatch.setenv("SALESBOT_WEBHOOK_SECRET", "n3w-secret")
    changed = world.cli("webhook", "install", "--url", URL, today=TODAY)
    assert changed.code == 0 and "webhook updated" in changed.out
    (hook,) = project_hooks(world)
    assert hook.token == "n3w-secret" and len(hook_writes(world)) == 1
    assert hook_writes(world)[0].startswith("PUT")
    world.sandbox.requests.clear()
    assert world.cli("webhook", "install", "--url", URL, today=TODAY).code == 0
    assert hook_writes(world) == []
    # a person turned an event off in GitLab's settings: put back, one PUT
    with world.sandbox._store.lock:
        table = hooks.table(world.sandbox._store)
        events = tuple((n, False if n == "note_events" else on) for n, on in hook.events)
        table.hooks[hook.id] = replace(table.hooks[hook.id], events=events)
    assert world.cli("webhook", "install", "--url", URL, today=TODAY).code == 0
    assert len(hook_writes(world)) == 1 and project_hooks(world)[0].wants("note_events")
    world.sandbox.requests.clear()
    moved = URL.replace("salesbot.", "bot.")
    assert world.cli("webhook", "install", "--url", moved, today=TODAY).code == 0
    assert [w.split()[0] for w in hook_writes(world)] == ["POST"]  # another URL: another hook
    assert len(project_hooks(world)) == 2


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
