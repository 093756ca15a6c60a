"""`salesbot report`: the dashboard's figures as Markdown, JSON and a self-contained HTML page."""

from __future__ import annotations

import json
import re
import shutil
import struct
import subprocess
from pathlib import Path
from typing import Any

import pytest

from automation.cli import main
from tests.e2e import TODAY, api_for, dashboard_world
from tests.e2e import DashboardWorld as World

CHROMIUM = shutil.which("chromium") or (
    "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
)


@pytest.fixture
def world(sandbox: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    built = dashboard_world(sandbox, tmp_path)
    for name, value in built.env().items():
        monkeypatch.setenv(name, value)
    return built


def report(world: World, fmt: str, out: Path) -> str:
    args = ["--config", str(world.config), "--today", TODAY.isoformat()]
    assert main([*args, "report", "--format", fmt, "--out", str(out)]) == 0
    return out.read_text(encoding="utf-8")


def test_json_report_is_versioned_and_agrees_with_gitlab(world: World, tmp_path: Path) -> None:
    writes = world.sandbox.requests.writes()
    data = json.loads(report(world, "json", tmp_path / "report.json"))
    assert world.sandbox.requests.writes() == writes  # a report only reads
    assert data["version"] == 2 and data["date"] == TODAY.isoformat()
    assert [w["workflow"] for w in data["workflows"]] == [
        "onboarding",
        "give-back",
        "opportunity",
        "group-consult",
        "handover",
    ]
    handovers = next(w for w in data["workflows"] if w["workflow"] == "handover")
    assert (handovers["open"], handovers["overdue"]) == (2, 1)
    issues = {i["iid"]: i for i in data["issues"]}
    acme = issues[world.acme.iid]
    assert acme["status"] == "overdue" and acme["owner"]["username"] == "carol"
    assert acme["manager"] == {"username": "alice", "name": "Alice Anderson"}
    fresh = world.bot.api.get_issue(world.acme.iid)
    assert (acme["completed_count"], acme["count"]) == (fresh.task_completed, fresh.task_count)
    assert fresh.due_date is not None and acme["due_date"] == fresh.due_date.isoformat()
    cohort = {c["hire"]["username"]: c for c in data["onboarding_cohort"]}
    assert cohort["erin"]["phases"][0]["state"] == "overdue"
    assert data["give_back"]["projects"] == 2 and data["give_back"]["adoption"] == 0.0


def test_markdown_report_is_the_dashboard_without_checkboxes(world: World, tmp_path: Path) -> None:
    text = report(world, "md", tmp_path / "report.md")
    assert text.startswith("# salesbot dashboard\n")
    assert f"[#{world.acme.iid}]({world.acme.web_url})" in text
    assert "```mermaid" in text and "Give Back adoption" in text
    assert "- [ ]" not in text and "task:dashboard" not in text


def test_html_report_is_one_self_contained_page(world: World, tmp_path: Path) -> None:
    page = report(world, "html", tmp_path / "report.html")
    assert page.startswith("<!DOCTYPE html>")
    # nothing fetched from elsewhere: no scripts, stylesheets, images or fonts
    # (the charts' inline SVG names its own clip paths: `url(#...)`)
    assert not re.search(r"<(script|link|img|iframe)\b|src=|@import|url\((?!#)", page)
    assert 'role="progressbar"' in page and "Account handovers" in page


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.mark.skipif(
    CHROMIUM is None,
    reason="chromium is not installed: run scripts/ci-tools.sh (apt-get install chromium)",
)
def test_html_report_renders_in_a_headless_browser(world: World, tmp_path: Path) -> None:
    html_file = tmp_path / "report.html"
    report(world, "html", html_file)
    assert CHROMIUM is not None
    flags = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--window-size=1200,900",
    ]
    png = tmp_path / "report.png"
    run = subprocess.run(
        [*flags, f"--screenshot={png}", "--dump-dom", html_file.as_uri()],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert png.exists(), run.stderr[-2000:]
    assert _png_size(png) == (1200, 900)
    assert png.stat().st_size > 20_000  # a blank page compresses to about 5 KB
    dom = run.stdout
    assert "Account handovers" in dom and "Give Back adoption" in dom
    assert re.search(r'data-workflow="handover".*?>2</td>.*?>1</td>', dom)  # 2 open, 1 overdue
    assert f">#{world.acme.iid}</a>" in dom and "Carol Chen" in dom


def test_the_json_report_follows_its_published_schema(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from automation.report.document import ReportDoc

    capsys.readouterr()
    assert main(["report", "schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["properties"]["version"]["const"] == 2
    assert set(schema["required"]) >= {"version", "date", "issues", "give_back"}
    data = json.loads(report(world, "json", tmp_path / "report.json"))
    assert ReportDoc.model_validate(data).model_dump(mode="json") == data


def test_html_escapes_untrusted_text(world: World, tmp_path: Path) -> None:
    hostile = '<script>alert(1)</script> & "quoted"'
    api_for(world.sandbox, "carol").update_issue(world.acme.iid, {"title": hostile})
    page = report(world, "html", tmp_path / "report.html")
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; &amp;" in page
