"""The handover lifecycle against a real GitLab project, to prove salesbot on your
own instance. Skipped unless SALESBOT_LIVE_URL, SALESBOT_LIVE_TOKEN and
SALESBOT_LIVE_PROJECT are set; SALESBOT_LIVE_USERS names two project members
("outgoing,incoming"; default: the token's own user and the first other member).
Run with `pytest -m live`. It opens one confidential issue per run and closes it.

Without the live variables the same tests run against the sandbox, so they are
known to pass before anyone points them at a real instance.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from automation.api import GitLabApi, Settings
from automation.cli import main
from automation.index import track
from automation.records import Issue
from automation.sandbox import Sandbox

ROOT = Path(__file__).resolve().parent.parent
LIVE = all(
    os.environ.get(v) for v in ("SALESBOT_LIVE_URL", "SALESBOT_LIVE_TOKEN", "SALESBOT_LIVE_PROJECT")
)


@dataclass(frozen=True)
class Target:
    url: str
    token: str
    project: str
    outgoing: str
    incoming: str

    def api(self) -> GitLabApi:
        return GitLabApi(Settings(self.url, self.project, self.token))


@pytest.fixture(params=[pytest.param("live", marks=pytest.mark.live), "sandbox"])
def target(request: pytest.FixtureRequest) -> Iterator[Target]:
    if request.param == "live":
        if not LIVE:
            pytest.skip("set SALESBOT_LIVE_URL, SALESBOT_LIVE_TOKEN and SALESBOT_LIVE_PROJECT")
        env = os.environ
        url, token = env["SALESBOT_LIVE_URL"], env["SALESBOT_LIVE_TOKEN"]
        project = env["SALESBOT_LIVE_PROJECT"]
        users = [u for u in env.get("SALESBOT_LIVE_USERS", "").split(",") if u]
        if len(users) < 2:
            pytest.skip("set SALESBOT_LIVE_USERS=outgoing,incoming (two project members)")
        yield Target(url, token, project, users[0], users[1])
        return
    with Sandbox() as sandbox:
        yield Target(sandbox.url, sandbox.bot_token, sandbox.project_path, "bob", "carol")


def snapshot(api: GitLabApi, bot: str) -> list[tuple[int, str, tuple[str, ...]]]:
    """What a person would see change: every bot issue's update time and labels."""
    return sorted(
        (i.iid, i.updated_at, i.labels)
        for i in api.iter_issues(labels=["salesbot"], state="all")
        if track(i, bot)
    )


def find(api: GitLabApi, account_id: str) -> list[Issue]:
    return [
        i for i in api.iter_issues(labels=["salesbot"], state="all") if account_id in i.description
    ]


def test_handover_lifecycle(
    target: Target, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    config = tmp_path / "salesbot.yml"
    shutil.copy(ROOT / "config" / "salesbot.yml", config)
    (tmp_path / "team.yml").write_text("version: 1\nmembers: []\n", encoding="utf-8")
    monkeypatch.setenv("GITLAB_URL", target.url)
    monkeypatch.setenv("GITLAB_TOKEN", target.token)
    monkeypatch.setenv("SALESBOT_PROJECT", target.project)
    account_id = f"live-{uuid.uuid4().hex[:10]}"
    args = ["--config", str(config), "--today", "2026-11-27", "handover", "open",
            "--account", "Live Test Account", "--account-id", account_id,
            "--from", target.outgoing, "--to", target.incoming]  # fmt: skip
    api = target.api()
    bot = api.me().username

    assert main([*args, "--dry-run"]) == 0
    assert token_free(capsys, target.token)
    assert find(api, account_id) == []

    assert main(args) == 0
    (issue,) = find(api, account_id)
    try:
        assert issue.assignees[:1] == (target.incoming,) and issue.confidential
        assert "progress::not-started" in issue.labels
        before = snapshot(api, bot)
        assert main(args) == 0  # a rerun changes nothing a person could see
        assert snapshot(api, bot) == before and len(find(api, account_id)) == 1
        # the incoming seller ticks a box: the sweep labels progress
        ticked = issue.description.replace("- [ ]", "- [x]", 1)
        api.update_issue(issue.iid, {"description": ticked})
        sweep = ["--config", str(config), "--today", "2026-11-27", "sweep"]
        assert main(sweep) == 0
        assert "progress::in-progress" in api.get_issue(issue.iid).labels
        assert token_free(capsys, target.token)
    finally:
        api.update_issue(issue.iid, {"state_event": "close"})


def token_free(capsys: pytest.CaptureFixture[str], token: str) -> bool:
    captured = capsys.readouterr()
    return token not in captured.out + captured.err
