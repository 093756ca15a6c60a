"""`salesbot serve` against the sandbox: the tests act as GitLab (they POST
Issue and Note Hook deliveries) while the real bot works on the sandbox."""

from __future__ import annotations

import json
import logging
import threading
from datetime import date

import pytest
import requests

from automation import dashboard
from tests.e2e import World
from tests.receiver_helpers import SECRET, GitLab, bot_for, idle, receiver, wait_for

TODAY = "2026-11-27"
DAY = date.fromisoformat(TODAY)


def open_handover(world: World, account: str, to: str = "carol") -> int:
    result = world.cli(
        "handover", "open", "--account", account, "--from", "bob", "--to", to,
        "--effective", "2026-12-07", today=TODAY,
    )  # fmt: skip
    assert result.code == 0, result.err
    return next(i.iid for i in world.issues("handover") if account in i.title)


def tick_first(world: World, iid: int) -> None:
    """carol ticks the first open item of the issue."""
    issue = world.api.get_issue(iid)
    world.person("carol").update_issue(
        iid, {"description": issue.description.replace("- [ ]", "- [x]", 1)}
    )


def summaries(world: World, iid: int) -> list[str]:
    return [
        n.body for n in world.notes(iid) if n.author == "salesbot" and "salesbot:complete" in n.body
    ]


def test_ticking_the_last_box_completes_and_closes_the_issue_within_seconds(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    iid = open_handover(world, "Acme Corp")
    caplog.set_level(logging.INFO, "salesbot.receiver")
    with receiver(world.sandbox, world.config, DAY) as running:
        gitlab = GitLab(world.sandbox, running.url)
        before = gitlab.issue_json(iid)
        world.tick_all("carol", iid)
        answer = gitlab.send(gitlab.issue_event(iid, "carol", previous=before))
        assert answer.status_code == 202 and answer.json() == {"outcome": "accepted"}
        assert answer.elapsed.total_seconds() < 0.1
        wait_for(lambda: not world.api.get_issue(iid).is_open)
        wait_for(lambda: idle(running))
    issue = world.api.get_issue(iid)
    assert "progress::complete" in issue.labels and "progress::not-started" not in issue.labels
    assert len(summaries(world, iid)) == 1
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.getMessage().startswith("{")]
    done = [line for line in lines if line.get("iid") == iid]
    assert done[-1]["outcome"] == "done" and done[-1]["workflow"] == "handover"
    assert any("close" in action for action in done[-1]["actions"])
    assert all(SECRET_TEXT not in r.getMessage() for r in caplog.records)


SECRET_TEXT = "s3cret"


def test_a_wrong_or_missing_secret_is_refused_without_any_gitlab_request(world: World) -> None:
    iid = open_handover(world, "Acme Corp")
    with receiver(world.sandbox, world.config, DAY) as running:
        gitlab = GitLab(world.sandbox, running.url)
        delivery = gitlab.issue_event(iid, "carol")
        count = world.sandbox.requests.count()
        for token in ("wrong", "", "s3cret-for-test", "S3CRET-FOR-TESTS"):
            assert gitlab.send(delivery, X_Gitlab_Token=token).status_code == 401
        assert gitlab.send(delivery, X_Gitlab_Token=None).status_code == 401
        assert world.sandbox.requests.count() == count
        health = requests.get(f"{running.url}/-/health", timeout=5).json()
        assert health["unauthorized"] == 5 and health["processed"] == 0


def outcomes(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The receiver's log lines' outcomes, in order (the answer is always 202:
    what became of a delivery is decided after answering)."""
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.getMessage().startswith("{")]
    return [str(line["outcome"]) for line in lines if line.get("outcome") != "started"]


def test_a_redelivery_is_done_once_by_idempotency_key_or_by_body(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    iid = open_handover(world, "Acme Corp")
    caplog.set_level(logging.INFO, "salesbot.receiver")
    with receiver(world.sandbox, world.config, DAY) as running:
        gitlab = GitLab(world.sandbox, running.url)
        tick_first(world, iid)
        delivery = gitlab.issue_event(iid, "carol")
        assert gitlab.send(delivery).json()["outcome"] == "accepted"
        wait_for(lambda: idle(running))
        assert outcomes(caplog)[-1] == "done"
        # GitLab 17.4+: a retry keeps the Idempotency-Key (and here the body too)
        assert gitlab.send(delivery.retried()).status_code == 202
        wait_for(lambda: idle(running))
        assert outcomes(caplog)[-1] == "duplicate"
        # older GitLab sends no key: the same body is the same delivery
        older = gitlab.issue_event(iid, "carol")
        assert gitlab.send(older, Idempotency_Key=None).status_code == 202
        wait_for(lambda: idle(running))
        assert outcomes(caplog)[-1] != "duplicate"
        assert gitlab.send(older, Idempotency_Key=None).status_code == 202
        wait_for(lambda: idle(running))
        assert outcomes(caplog)[-1] == "duplicate"


def test_the_bots_own_events_and_other_issues_are_ignored(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    iid = open_handover(world, "Acme Corp")
    mine = world.person("bob").create_issue({"title": "not the bot's", "labels": "todo"})
    caplog.set_level(logging.INFO, "salesbot.receiver")
    with receiver(world.sandbox, world.config, DAY) as running:
        gitlab = GitLab(world.sandbox, running.url)
        own, other = gitlab.issue_event(iid, "salesbot"), gitlab.issue_event(mine.iid, "bob")
        count = world.sandbox.requests.count()
        assert gitlab.send(own).status_code == 202
        assert gitlab.send(other).status_code == 202
        wait_for(lambda: idle(running))
        assert world.sandbox.requests.count() == count  # no GitLab request for either
        assert running.receiver.dispatcher.processed == 0
    reasons = [
        json.loads(r.getMessage()).get("reason")
        for r in caplog.records
        if '"outcome": "ignored"' in r.getMessage()
    ]
    assert reasons == ["the bot's own event", "not a bot issue"]


def test_an_unreadable_body_is_answered_202_and_logged(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """GitLab counts a 4xx as a failed delivery: the body is read after answering."""
    caplog.set_level(logging.INFO, "salesbot.receiver")
    with receiver(world.sandbox, world.config, DAY) as running:
        answer = requests.post(
            f"{running.url}/webhook",
            data=b"not json",
            headers={"X-Gitlab-Token": SECRET, "X-Gitlab-Event": "Issue Hook"},
            timeout=5,
        )
        assert answer.status_code == 202
        wait_for(lambda: idle(running))
    assert outcomes(caplog)[-2:] == ["bad-payload", "stopped"]


def test_a_comment_on_a_bot_issue_is_acted_on(world: World) -> None:
    iid = open_handover(world, "Acme Corp")
    with receiver(world.sandbox, world.config, DAY) as running:
        gitlab = GitLab(world.sandbox, running.url)
        tick_first(world, iid)
        assert gitlab.send(gitlab.note_event(iid, "carol")).status_code == 202
        wait_for(lambda: "progress::in-progress" in world.api.get_issue(iid).labels)


def test_a_webhook_and_a_scheduled_sweep_racing_converge(world: World) -> None:
    """Every handover is finished by hand; the receiver gets every event while
    a sweep runs at the same time: each issue ends closed, labelled complete
    once, with one summary, and no issue is opened."""
    iids = [open_handover(world, f"Account {n}") for n in range(12)]
    for iid in iids:
        world.tick_all("carol", iid)
    world.sandbox.options.latency = 0.01  # so the two really overlap
    sweeper = bot_for(world.sandbox, world.config)
    with receiver(world.sandbox, world.config, DAY) as running:
        gitlab = GitLab(world.sandbox, running.url)
        deliveries = [gitlab.issue_event(iid, "carol") for iid in iids]
        sweep = threading.Thread(target=lambda: sweeper.apply(sweeper.plan_sweep(DAY)))
        sweep.start()
        for delivery in deliveries:
            assert gitlab.send(delivery).status_code == 202
        sweep.join()
        wait_for(lambda: idle(running), timeout=60)
    world.sandbox.options.latency = 0
    assert len(world.issues("handover")) == 12
    for iid in iids:
        issue = world.api.get_issue(iid)
        assert not issue.is_open
        assert [x for x in issue.labels if x.startswith("progress::")] == ["progress::complete"]
        assert len(summaries(world, iid)) == 1, f"#{iid}"
    # and a sweep afterwards finds nothing to do
    before = world.writes()
    assert world.cli("sweep", today=TODAY).code == 0
    assert world.writes() == before


def test_a_ticked_dashboard_box_is_carried_out(world: World) -> None:
    iid = open_handover(world, "Acme Corp")
    bot = bot_for(world.sandbox, world.config)
    dashboard.refresh(bot, date(2026, 12, 20))  # the handover is due soon: extend is offered
    board = next(i for i in world.issues("dashboard"))
    key = dashboard.action_key("extend", iid)
    assert f"- [ ] Extend #{iid}" in board.description
    ticked = board.description.replace(f"- [ ] Extend #{iid}", f"- [x] Extend #{iid}", 1)
    due = world.api.get_issue(iid).due_date
    with receiver(world.sandbox, world.config, date(2026, 12, 20)) as running:
        gitlab = GitLab(world.sandbox, running.url)
        world.person("alice").update_issue(board.iid, {"description": ticked})
        assert gitlab.send(gitlab.issue_event(board.iid, "alice")).status_code == 202
        wait_for(lambda: world.api.get_issue(iid).due_date != due)
        wait_for(lambda: idle(running))
    assert "- [x]" not in world.api.get_issue(board.iid).description  # carried out
    records = [n.body for n in world.notes(iid) if "salesbot:dashboard-action" in n.body]
    assert len(records) == 1 and "@alice" in records[0] and key in records[0]


def test_when_the_queue_is_full_events_are_dropped_and_the_sweep_catches_up(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    iids = [open_handover(world, f"Account {n}") for n in range(8)]
    for iid in iids:
        world.tick_all("carol", iid)
    caplog.set_level(logging.INFO, "salesbot.receiver")
    world.sandbox.options.latency = 0.05
    with receiver(world.sandbox, world.config, DAY, workers=1, capacity=1) as running:
        gitlab = GitLab(world.sandbox, running.url)
        deliveries = [gitlab.issue_event(iid, "carol") for iid in iids]
        answers = [gitlab.send(d) for d in deliveries]
        assert all(o.status_code == 202 for o in answers)  # GitLab never sees a failure
        wait_for(lambda: idle(running), timeout=60)
        assert "dropped" in outcomes(caplog)
    world.sandbox.options.latency = 0
    assert any('"outcome": "dropped"' in r.getMessage() for r in caplog.records)
    assert world.cli("sweep", today=TODAY).code == 0
    for iid in iids:
        assert not world.api.get_issue(iid).is_open
        assert len(summaries(world, iid)) == 1


def test_stopping_finishes_the_queued_work(world: World) -> None:
    iids = [open_handover(world, f"Account {n}") for n in range(4)]
    for iid in iids:
        world.tick_all("carol", iid)
    world.sandbox.options.latency = 0.05
    with receiver(world.sandbox, world.config, DAY, workers=1) as running:
        gitlab = GitLab(world.sandbox, running.url)
        for iid in iids:
            assert gitlab.send(gitlab.issue_event(iid, "carol")).status_code == 202
        assert requests.get(f"{running.url}/-/health", timeout=5).json()["status"] == "ok"
    # leaving the block stopped the server as SIGTERM does, after the work was done
    world.sandbox.options.latency = 0
    assert running.receiver.dispatcher.processed == len(iids)
    assert all(not world.api.get_issue(iid).is_open for iid in iids)


def test_serve_refuses_to_start_without_a_secret(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SALESBOT_WEBHOOK_SECRET", raising=False)
    result = world.cli("serve", today=TODAY)
    assert result.code == 1
    assert "SALESBOT_WEBHOOK_SECRET is not set" in result.err
