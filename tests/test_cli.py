"""The commands that need no GitLab: checklist, config, templates; and the error handler."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from automation.cli import main

ROOT = Path(__file__).resolve().parent.parent
CONFIG = str(ROOT / "config" / "salesbot.yml")


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_checklist_reports_progress_per_section(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = tmp_path / "plan.md"
    plan.write_text(
        "## Day 30\n- [x] 🔴 Red dots\n- [ ] 🔴 Shadow\n## Day 60\n- [ ] Territory\n",
        encoding="utf-8",
    )
    code, out, _ = run(capsys, "checklist", str(plan))
    assert code == 0 and "Day 30" in out and "Day 60" in out and "Shadow" in out
    code, out, _ = run(capsys, "checklist", str(plan), "--json")
    data = json.loads(out)
    assert (data["count"], data["completed_count"]) == (3, 1)
    assert data["sections"][0]["required_open"] == ["Shadow"]


def test_checklist_of_a_missing_file_is_a_one_line_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = run(capsys, "checklist", "no-such.md")
    assert code == 1 and err.strip() == "salesbot: error: no-such.md: file not found"


def test_config_validate_passes_the_shipped_files_and_names_a_bad_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "--config", CONFIG, "config", "validate", "--offline")
    assert code == 0 and "valid" in out
    bad = tmp_path / "salesbot.yml"
    text = (ROOT / "config" / "salesbot.yml").read_text(encoding="utf-8")
    bad.write_text(text.replace("cadence_days: 3", "cadence_days: often"), encoding="utf-8")
    (tmp_path / "team.yml").write_text(
        (ROOT / "config" / "team.yml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    code, _, err = run(capsys, "--config", str(bad), "config", "validate")
    assert code == 1
    line = next(n for n, t in enumerate(text.splitlines(), 1) if "cadence_days" in t)
    assert f"salesbot.yml:{line}: nudges.cadence_days" in err


def test_config_schema_is_json_schema(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "config", "schema", "--kind", "team")
    assert code == 0 and "members" in json.loads(out)["properties"]


def test_templates_render_prints_an_issue_and_names_a_missing_variable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data.yml"
    data.write_text(
        "hire: grace\nname: Grace Garcia\nmanager: alice\nstart_date: 2026-12-01\n"
        "due_date: 2027-03-01\nonboarding_ref: null\n",
        encoding="utf-8",
    )
    code, out, _ = run(capsys, "templates", "render", "give-back", "--data", str(data))
    assert code == 0 and out.startswith("title: Give Back Project: Grace Garcia")
    data.write_text("hire: grace\n", encoding="utf-8")
    code, _, err = run(capsys, "templates", "render", "give-back", "--data", str(data))
    assert code == 1 and "templates/give-back.md.j2: variable" in err


def test_templates_export_check_passes_on_the_committed_files(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    code, out, _ = run(capsys, "templates", "export", "--check")
    assert code == 0 and "up to date" in out


def test_usage_errors_exit_1_and_version_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "sweep", "--bogus")[0] == 1
    code, out, _ = run(capsys, "--version")
    assert code == 0 and out.startswith("salesbot ")
    assert run(capsys, "--today", "someday", "sweep")[0] == 1
