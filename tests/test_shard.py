"""`salesbot sweep --shard I/N`: N jobs share the tracked issues by key.

The shards' plans, put together, are the full sweep's plan (same actions,
none twice), each shard acts only on keys it owns, and a key's duplicates go
to the shard that owns the key, so the oldest issue and the ones it closes
are handled by one job.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from automation.actions import Plan, Step
from automation.api import GitLabApi, Settings
from automation.bot import Bot, Shard
from automation.cli import main
from automation.config import load
from automation.index import track
from automation.sandbox import Sandbox
from benchmarks.dataset import TODAY, issues, team_yaml
from benchmarks.server import seed

ROOT = Path(__file__).resolve().parent.parent
N = 150
# Three weeks on, handovers and some Day 30 phases are overdue: the plan holds
# label changes, due dates, nudges and duplicate closes, not just one kind.
LATER = TODAY + timedelta(days=21)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Sandbox, Bot, Path]]:
    sandbox = Sandbox()
    seed(sandbox, issues(N, stale=40))
    sandbox.start()
    for n, spec in enumerate(issues(3)):  # two runs at once opened these keys twice
        sandbox.create_issue(
            f"duplicate {n}", spec.description, labels=spec.labels, assignees=[spec.assignee]
        )
    where = tmp_path_factory.mktemp("shard")
    shutil.copy(ROOT / "config" / "salesbot.yml", where / "salesbot.yml")
    (where / "team.yml").write_text(team_yaml(N), encoding="utf-8")
    config, team = load(where / "salesbot.yml")
    api = GitLabApi(Settings(sandbox.url, sandbox.project_path, sandbox.bot_token))
    yield sandbox, Bot(api=api, config=config, team=team), where / "salesbot.yml"
    sandbox.stop()


def kinds(plan: Plan) -> Counter[str]:
    return Counter(
        f"{step.workflow}:{step.action.kind}:{getattr(step.action, 'reason', '')}" for step in plan
    )


def key_of(step: Step, keys: dict[int, tuple[str, str]]) -> tuple[str, str]:
    """The marker key of the issue a sweep step acts on."""
    target = step.action.target
    assert target.iid is not None
    return keys[target.iid]


def test_the_shards_together_are_the_full_sweep_and_never_overlap(
    world: tuple[Sandbox, Bot, Path],
) -> None:
    sandbox, bot, _ = world
    notes_read = sandbox.requests.count("GET", "/notes")
    full = bot.plan_sweep(LATER)
    # no issue has a comment yet (the list says so): no nudge history to read
    assert sandbox.requests.count("GET", "/notes") == notes_read
    plan_kinds = kinds(full)
    # the plan is rich enough to tell a bad partition from a good one
    # each overdue handover's label rides on its nudge (one request per issue)
    assert plan_kinds["handover:comment:nudge"] >= 20
    assert sum(n for k, n in plan_kinds.items() if k.endswith(":comment:duplicate")) == 3
    assert len(set(full.steps)) == len(full.steps)
    keys = {
        t.issue.iid: t.key
        for t in (track(i, "salesbot") for i in bot.api.iter_issues())
        if t is not None
    }
    for total in (2, 3, 7):
        shards = [bot.plan_sweep(LATER, shard=Shard(n, total)) for n in range(total)]
        seen: Counter[Step] = Counter(step for plan in shards for step in plan)
        assert seen == Counter(full.steps), f"{total} shards"
        for n, plan in enumerate(shards):
            assert len(plan) > 0, f"shard {n + 1}/{total} got nothing"
            owned = {key_of(step, keys) for step in plan}
            assert all(Shard(n, total).owns(*key) for key in owned)
    assert sandbox.requests.writes() == 0  # planning only reads


def test_the_cli_takes_the_shard_from_gitlab_ci(
    world: tuple[Sandbox, Bot, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sandbox, _, config = world
    monkeypatch.setenv("GITLAB_URL", sandbox.url)
    monkeypatch.setenv("GITLAB_TOKEN", sandbox.bot_token)
    monkeypatch.setenv("SALESBOT_PROJECT", sandbox.project_path)
    argv = ["--config", str(config), "--today", LATER.isoformat(), "sweep", "--dry-run", "--json"]

    def planned(*extra: str) -> list[str]:
        capsys.readouterr()
        assert main([*argv, *extra]) == 0
        return [
            f"{a['issue']} {a['summary']}" for a in json.loads(capsys.readouterr().out)["actions"]
        ]

    # GitLab CI's parallel: jobs get CI_NODE_INDEX 1..N and CI_NODE_TOTAL N
    monkeypatch.setenv("CI_NODE_TOTAL", "3")
    from_ci = []
    for index in ("1", "2", "3"):
        monkeypatch.setenv("CI_NODE_INDEX", index)
        from_ci.append(planned())
    assert from_ci[1] == planned("--shard", "2/3")  # the option wins over nothing else set
    monkeypatch.delenv("CI_NODE_INDEX")
    monkeypatch.delenv("CI_NODE_TOTAL")
    full = planned()
    assert sorted(full) == sorted(x for part in from_ci for x in part)
    assert sandbox.requests.writes() == 0


@pytest.mark.parametrize("text", ["0/3", "4/3", "2", "a/b", "1/0"])
def test_a_bad_shard_is_an_input_error(
    world: tuple[Sandbox, Bot, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    text: str,
) -> None:
    sandbox, _, config = world
    monkeypatch.setenv("GITLAB_URL", sandbox.url)
    monkeypatch.setenv("GITLAB_TOKEN", sandbox.bot_token)
    monkeypatch.setenv("SALESBOT_PROJECT", sandbox.project_path)
    assert main(["--config", str(config), "sweep", "--shard", text]) == 1
    assert f"--shard: '{text}'" in capsys.readouterr().err


def test_the_partition_does_not_change_between_processes() -> None:
    """Every job of a pipeline must agree on who owns a key: Python's hash() is
    salted per process, the shard hash is not (these values are pinned)."""
    owners = [
        next(n for n in range(4) if Shard(n, 4).owns("handover", key))
        for key in ("ACC-000001@2026-03-02", "ACC-000002@2026-03-02", "OPP-000003")
    ]
    assert owners == [1, 0, 2]
