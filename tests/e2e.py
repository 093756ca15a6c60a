"""The end-to-end harness every e2e test uses: a sandbox GitLab, a config
directory, and the real CLI (`automation.cli.main`) pointed at them through the
environment, as a scheduled pipeline or a manager's shell would.

- `World`: run the CLI (`cli` captures its output; `job` runs it as a scheduled
  job on a day, `spawn` in a process of its own), move the sandbox clock, act
  as a person in GitLab (tick boxes), and read what GitLab holds.
- the `world` fixture: a `World` with the shipped config and the `TEAM` roster.
- `dashboard_world`: a `DashboardWorld`, two handovers and two hires' plans
  already opened and swept by the bot, with the dashboard issue.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, TypeVar

import gitlab
import pytest
import requests
import yaml
from gitlab.v4.objects import Project

from automation import dashboard
from automation.api import GitLabApi, Settings
from automation.bot import Bot
from automation.cli import main
from automation.config import load
from automation.index import track
from automation.marker import find
from automation.records import Issue, Note
from automation.sandbox import Sandbox
from automation.workflows import handover

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
    """A sandbox, a config directory (`config` is its salesbot.yml), and the real
    CLI pointed at them; `capsys` lets `cli` capture what the CLI prints."""

    sandbox: Sandbox
    config: Path
    capsys: pytest.CaptureFixture[str] | None = None

    # -- running salesbot ------------------------------------------------------

    def env(self) -> dict[str, str]:
        return {
            "GITLAB_URL": self.sandbox.url,
            "GITLAB_TOKEN": self.sandbox.bot_token,
            "SALESBOT_PROJECT": self.sandbox.project_path,
        }

    def cli(self, *args: str, today: str) -> Result:
        """`salesbot --today TODAY ARGS...` in this process, its output captured,
        with the environment as it is (the `world` fixture points it here; a test
        may change it)."""
        assert self.capsys is not None, "World.cli captures output: build the World with capsys"
        self.capsys.readouterr()
        code = main(["--config", str(self.config), "--today", today, *args])
        captured = self.capsys.readouterr()
        return Result(code, captured.out, captured.err)

    def job(self, *args: str, day: str) -> int:
        """`salesbot --today DAY ARGS...` as a scheduled job on `day`: the sandbox
        clock at 09:00 of that day; returns the exit code (output not captured)."""
        self.at(day)
        with self._environment():
            return main(["--config", str(self.config), "--today", day, *args])

    def spawn(self, *args: str, day: str) -> subprocess.Popen[bytes]:
        """The same job in a process of its own (so it can be killed)."""
        self.at(day)
        env = {**os.environ, **self.env(), "PYTHONPATH": str(ROOT)}
        env.pop("CI_NODE_INDEX", None)
        env.pop("CI_NODE_TOTAL", None)
        command = ["-m", "automation", "--config", str(self.config), "--today", day, *args]
        return subprocess.Popen(
            [sys.executable, *command],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    @contextlib.contextmanager
    def _environment(self) -> Iterator[None]:
        """This world's GitLab in the environment for one call (not sharded)."""
        names = (*self.env(), "CI_NODE_INDEX", "CI_NODE_TOTAL")
        saved = {name: os.environ.get(name) for name in names}
        os.environ.update(self.env())
        os.environ.pop("CI_NODE_INDEX", None)
        os.environ.pop("CI_NODE_TOTAL", None)
        try:
            yield
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value

    def new_bot(self) -> Bot:
        """A `Bot` as `salesbot run` builds it, from this world's config."""
        config, team = load(self.config)
        return Bot(api=self.api, config=config, team=team)

    # -- the sandbox ---------------------------------------------------------------

    def at(self, day: str) -> None:
        """Move the sandbox clock to 09:00 UTC of `day` (notes and events get that time)."""
        self.sandbox.set_time(datetime.combine(date.fromisoformat(day), time(9), tzinfo=UTC))

    def calm(self) -> None:
        """No more injected faults nor throttling (people's own edits, and reading
        the end state, are not what is under test)."""
        options = self.sandbox.options
        options.fault_rate = options.commit_then_fail_rate = 0.0
        options.rate_limit = None

    def writes(self) -> int:
        return self.sandbox.requests.writes()

    # -- GitLab as people see it ---------------------------------------------------

    @property
    def api(self) -> GitLabApi:
        return self.person("salesbot")

    def person(self, username: str) -> GitLabApi:
        return api_for(self.sandbox, username, max_retries=None)

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

    def tick_first(self, username: str, iid: int) -> None:
        """`username` ticks the first open box of the issue."""
        issue = self.api.get_issue(iid)
        body = issue.description.replace("- [ ]", "- [x]", 1)
        self.person(username).update_issue(iid, {"description": body})

    def titled(self, text: str) -> Issue:
        """The first issue (any state) whose title contains `text`."""
        return next(i for i in self.api.iter_issues(state="all") if text in i.title)

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


def api_for(sandbox: Sandbox, username: str, *, max_retries: int | None = 0) -> GitLabApi:
    """`username`'s GitLab API; without retries unless asked (None: salesbot's default)."""
    settings = Settings(sandbox.url, sandbox.project_path, sandbox.token_for(username))
    if max_retries is None:
        return GitLabApi(settings)
    return GitLabApi(settings, max_retries=max_retries)


# -- python-gitlab and plain HTTP against the sandbox, as a person -----------------------


def as_user(sandbox: Sandbox, username: str = "salesbot") -> Project:
    """The sandbox project through python-gitlab, as `username`."""
    client = gitlab.Gitlab(sandbox.url, private_token=sandbox.token_for(username))
    return client.projects.get(sandbox.project_path)


def post(sandbox: Sandbox, path: str, data: dict[str, Any]) -> requests.Response:
    """POST `data` as JSON to the project's `path` (e.g. "/issues") as the bot."""
    return requests.post(
        f"{sandbox.url}/api/v4/projects/{sandbox.project_id}{path}",
        json=data,
        headers={"PRIVATE-TOKEN": sandbox.bot_token},
        timeout=5,
    )


def bodies(project: Project, iid: int, **params: Any) -> list[tuple[bool, str]]:
    """(system?, body) of every note of the issue, in the API's order."""
    notes = project.issues.get(iid, lazy=True).notes.list(get_all=True, **params)
    return [(note.system, note.body) for note in notes]


Gate = TypeVar("Gate", bound=Callable[..., Any])


def in_front(sandbox: Sandbox, gate: Gate) -> Gate:
    """Put a WSGI `gate` (wrapping `sandbox.wsgi_app`) in front of a sandbox that
    is not started yet: the server binds `wsgi_app` when it starts."""
    setattr(sandbox, "wsgi_app", gate)  # noqa: B010
    return gate


# -- the dashboard world ---------------------------------------------------------------

TODAY = date(2026, 12, 14)  # a Monday

# alice and grace manage; erin and frank are new hires; bob, carol and dave sell.
MEMBERS = [
    ("alice", "Alice Anderson", None, date(2022, 3, 7)),
    ("grace", "Grace Garcia", None, date(2021, 5, 3)),
    ("bob", "Bob Baker", "alice", date(2023, 1, 9)),
    ("carol", "Carol Chen", "alice", date(2023, 6, 12)),
    ("dave", "Dave Diaz", "grace", date(2024, 2, 5)),
    ("erin", "Erin Evans", "alice", TODAY - timedelta(days=40)),
    ("frank", "Frank Fischer", "grace", TODAY - timedelta(days=5)),
]


def team_data() -> dict[str, Any]:
    return {
        "version": 1,
        "members": [
            {
                "username": username,
                "name": name,
                "role": "Account Executive",
                "segment": "SMB",
                "region": "AMER",
                "manager": manager,
                "start_date": start.isoformat(),
                "department": "Commercial",
                "status": "active",
            }
            for username, name, manager, start in MEMBERS
        ],
    }


def write_config(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    config_path = directory / "salesbot.yml"
    shutil.copy(ROOT / "config" / "salesbot.yml", config_path)
    (directory / "team.yml").write_text(yaml.safe_dump(team_data()), encoding="utf-8")
    return config_path


def bot_for(sandbox: Sandbox, config_path: Path) -> Bot:
    config, team = load(config_path)
    return Bot(api=api_for(sandbox, "salesbot"), config=config, team=team)


@dataclass(kw_only=True)
class DashboardWorld(World):
    """A `World` whose bot (no retries) has opened and swept these issues."""

    bot: Bot = field(repr=False)
    acme: Issue  # handover, overdue
    globex: Issue  # handover, due in two weeks
    erin: Issue  # onboarding plan, Day 30 overdue

    def board(self) -> Issue:
        """The one dashboard issue."""
        found = [i for i in self.bot.api.iter_issues(state="all") if find(i.description)]
        boards = [
            i for i in found if find(i.description) == dashboard.MARKER and i.author == "salesbot"
        ]
        assert len(boards) == 1
        return boards[0]


def dashboard_world(sandbox: Sandbox, tmp_path: Path) -> DashboardWorld:
    """Two handovers and two hires' plans, swept once as `salesbot run` would."""
    config_path = write_config(tmp_path / "config")
    bot = bot_for(sandbox, config_path)
    handovers = [
        handover.make(
            account="Acme Corp",
            from_user="bob",
            to_user="carol",
            effective=TODAY - timedelta(days=20),
        ),
        handover.make(account="Globex", from_user="bob", to_user="dave", effective=TODAY),
    ]
    erin_start = next(start for name, *_, start in MEMBERS if name == "erin")
    for plan in (
        bot.plan_onboarding(erin_start),  # erin's plan opened on her first day
        bot.plan_handovers(handovers, TODAY),
        bot.plan_onboarding(TODAY),
    ):
        assert not bot.apply(plan).failures
    assert not bot.apply(bot.plan_sweep(TODAY)).failures
    by_title = {i.title: i for i in bot.issues(state="opened")}

    def titled(word: str, kind: str) -> Issue:
        return next(i for t, i in by_title.items() if word in t and kind in i.description)

    return DashboardWorld(
        sandbox=sandbox,
        config=config_path,
        bot=bot,
        acme=titled("Acme", "salesbot:marker workflow=handover"),
        globex=titled("Globex", "salesbot:marker workflow=handover"),
        erin=next(i for i in by_title.values() if "workflow=onboarding key=erin@" in i.description),
    )
