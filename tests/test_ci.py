""".gitlab-ci.yml: valid for GitLab, and it runs salesbot the way a runner would."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from automation.config import load

ROOT = Path(__file__).resolve().parent.parent
CI_FILE = ROOT / ".gitlab-ci.yml"
GITLAB_CI_LOCAL = shutil.which("gitlab-ci-local")
TASKS = ("run", "sweep", "dashboard", "report", "notify")

# https://docs.gitlab.com/ci/yaml/ : the global keywords (and the deprecated
# globals GitLab still accepts); every other top-level key is a job.
GLOBAL_KEYWORDS = {
    "default",
    "include",
    "stages",
    "variables",
    "workflow",
    "spec",
    "image",
    "services",
    "cache",
    "before_script",
    "after_script",
}


class _CiLoader(yaml.SafeLoader):
    """Reads GitLab's `!reference [job, key]` tag as the list it holds."""


_CiLoader.add_constructor(
    "!reference",
    lambda loader, node: loader.construct_sequence(node),  # type: ignore[arg-type]
)


def ci_config() -> dict[str, Any]:
    data = yaml.load(CI_FILE.read_text(encoding="utf-8"), Loader=_CiLoader)
    assert isinstance(data, dict)
    return data


def resolved(config: dict[str, Any], name: str) -> dict[str, Any]:
    """A job with its `extends` merged in (deep for mappings, as GitLab does)."""
    job = config[name]
    parents = job.get("extends", [])
    merged: dict[str, Any] = {}
    for parent in [parents] if isinstance(parents, str) else parents:
        _deep_merge(merged, resolved(config, parent))
    _deep_merge(merged, {k: v for k, v in job.items() if k != "extends"})
    return merged


def _deep_merge(into: dict[str, Any], other: dict[str, Any]) -> None:
    for key, value in other.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _deep_merge(into[key], value)
        else:
            into[key] = value


def jobs(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: resolved(config, name)
        for name in config
        if name not in GLOBAL_KEYWORDS and not name.startswith(".")
    }


def script_text(job: dict[str, Any]) -> str:
    def flat(items: Any) -> list[str]:
        if isinstance(items, str):
            return [items]
        return [s for item in items or [] for s in flat(item)]

    return "\n".join(flat(job.get("script")))


def test_gitlab_ci_matches_the_schema() -> None:
    checker = ROOT / ".venv" / "bin" / "check-jsonschema"
    found = subprocess.run(
        [
            str(checker),
            "--builtin-schema",
            "vendor.gitlab-ci",
            "--data-transform",
            "gitlab-ci",
            str(CI_FILE),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert found.returncode == 0, found.stdout + found.stderr
    # what the schema lets through: undeclared stages and misspelled top-level keys
    config = ci_config()
    stages = [*config["stages"], ".pre", ".post"]
    for name, job in jobs(config).items():
        assert job.get("stage", "test") in stages, f"{name}: stage {job.get('stage')} undeclared"
        assert "script" in job or "trigger" in job, f"{name} is neither a keyword nor a job"


def test_every_job_that_writes_holds_the_salesbot_resource_group() -> None:
    config = ci_config()
    writers = ("salesbot run", "salesbot sweep", "salesbot dashboard", "salesbot handover")
    writing = {n: j for n, j in jobs(config).items() if any(w in script_text(j) for w in writers)}
    assert set(writing) >= {"run", "sweep", "sweep-4", "dashboard", "handover"}
    for name, job in writing.items():
        assert str(job.get("resource_group", "")).startswith("salesbot"), name
    assert config["sweep-4"]["parallel"] == 4


def test_the_handover_form_is_prefilled_and_the_token_is_never_in_the_file() -> None:
    config = ci_config()
    variables = config["variables"]
    for name in ("HANDOVER_ACCOUNT", "HANDOVER_FROM", "HANDOVER_TO", "HANDOVER_EFFECTIVE"):
        assert variables[name]["description"], name
    assert variables["HANDOVER_REASON"]["value"] in variables["HANDOVER_REASON"]["options"]
    assert set(TASKS) < set(variables["SALESBOT_TASK"]["options"])
    assert "salesbot handover open" in script_text(jobs(config)["handover"])
    text = CI_FILE.read_text(encoding="utf-8")
    assert "GITLAB_TOKEN:" not in text and "glpat-" not in text
    assert "`api` scope" in text
    report = jobs(config)["report"]["artifacts"]
    assert report["expose_as"] and "reports/report.html" in report["paths"]


# -- the pipeline, the way a runner runs it ----------------------------------------------


def _copy_repo(dest: Path) -> None:
    """The repository's files (tracked or not yet committed, never ignored ones)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file() and not name.startswith(".gitlab-ci-local"):
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=ci", "-c", "user.email=ci@example.test", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A clone-like copy with a GitLab remote, and a roster with a hire starting today."""
    copy = tmp_path / "repo"
    copy.mkdir()
    _copy_repo(copy)
    config, team = load(ROOT / "config" / "salesbot.yml")
    today = datetime.now(config.tz).date()
    members = [m.model_dump(mode="json") for m in team.members]
    hire = next(m for m in members if m["status"] == "active" and m["manager"])
    hire["start_date"] = today.isoformat()
    (copy / "config" / config.team_file).write_text(
        yaml.safe_dump({"version": team.version, "members": members}, sort_keys=False),
        encoding="utf-8",
    )
    _git(copy, "init", "-q", "-b", "main")
    _git(copy, "remote", "add", "origin", "https://gitlab.example.com/sales/salesbot.git")
    _git(copy, "add", "-A")
    _git(copy, "commit", "-q", "-m", "copy")
    return copy


def _ci_local(repo: Path, *args: str, env: dict[str, str] | None = None) -> str:
    assert GITLAB_CI_LOCAL is not None
    done = subprocess.run(
        [GITLAB_CI_LOCAL, "--home", str(repo.parent / "home"), "--no-color", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
    return done.stdout


def _scheduled(task: str, **variables: str) -> list[str]:
    args = [
        "--variable",
        "CI_PIPELINE_SOURCE=schedule",
        "--variable",
        f"SALESBOT_TASK={task}",
        "--ignore-predefined-vars",
        "CI_PIPELINE_SOURCE",
    ]
    for name, value in variables.items():
        args += ["--variable", f"{name}={value}"]
    return args


def _selected(repo: Path, *args: str) -> list[str]:
    listed = json.loads(_ci_local(repo, "--list-json", *args))
    return sorted(job["name"] for job in listed if job["when"] != "never")


needs_gitlab_ci_local = pytest.mark.skipif(
    GITLAB_CI_LOCAL is None or shutil.which("rsync") is None,
    reason="gitlab-ci-local (and rsync) not installed: run scripts/ci-tools.sh",
)


@needs_gitlab_ci_local
def test_a_scheduled_run_pipeline_runs_salesbot_against_gitlab(repo: Path, sandbox: Any) -> None:
    assert _selected(repo) == ["test"]  # a push runs the tests only
    assert _selected(repo, *_scheduled("sweep")) == ["sweep"]
    assert _selected(repo, *_scheduled("sweep", SALESBOT_SWEEP_SHARDS="4")) == [
        f"sweep-4: [{i}/4]" for i in range(1, 5)
    ]
    schedule = _scheduled(
        "run",
        GITLAB_URL=sandbox.url,
        GITLAB_TOKEN=sandbox.bot_token,
        SALESBOT_PROJECT=sandbox.project_path,
        SALESBOT_VENV=str(ROOT / ".venv"),  # the tested install, not a fresh one
    )
    assert _selected(repo, *schedule) == ["run"]
    _, team = load(repo / "config" / "salesbot.yml")
    for member in team.members:  # the roster's people are GitLab users
        sandbox.add_user(member.username, member.name)

    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITLAB_", "SALESBOT_"))}
    log = _ci_local(repo, "--force-shell-executor", *schedule, env=env)
    assert "PASS  run" in log

    issues = list(
        _bot_issues(sandbox),
    )
    assert any("workflow=onboarding" in i["description"] for i in issues), log[-3000:]
    html = repo / ".gitlab-ci-local" / "artifacts" / "run" / "reports" / "report.html"
    assert "Onboarding 30/60/90" in html.read_text(encoding="utf-8")
    assert sandbox.bot_token not in log


def _bot_issues(sandbox: Any) -> list[dict[str, Any]]:
    import gitlab

    client = gitlab.Gitlab(sandbox.url, private_token=sandbox.bot_token)
    project = client.projects.get(sandbox.project_path)
    return [i.attributes for i in project.issues.list(get_all=True, labels=["salesbot"])]
