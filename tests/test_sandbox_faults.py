"""`faults` and the sandbox around the app: throttling, injected faults, latency,
and persistence across restarts."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import gitlab
import pytest
import requests

from automation.sandbox import Sandbox


def bot(sandbox: Sandbox, *, retry: bool = True) -> gitlab.Gitlab:
    return gitlab.Gitlab(sandbox.url, private_token=sandbox.bot_token, retry_transient_errors=retry)


def test_every_response_carries_gitlabs_rate_limit_headers(
    make_sandbox: Callable[..., Sandbox],
) -> None:
    sandbox = make_sandbox(rate_limit=100)
    response = requests.get(
        f"{sandbox.url}/api/v4/user", headers={"PRIVATE-TOKEN": sandbox.bot_token}, timeout=5
    )
    headers = response.headers
    assert headers["RateLimit-Name"] == "throttle_authenticated_api"
    assert (headers["RateLimit-Limit"], headers["RateLimit-Observed"]) == ("100", "1")
    assert headers["RateLimit-Remaining"] == "99"
    assert int(headers["RateLimit-Reset"]) >= int(time.time())


def test_a_throttled_request_is_429_with_retry_after_and_plain_text(
    make_sandbox: Callable[..., Sandbox],
) -> None:
    sandbox = make_sandbox(rate_limit=2)
    headers = {"PRIVATE-TOKEN": sandbox.bot_token}
    statuses = [
        requests.get(f"{sandbox.url}/api/v4/user", headers=headers, timeout=5) for _ in range(3)
    ]
    throttled = statuses[-1]
    assert [r.status_code for r in statuses] == [200, 200, 429]
    assert throttled.text == "Retry later\n"
    assert int(throttled.headers["Retry-After"]) >= 1
    assert throttled.headers["RateLimit-ResetTime"].endswith("GMT")
    assert throttled.headers["RateLimit-Remaining"] == "0"
    # Another user has a budget of their own.
    alice = {"PRIVATE-TOKEN": sandbox.token_for("alice")}
    assert requests.get(f"{sandbox.url}/api/v4/user", headers=alice, timeout=5).status_code == 200


def test_python_gitlab_waits_out_a_429_and_retries(make_sandbox: Callable[..., Sandbox]) -> None:
    sandbox = make_sandbox(rate_limit=3)
    sandbox.options.rate_window = 1.0
    project = bot(sandbox).projects.get(sandbox.project_path)
    for number in range(4):
        project.issues.create({"title": f"t{number}"})
    assert len(project.issues.list(get_all=True)) == 4
    assert sandbox.requests.count(status=429) >= 1
    assert sandbox.requests.writes() == 4  # throttled requests never reached GitLab


def test_injected_502_and_503_are_retried_by_python_gitlab(
    make_sandbox: Callable[..., Sandbox],
) -> None:
    sandbox = make_sandbox(fault_rate=0.3, fault_seed=9)
    project = bot(sandbox).projects.get(sandbox.project_path)
    for number in range(6):
        project.issues.create({"title": f"t{number}"})
    sandbox.options.fault_rate = 0.0
    assert [i.title for i in project.issues.list(get_all=True, sort="asc")] == [
        f"t{n}" for n in range(6)
    ]
    faults = sandbox.requests.count(status=502) + sandbox.requests.count(status=503)
    assert faults >= 1
    assert sandbox.requests.writes() == 6  # a request failed before GitLab changes nothing


def test_faults_are_deterministic_for_a_seed(make_sandbox: Callable[..., Sandbox]) -> None:
    def statuses(seed: int) -> list[int]:
        sandbox = make_sandbox(fault_rate=0.5, fault_seed=seed)
        return [
            requests.get(f"{sandbox.url}/api/v4/users", timeout=5).status_code for _ in range(12)
        ]

    assert statuses(3) == statuses(3)
    assert set(statuses(3)) > {200}


def test_commit_then_fail_creates_the_issue_yet_answers_502(
    make_sandbox: Callable[..., Sandbox],
) -> None:
    sandbox = make_sandbox(commit_then_fail_rate=1.0)
    project = bot(sandbox, retry=False).projects.get(sandbox.project_path)
    with pytest.raises(gitlab.GitlabCreateError) as caught:
        project.issues.create({"title": "Half-done"})
    assert caught.value.response_code == 502
    assert [i.title for i in project.issues.list(get_all=True)] == ["Half-done"]
    assert sandbox.requests.writes() == 1


def test_a_retried_commit_then_fail_write_duplicates_the_issue(
    make_sandbox: Callable[..., Sandbox],
) -> None:
    """Why the bot marks its issues: a blind retry after a 502 creates twice."""
    sandbox = make_sandbox(commit_then_fail_rate=0.5, fault_seed=1)
    project = bot(sandbox).projects.get(sandbox.project_path)
    project.issues.create({"title": "Once"})
    sandbox.options.commit_then_fail_rate = 0.0
    created = sandbox.requests.count(method="POST")
    assert created >= 2
    assert [i.title for i in project.issues.list(get_all=True)] == ["Once"] * created


def test_latency_is_added_and_concurrent_requests_overlap(
    make_sandbox: Callable[..., Sandbox],
) -> None:
    sandbox = make_sandbox(latency=0.3)
    url = f"{sandbox.url}/api/v4/users"
    started = time.monotonic()
    threads = [
        threading.Thread(target=requests.get, args=(url,), kwargs={"timeout": 5}) for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    assert 0.3 <= elapsed < 0.9


def test_a_sqlite_sandbox_survives_a_restart(tmp_path: Path) -> None:
    data = tmp_path / "gitlab.sqlite"
    with Sandbox(data=data) as first:
        first.add_user("heidi", "Heidi Hopper")
        token = first.token_for("heidi")
        project = bot(first).projects.get(first.project_path)
        issue = project.issues.create({"title": "Kept", "labels": "a", "description": "- [x] t"})
        issue.notes.create({"body": "remember me"})
        project.issues.update(issue.iid, {"remove_labels": "a", "add_labels": "b"})
    with Sandbox(data=data) as second:
        assert second.token_for("heidi") == token
        heidi = gitlab.Gitlab(second.url, private_token=token).projects.get(second.project_path)
        kept = heidi.issues.get(1)
        assert (kept.title, kept.labels, kept.task_completion_status["completed_count"]) == (
            "Kept",
            ["b"],
            1,
        )
        assert [n.body for n in kept.notes.list(get_all=True)] == ["remember me"]
        assert len(kept.resourcelabelevents.list(get_all=True)) == 3
        assert {label.name for label in heidi.labels.list(get_all=True)} == {"a", "b"}
        assert heidi.issues.create({"title": "Next"}).iid == 2
        assert len(heidi.members.list(get_all=True)) == 10  # 9 seeded members + heidi
