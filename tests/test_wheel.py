"""The wheel is a working salesbot on its own: built from the repository,
installed into a fresh virtualenv outside the checkout, it renders the shipped
templates, honours a team's own templates folder and runs the demo.

Building needs setuptools from pip's cache or PyPI and installing needs the
dependencies the same way; only when that is impossible does the test skip,
saying why. A failing build or install is a failure, not a skip.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
# pip's answers when it cannot get a package at all (no index, no cache)
UNREACHABLE = (
    "No matching distribution found",
    "Could not find a version that satisfies",
    "Failed to establish a new connection",
)


def _run(args: list[str], cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run(
        args, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env, check=False
    )


def _pip_or_skip(done: subprocess.CompletedProcess[str], what: str) -> None:
    output = done.stdout + done.stderr
    if done.returncode != 0 and any(reason in output for reason in UNREACHABLE):
        pytest.skip(f"{what}: pip can reach neither PyPI nor its cache: {output[-300:]}")
    assert done.returncode == 0, f"{what} failed:\n{output[-4000:]}"


def _source_copy(dest: Path) -> Path:
    """The repository's files (tracked or new, never ignored ones): the build
    must not depend on what is lying around in the checkout."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        if (ROOT / name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, dest / name)
    return dest


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The built wheel and the build's output (-v: the backend's warnings too)."""
    work = tmp_path_factory.mktemp("wheel")
    source = _source_copy(work / "source")
    built = _run(
        [sys.executable, "-m", "pip", "wheel", "-v", "--no-deps", "-w", str(work / "dist"), "."],
        cwd=source,
    )
    _pip_or_skip(built, "building the wheel")
    (found,) = (work / "dist").glob("salesbot-*.whl")
    return found, built.stdout + built.stderr


@pytest.fixture(scope="module")
def installed(wheel: tuple[Path, str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv with the wheel and its dependencies; returns its bin/."""
    if not shutil.which("git"):
        pytest.skip("git is not installed: cannot list the repository's files")
    home = tmp_path_factory.mktemp("venv")
    try:
        venv.EnvBuilder(with_pip=True).create(home / "venv")
    except subprocess.CalledProcessError as exc:  # Debian's python without ensurepip
        pytest.skip(f"cannot create a virtualenv with pip here: {exc}")
    bin_dir = home / "venv" / "bin"
    done = _run([str(bin_dir / "python"), "-m", "pip", "install", str(wheel[0])], cwd=home)
    _pip_or_skip(done, "installing the wheel")
    return bin_dir


def test_the_wheel_ships_every_module_the_templates_and_the_example_config(
    wheel: tuple[Path, str],
) -> None:
    names = set(zipfile.ZipFile(wheel[0]).namelist())
    modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / "automation").rglob("*.py")}
    assert modules <= names, (
        f"not in the wheel (list the package in pyproject.toml): {modules - names}"
    )
    for template in (ROOT / "templates").glob("*.md.j2"):
        assert f"automation/bundled_templates/{template.name}" in names
    assert {"automation/example_config/salesbot.yml", "automation/example_config/team.yml"} <= names
    assert "automation/py.typed" in names and "automation/sandbox/seed.yml" in names
    assert "automation/sandbox/templates/issue.html" in names  # the sandbox's pages


def test_building_the_wheel_warns_of_no_deprecation(wheel: tuple[Path, str]) -> None:
    # e.g. "`project.license` as a TOML table is deprecated" (setuptools 77+)
    warned = [line for line in wheel[1].splitlines() if "deprecat" in line.lower()]
    assert not warned, "\n".join(warned)
    metadata = next(
        zipfile.ZipFile(wheel[0]).read(name).decode()
        for name in zipfile.ZipFile(wheel[0]).namelist()
        if name.endswith("METADATA")
    )
    assert "License-Expression: MIT" in metadata


def test_installed_outside_the_checkout_salesbot_renders_and_runs_the_demo(
    installed: Path, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"  # no config/, no templates/ here
    elsewhere.mkdir()
    data = elsewhere / "handover.yml"
    data.write_text(
        yaml.safe_dump(
            {
                "account": "Acme Corp",
                "account_id": "001A",
                "from_user": "alice",
                "to_user": "bob",
                "manager": "carol",
                "effective_date": "2026-01-05",
                "due_date": "2026-01-19",
                "reason": "Rebalancing",
                "opportunities": [],
                "commercial": True,
            }
        ),
        encoding="utf-8",
    )
    rendered = _run(
        [str(installed / "salesbot"), "templates", "render", "handover", "--data", str(data)],
        cwd=elsewhere,
    )
    assert rendered.returncode == 0, rendered.stdout + rendered.stderr
    assert "Acme Corp" in rendered.stdout and "- [ ]" in rendered.stdout

    demo = _run([str(installed / "salesbot"), "demo"], cwd=elsewhere, timeout=180)
    assert demo.returncode == 0, (demo.stdout + demo.stderr)[-4000:]
    assert "example config" in demo.stdout
    assert "Onboarding" in demo.stdout and "progress::complete" in demo.stdout


def test_a_team_points_the_config_at_its_own_templates(installed: Path, tmp_path: Path) -> None:
    config_dir = tmp_path / "config"
    shutil.copytree(ROOT / "config", config_dir, ignore=shutil.ignore_patterns("*.py"))
    own = tmp_path / "our-templates"
    shutil.copytree(ROOT / "templates", own, ignore=shutil.ignore_patterns("*.py"))
    template = own / "handover.md.j2"
    text = template.read_text(encoding="utf-8")
    template.write_text(text.replace("## ", "## Our team: ", 1), encoding="utf-8")
    config = config_dir / "salesbot.yml"
    config.write_text(
        config.read_text(encoding="utf-8") + "\ntemplates_dir: ../our-templates\n",
        encoding="utf-8",
    )
    data = tmp_path / "handover.yml"
    data.write_text(
        "account: Acme\naccount_id: '001A'\nfrom_user: alice\nto_user: bob\nmanager: carol\n"
        "effective_date: 2026-01-05\ndue_date: 2026-01-19\nreason: Other\nopportunities: []\n"
        "commercial: true\n",
        encoding="utf-8",
    )
    salesbot = str(installed / "salesbot")
    ours = _run([salesbot, "templates", "render", "handover", "--data", str(data)], cwd=tmp_path)
    assert ours.returncode == 0, ours.stdout + ours.stderr
    assert "## Our team: " in ours.stdout
    exported = _run([salesbot, "templates", "export", "--dest", "exported"], cwd=tmp_path)
    assert exported.returncode == 0, exported.stdout + exported.stderr
    handover = (tmp_path / "exported" / "Account Handover.md").read_text(encoding="utf-8")
    assert "## Our team: " in handover and "our-templates/handover.md.j2" in handover

    config.write_text(
        config.read_text(encoding="utf-8").replace("../our-templates", "../missing"),
        encoding="utf-8",
    )
    wrong = _run([salesbot, "config", "validate"], cwd=tmp_path)
    assert wrong.returncode == 1
    assert "templates_dir" in wrong.stderr + wrong.stdout and "missing" in wrong.stderr
