"""A salesbot world for end-to-end tests: a sandbox GitLab, a config directory,
and the real CLI (`automation.cli.main`) pointed at them through the environment,
as a scheduled pipeline or a manager's shell would."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest

from automation.api import GitLabApi, Issue, Note, Settings
from automation.cli import main
from automation.index import track
from automation.sandbox import Sandbox

ROOT = Path(__file__).resolve().parent.parent

TEAM = """\
version: 1
members:
  - {username: alice, name: Alice Anderson, role: Area Sales Manager, segment: SMB,
     region: AMER, manager: null, start_date: 2022-03-07, department: Commercial}
  - {username: bob, name: Bob Brown, role: SMB Account Executive, segment: SMB,
     region: AMER, manager: alice, start_date: 2023-01-09, department: Commercial}
  - {username: carol, name: Carol Chen, role: Mid-Market Account Executive,
     segment: Mid-Market, region: AMER, manager: alice, start_date: 2023-05-01,
     department: Commercial}
  - {username: dave, name: Dave Diaz, role: SMB Account Executive, segment: SMB,
     region: EMEA, manager: alice, start_date: 2024-02-12, department: Commercial}
  - {username: heidi, name: Heidi Hart, role: Area Sales Manager, segment: Enterprise,
     region: AMER, manager: null, start_date: 2021-06-01, department: Enterprise}
  - {username: grace, name: Grace Garcia, role: SMB Account Executive, segment: SMB,
     region: AMER, manager: alice, start_date: 2026-12-01, department: Commercial,
     status: GRACE_STATUS}
  - {username: kim, name: Kim Kowalski, role: Strategic Account Leader,
     segment: Enterprise, region: AMER, manager: heidi, start_date: 2026-12-03,
     department: Enterprise}
"""


# `@TIERS` runs a test against a Free and a Premium sandbox (scoped labels
# exclusive only on Premium): the bot must end in the same state on both.
TIERS = pytest.mark.parametrize("sandbox", [False, True], ids=["free", "premium"], indirect=True)


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str


@dataclass
class World:
    sandbox: Sandbox
    config: Path
    capsys: pytest.CaptureFixture[str]

    def cli(self, *args: str, today: str) -> Result:
        self.capsys.readouterr()
        code = main(["--config", str(self.config), "--today", today, *args])
        captured = self.capsys.readouterr()
        return Result(code, captured.out, captured.err)

    def at(self, day: str) -> None:
        """Move the sandbox clock to 09:00 UTC of `day` (notes and events get that time)."""
        self.sandbox.set_time(datetime.combine(date.fromisoformat(day), time(9), tzinfo=UTC))

    def writes(self) -> int:
        return self.sandbox.requests.writes()

    @property
    def api(self) -> GitLabApi:
        return self.person("salesbot")

    def person(self, username: str) -> GitLabApi:
        token = self.sandbox.token_for(username)
        return GitLabApi(Settings(self.sandbox.url, self.sandbox.project_path, token))

    def issues(self, workflow: str | None = None) -> list[Issue]:
        found = []
        for issue in self.api.iter_issues(state="all"):
            tracked = track(issue, "salesbot")
            if tracked and (workflow is None or tracked.marker.workflow == workflow):
                found.append(issue)
        return found

    def issue(self, workflow: str, key: str) -> Issue:
        for issue in self.api.iter_issues(state="all"):
            tracked = track(issue, "salesbot")
            if tracked and tracked.key == (workflow, key):
                return issue
        raise AssertionError(f"no {workflow} issue with key {key}")

    def notes(self, iid: int, *, system: bool = False) -> list[Note]:
        return [n for n in self.api.iter_notes(iid) if n.system == system]

    def tick(self, username: str, iid: int, *texts: str) -> None:
        """`username` ticks the items whose text contains any of `texts`, in GitLab."""
        issue = self.api.get_issue(iid)
        lines = []
        for line in issue.description.split("\n"):
            if "[ ]" in line and any(t in line for t in texts):
                line = line.replace("[ ]", "[x]", 1)
            lines.append(line)
        self.person(username).update_issue(iid, {"description": "\n".join(lines)})

    def tick_all(self, username: str, iid: int) -> None:
        issue = self.api.get_issue(iid)
        body = issue.description.replace("- [ ]", "- [x]")
        self.person(username).update_issue(iid, {"description": body})

    def set_team(self, *, grace_status: str = "active") -> None:
        (self.config.parent / "team.yml").write_text(
            TEAM.replace("GRACE_STATUS", grace_status), encoding="utf-8"
        )


@pytest.fixture
def world(
    sandbox: Sandbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Iterator[World]:
    for username, name in (("heidi", "Heidi Hart"), ("kim", "Kim Kowalski")):
        sandbox.add_user(username, name)
    config_dir = tmp_path / "config"
    config_dir.mkdir()
    shutil.copy(ROOT / "config" / "salesbot.yml", config_dir / "salesbot.yml")
    monkeypatch.setenv("GITLAB_URL", sandbox.url)
    monkeypatch.setenv("GITLAB_TOKEN", sandbox.bot_token)
    monkeypatch.setenv("SALESBOT_PROJECT", sandbox.project_path)
    monkeypatch.delenv("CI_NODE_INDEX", raising=False)
    monkeypatch.delenv("CI_NODE_TOTAL", raising=False)
    made = World(sandbox, config_dir / "salesbot.yml", capsys)
    made.set_team()
    yield made
    sandbox.set_time(None)
