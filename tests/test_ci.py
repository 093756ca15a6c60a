""".gitlab-ci.yml: valid for GitLab, and it runs salesbot the way a runner would."""

from __future__ import annotations

import json
import os
import re
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


def ci_config(path: Path = CI_FILE) -> dict[str, Any]:
    """A CI file with its `include: local` files merged in first, as GitLab does."""
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=_CiLoader)
    assert isinstance(data, dict)
    merged: dict[str, Any] = {}
    for include in data.pop("include", []):
        _deep_merge(merged, ci_config(ROOT / include["local"]))
    _deep_merge(merged, data)
    return merged


SWEEP_FILE = ROOT / ".gitlab" / "ci" / "sweep.yml"


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
            str(SWEEP_FILE),
            str(ROOT / ".gitlab" / "ci" / "salesbot.yml"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert found.returncode == 0, found.stdout + found.stderr
    # what the schema lets through: undeclared stages and misspelled top-level keys
    for config in (ci_config(), ci_config(SWEEP_FILE)):
        stages = [*config["stages"], ".pre", ".post"]
        for name, job in jobs(config).items():
            assert job.get("stage", "test") in stages, (
                f"{name}: stage {job.get('stage')} undeclared"
            )
            assert "script" in job or "trigger" in job, f"{name} is neither a keyword nor a job"


WRITERS = (
    "salesbot run",
    "salesbot sweep",
    "salesbot dashboard",
    "salesbot handover",
)


def writing_jobs(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n: j for n, j in jobs(config).items() if any(w in script_text(j) for w in WRITERS)}


def test_every_job_that_writes_holds_the_one_salesbot_resource_group() -> None:
    """One resource group for every writer, shards included: a sharded sweep
    never writes while `run`, `dashboard` or `handover` do."""
    config = ci_config()
    writing = writing_jobs(config)
    assert set(writing) == {"run", "dashboard", "handover"}
    for name, job in writing.items():
        assert job.get("resource_group") == "salesbot", name
        assert job.get("interruptible") is False, name
    # the sweep: a trigger job holds the group until its child pipeline ends
    sweep = jobs(config)["sweep"]
    assert sweep["resource_group"] == "salesbot"
    assert sweep["trigger"]["include"] == str(SWEEP_FILE.relative_to(ROOT))
    assert sweep["trigger"]["strategy"] == "depend"
    # whose shards are GitLab's own parallel jobs, none taking a group of its own
    # (it would wait for the lock its parent holds)
    shards = writing_jobs(ci_config(SWEEP_FILE))
    assert set(shards) == {"sweep", "sweep-2", "sweep-4", "sweep-8", "sweep-16"}
    for name, job in shards.items():
        assert "resource_group" not in job and job["interruptible"] is False, name
        assert script_text(job) == "salesbot sweep", name  # CI_NODE_INDEX/CI_NODE_TOTAL
        assert job.get("parallel", 1) == int(name.partition("-")[2] or 1), name


def _seconds(duration: str) -> int:
    """GitLab's `timeout` (e.g. "1h", "45m", "1h 30m") in seconds."""
    units = {"h": 3600, "m": 60, "s": 1}
    found = re.findall(r"(\d+)\s*([hms])", duration)
    assert found and "".join(n + u for n, u in found) == duration.replace(" ", ""), duration
    return sum(int(n) * units[u] for n, u in found)


def test_a_writing_job_stops_starting_writes_well_before_the_runner_kills_it() -> None:
    config = ci_config()
    writers = {**writing_jobs(config), **writing_jobs(ci_config(SWEEP_FILE))}
    for name, job in writers.items():
        deadline = int(job["variables"]["SALESBOT_DEADLINE"])
        timeout = _seconds(job["timeout"])
        # set-up (a cold .venv), the write in flight and the report fit in the rest
        assert deadline > 0 and timeout - deadline >= 15 * 60, name
        report = int(job["variables"].get("SALESBOT_REPORT_DEADLINE", 0))
        assert timeout - deadline - 3 * report >= 10 * 60, name
    test = jobs(config)["test"]
    assert test["interruptible"] is True and _seconds(test["timeout"]) <= 3600


def _rule_matches(expression: str, variables: dict[str, str]) -> bool:
    """GitLab's `rules:if` for what this file uses: `$VAR`, `==`, `!=`, `=~`,
    `!~`, `&&`, `||` and parentheses (https://docs.gitlab.com/ci/jobs/job_rules/).
    An unset variable is null: false alone, unequal to any string."""
    token = re.compile(r'\s*(\$\w+|"[^"]*"|/(?:[^/\\]|\\.)*/|==|!=|=~|!~|&&|\|\||\(|\))')
    tokens: list[str] = []
    rest = expression.strip()
    while rest:
        found = token.match(rest)
        assert found, f"cannot read {rest!r}"
        tokens.append(found[1])
        rest = rest[found.end() :].strip()

    def value(item: str) -> str | None:
        return variables.get(item[1:]) if item.startswith("$") else item.strip('"')

    def parse_or(i: int) -> tuple[bool, int]:
        result, i = parse_and(i)
        while i < len(tokens) and tokens[i] == "||":
            right, i = parse_and(i + 1)
            result = result or right
        return result, i

    def parse_and(i: int) -> tuple[bool, int]:
        result, i = parse_term(i)
        while i < len(tokens) and tokens[i] == "&&":
            right, i = parse_term(i + 1)
            result = result and right
        return result, i

    def parse_term(i: int) -> tuple[bool, int]:
        if tokens[i] == "(":
            result, i = parse_or(i + 1)
            assert tokens[i] == ")"
            return result, i + 1
        left = value(tokens[i])
        if i + 1 < len(tokens) and tokens[i + 1] in ("==", "!=", "=~", "!~"):
            op, right = tokens[i + 1], tokens[i + 2]
            if op in ("=~", "!~"):
                matched = left is not None and re.search(right[1:-1], left) is not None
                return matched == (op == "=~"), i + 3
            return (left == value(right)) == (op == "=="), i + 3
        return bool(left), i + 1

    result, end = parse_or(0)
    assert end == len(tokens), expression
    return result


def _workflow(variables: dict[str, str]) -> dict[str, Any] | None:
    """The workflow rule that decides a pipeline (None: no pipeline at all)."""
    for rule in ci_config()["workflow"]["rules"]:
        if "if" not in rule or _rule_matches(rule["if"], variables):
            return None if rule.get("when") == "never" else rule
    return None


def test_one_pipeline_per_change_and_no_silent_schedule() -> None:
    """gitlab-ci-local applies workflow:rules variables but not `when: never`,
    so the rules are evaluated here, as GitLab reads them."""
    branch = {"CI_COMMIT_BRANCH": "feature", "CI_PIPELINE_SOURCE": "push"}
    assert _workflow(branch) is not None
    # a push to a branch with an open merge request: only the MR pipeline runs
    assert _workflow({**branch, "CI_OPEN_MERGE_REQUESTS": "sales/salesbot!7"}) is None
    merge_request = {"CI_PIPELINE_SOURCE": "merge_request_event", "CI_OPEN_MERGE_REQUESTS": "x"}
    assert _workflow(merge_request) is not None
    assert _workflow({"CI_COMMIT_TAG": "v1.0", "CI_PIPELINE_SOURCE": "push"}) is not None
    # Run pipeline and schedules run even from a branch with an open MR
    web = {**branch, "CI_PIPELINE_SOURCE": "web", "CI_OPEN_MERGE_REQUESTS": "x"}
    assert _workflow(web) is not None
    schedule = _workflow({**branch, "CI_PIPELINE_SOURCE": "schedule"})
    # a schedule's own SALESBOT_TASK outranks this; without one it is "", and `no-task` fails
    assert schedule is not None and schedule["variables"] == {"SALESBOT_TASK": ""}
    no_task = jobs(ci_config())["no-task"]["rules"][0]["if"]
    assert _rule_matches(no_task, {"CI_PIPELINE_SOURCE": "schedule", "SALESBOT_TASK": ""})
    assert not _rule_matches(no_task, {"CI_PIPELINE_SOURCE": "schedule", "SALESBOT_TASK": "run"})


def test_every_salesbot_job_reuses_the_venv_cached_by_pyproject_content() -> None:
    config = ci_config()
    builders = {n: j for n, j in jobs(config).items() if "make venv" in str(j.get("before_script"))}
    assert set(builders) == {"run", "dashboard", "report", "notify", "handover"}
    shards = jobs(ci_config(SWEEP_FILE))
    builders.update((n, j) for n, j in shards.items() if n != "bad-shards")
    assert all("make venv" in str(j.get("before_script")) for j in builders.values())
    for name, job in {**builders, "test": jobs(config)["test"]}.items():
        caches = job["cache"] if isinstance(job["cache"], list) else [job["cache"]]
        venv = [c for c in caches if ".venv/" in c["paths"]]
        assert venv and venv[0]["key"] == {"files": ["pyproject.toml"]}, name


def test_the_makefile_stamp_follows_the_content_of_pyproject_not_its_mtime(
    tmp_path: Path,
) -> None:
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy2(ROOT / name, tmp_path / name)

    def stamp() -> Path:
        planned = subprocess.run(
            ["make", "-n", "venv"], cwd=tmp_path, capture_output=True, text=True, check=True
        ).stdout
        (touched,) = re.findall(r"^touch (\S+)$", planned, re.MULTILINE)
        return tmp_path / touched

    def up_to_date() -> bool:
        return subprocess.run(["make", "-q", "venv"], cwd=tmp_path, check=False).returncode == 0

    installed = stamp()
    assert not up_to_date()
    installed.parent.mkdir()
    installed.touch()
    os.utime(installed, (1, 1))  # a cache restored from long ago...
    (tmp_path / "pyproject.toml").touch()  # ...into a fresh checkout
    assert up_to_date()
    with (tmp_path / "pyproject.toml").open("a", encoding="utf-8") as changed:
        changed.write("\n# a new dependency\n")
    assert stamp() != installed and not up_to_date()


def test_the_test_job_installs_no_tools_in_the_ci_image_and_caches_them_otherwise() -> None:
    test = jobs(ci_config())["test"]
    assert test["image"] == "$SALESBOT_CI_IMAGE"
    assert any(".cache/ci-tools/" in c["paths"] for c in test["cache"])
    assert test["variables"]["CI_TOOLS_CACHE"].endswith(".cache/ci-tools")
    tools = (ROOT / "scripts" / "ci-tools.sh").read_text(encoding="utf-8")
    assert "Dir::Cache::Archives=$CACHE/apt" in tools and '--prefix "$CACHE/npm"' in tools
    stages = _docker_stages()
    assert "ci-tools" in stages["ci"]


def _docker_stages() -> dict[str, str]:
    """The Dockerfile's stages by name, each its instructions (continuations joined)."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    stages: dict[str, str] = {}
    name = ""
    for line in text.splitlines():
        if line.startswith("FROM "):
            found = re.fullmatch(r"FROM (\S+) AS (\S+)", line.strip())
            assert found, line
            name = found[2]
            stages[name] = line + "\n"
        elif name and line.strip() and not line.startswith("#"):
            stages[name] += line + "\n"
    return stages


def test_the_runner_image_installs_salesbot_from_its_wheel() -> None:
    """Static: no registry here to pull a base image from (tests/test_wheel.py
    proves the wheel itself works outside the checkout)."""
    stages = _docker_stages()
    assert {"wheel", "runner", "ci"} <= set(stages)
    for copied in re.findall(r"^COPY (?!--from)(.+) \S+$", stages["wheel"], re.MULTILINE):
        for source in copied.split():
            assert (ROOT / source).exists(), source
    assert "templates/" in stages["wheel"] and "pip wheel" in stages["wheel"]
    runner = stages["runner"]
    assert "COPY --from=wheel /dist/" in runner
    assert re.search(r"pip install [^\n]*salesbot-\*\.whl", runner)
    assert "ENV SALESBOT_IMAGE_VENV=/opt/salesbot" in runner
    ci = (ROOT / ".gitlab-ci.yml").read_text(encoding="utf-8")
    assert "--target runner" in ci
    assert "SALESBOT_IMAGE_VENV" in str(jobs(ci_config())["run"]["before_script"])
    assert jobs(ci_config())["run"]["image"] == "$SALESBOT_RUNNER_IMAGE"


def test_the_handover_form_is_prefilled_and_the_token_is_never_in_the_file() -> None:
    config = ci_config()
    variables = config["variables"]
    for name in (
        "HANDOVER_ACCOUNT",
        "HANDOVER_ACCOUNT_ID",
        "HANDOVER_FROM",
        "HANDOVER_TO",
        "HANDOVER_EFFECTIVE",
    ):
        assert variables[name]["description"], name
    assert "CRM account id" in variables["HANDOVER_ACCOUNT_ID"]["description"]
    assert variables["HANDOVER_REASON"]["value"] in variables["HANDOVER_REASON"]["options"]
    # a default Run pipeline runs the tests: it cannot fail on an empty form
    assert variables["SALESBOT_TASK"]["value"] == "test"
    assert set(TASKS) < set(variables["SALESBOT_TASK"]["options"])
    assert "salesbot handover open" in script_text(jobs(config)["handover"])
    text = CI_FILE.read_text(encoding="utf-8")
    assert "GITLAB_TOKEN:" not in text and "glpat-" not in text
    assert "`api` scope" in text
    report = jobs(config)["report"]["artifacts"]
    assert report["expose_as"] and "reports/report.html" in report["paths"]
    assert jobs(config)["run"]["artifacts"]["when"] == "always"


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


def _ci_local(
    repo: Path, *args: str, env: dict[str, str] | None = None, ok: bool = True, errors: bool = False
) -> str:
    """gitlab-ci-local's output; with `errors`, the jobs' standard error too."""
    assert GITLAB_CI_LOCAL is not None
    done = subprocess.run(
        [GITLAB_CI_LOCAL, "--home", str(repo.parent / "home"), "--no-color", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
        check=False,
    )
    assert (done.returncode == 0) is ok, (done.stdout + done.stderr)[-4000:]
    return done.stdout + done.stderr if errors else done.stdout


def _pipeline(source: str, task: str | None, **variables: str) -> list[str]:
    args = ["--variable", f"CI_PIPELINE_SOURCE={source}"]
    if task is not None:
        args += ["--variable", f"SALESBOT_TASK={task}"]
    for name, value in variables.items():
        args += ["--variable", f"{name}={value}"]
    return [*args, "--ignore-predefined-vars", "CI_PIPELINE_SOURCE"]


def _scheduled(task: str | None, **variables: str) -> list[str]:
    return _pipeline("schedule", task, **variables)


def _selected(repo: Path, *args: str) -> list[str]:
    listed = json.loads(_ci_local(repo, "--list-json", *args))
    return sorted(job["name"] for job in listed if job["when"] != "never")


def _against(sandbox: Any) -> dict[str, str]:
    return {
        "GITLAB_URL": sandbox.url,
        "GITLAB_TOKEN": sandbox.bot_token,
        "SALESBOT_PROJECT": sandbox.project_path,
        # the tested install, as the runner image announces its own (Dockerfile)
        "SALESBOT_IMAGE_VENV": str(ROOT / ".venv"),
    }


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("GITLAB_", "SALESBOT_"))}


def _roster_are_users(repo: Path, sandbox: Any) -> None:
    _, team = load(repo / "config" / "salesbot.yml")
    for member in team.members:  # the roster's people are GitLab users
        sandbox.add_user(member.username, member.name)


needs_gitlab_ci_local = pytest.mark.skipif(
    GITLAB_CI_LOCAL is None or shutil.which("rsync") is None,
    reason="gitlab-ci-local (and rsync) not installed: run scripts/ci-tools.sh",
)


@needs_gitlab_ci_local
def test_each_pipeline_source_selects_its_jobs(repo: Path) -> None:
    assert _selected(repo) == ["test"]  # a push runs the tests only
    assert _selected(repo, *_pipeline("web", None)) == ["test"]  # Run pipeline's default
    assert _selected(repo, *_pipeline("web", "handover")) == ["handover"]
    assert _selected(repo, *_pipeline("web", "images")) == ["images"]
    assert _selected(repo, *_scheduled("test")) == ["test"]
    assert _selected(repo, *_scheduled("sweep")) == ["sweep"]
    assert _selected(repo, *_scheduled("sweep", SALESBOT_SWEEP_SHARDS="4")) == ["sweep"]
    for task in TASKS:
        assert _selected(repo, *_scheduled(task)) == [task]
    # a schedule without SALESBOT_TASK fails, saying what to set
    assert _selected(repo, *_scheduled(None)) == ["no-task"]
    log = _ci_local(repo, "--force-shell-executor", *_scheduled(None), env=_clean_env(), ok=False)
    assert "FAIL  no-task" in log and "give it the variable SALESBOT_TASK" in log


@needs_gitlab_ci_local
def test_the_scheduled_run_and_a_sharded_sweep_run_salesbot_against_gitlab(
    repo: Path, sandbox: Any
) -> None:
    _roster_are_users(repo, sandbox)
    env = _clean_env()
    log = _ci_local(
        repo, "--force-shell-executor", *_scheduled("run", **_against(sandbox)), env=env
    )
    assert "PASS  run" in log
    issues = _bot_issues(sandbox)
    plan = next(i for i in issues if "workflow=onboarding" in i["description"])
    html = repo / ".gitlab-ci-local" / "artifacts" / "run" / "reports" / "report.html"
    assert "Onboarding 30/60/90" in html.read_text(encoding="utf-8")
    assert sandbox.bot_token not in log

    # the hire ticks every box; the sweep's two shards, side by side, finish the plan.
    # The schedule's `sweep` trigger job starts the child pipeline with the
    # schedule's variables (`forward: pipeline_variables`); gitlab-ci-local 4.73
    # does not forward them to a downstream pipeline, so the child runs as GitLab
    # would start it, from its own file.
    _edit(sandbox, plan["iid"], plan["description"].replace("- [ ]", "- [x]"))
    sweep = _scheduled("sweep", SALESBOT_SWEEP_SHARDS="2", **_against(sandbox))
    assert _selected(repo, *sweep) == ["sweep"]
    child = ["--file", str(SWEEP_FILE.relative_to(ROOT))]
    assert _selected(repo, *child, *sweep) == ["sweep-2: [1/2]", "sweep-2: [2/2]"]
    log = _ci_local(repo, "--force-shell-executor", *child, *sweep, env=env)
    assert "PASS  sweep-2: [1/2]" in log and "PASS  sweep-2: [2/2]" in log
    assert re.search(r"sweep-2: \[[12]/2\] +> onboarding: .* 1 closed", log), log[-3000:]
    swept = next(i for i in _bot_issues(sandbox) if i["iid"] == plan["iid"])
    assert "progress::complete" in swept["labels"], log[-3000:]
    assert sandbox.bot_token not in log


@needs_gitlab_ci_local
def test_a_failed_run_still_keeps_the_daily_report(repo: Path, sandbox: Any) -> None:
    _roster_are_users(repo, sandbox)
    # past the deadline from the start: the run stops before its first request
    # (exit 2); the report steps have their own bound and still write the report
    run = _scheduled("run", SALESBOT_DEADLINE="0", **_against(sandbox))
    log = _ci_local(repo, "--force-shell-executor", *run, env=_clean_env(), ok=False, errors=True)
    assert "FAIL  run" in log
    reports = repo / ".gitlab-ci-local" / "artifacts" / "run" / "reports"
    assert {"report.html", "report.md", "report.json"} <= {p.name for p in reports.iterdir()}
    assert 'exit "$status"' in log and "deadline (SALESBOT_DEADLINE) passed" in log
    assert not [i for i in _bot_issues(sandbox) if "workflow=onboarding" in i["description"]]


@needs_gitlab_ci_local
def test_a_handover_from_run_pipeline_keys_the_issue_by_the_crm_account_id(
    repo: Path, sandbox: Any
) -> None:
    _roster_are_users(repo, sandbox)
    _, team = load(repo / "config" / "salesbot.yml")
    seller, other = [m.username for m in team.members if m.status == "active"][:2]
    form = _pipeline(
        "web",
        "handover",
        HANDOVER_ACCOUNT="Acme; Corp",
        HANDOVER_ACCOUNT_ID="0015e00000AbCdE",
        HANDOVER_FROM=seller,
        HANDOVER_TO=other,
        HANDOVER_OPPORTUNITIES="0065e01 ; 0065e02",
        **_against(sandbox),
    )
    log = _ci_local(repo, "--force-shell-executor", *form, env=_clean_env())
    assert "PASS  handover" in log
    (issue,) = _bot_issues(sandbox)
    assert "0015e00000AbCdE" in issue["description"]
    assert "0065e01" in issue["description"] and "0065e02" in issue["description"]


def _client(sandbox: Any) -> Any:
    import gitlab

    client = gitlab.Gitlab(sandbox.url, private_token=sandbox.bot_token)
    return client.projects.get(sandbox.project_path)


def _edit(sandbox: Any, iid: int, description: str) -> None:
    issue = _client(sandbox).issues.get(iid)
    issue.description = description
    issue.save()


def _bot_issues(sandbox: Any) -> list[dict[str, Any]]:
    project = _client(sandbox)
    return [i.attributes for i in project.issues.list(get_all=True, labels=["salesbot"])]
