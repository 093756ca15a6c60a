"""The HTML report's charts: matplotlib SVG inline in one page that opens
offline, checked in headless Chromium. The screenshots are kept in
`tests/artifacts/` (the CI test job keeps that folder as an artifact);
`docs/report.png` in the README is a copy of `report-full.png`."""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from automation.report import charts
from automation.report.cycle import CycleTimes, Spread
from automation.report.history import TrendWeek, iso_week
from tests.e2e import ROOT, World

ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = shutil.which("chromium") or (
    "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
)
DAY0 = date(2026, 12, 7)
WEEKS = 5


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def weekly_report(world: World, tmp_path: Path) -> str:
    """Five weekly runs with work done in between, then the HTML report."""
    world.at(DAY0.isoformat())
    for account, seller in (("Acme", "carol"), ("Globex", "dave"), ("Initech", "carol")):
        assert (
            world.cli(
                "handover",
                "open",
                "--account",
                account,
                "--from",
                "bob",
                "--to",
                seller,
                today=DAY0.isoformat(),
            ).code
            == 0
        )
    for week in range(WEEKS):
        day = DAY0 + timedelta(weeks=week)
        if week == 1:
            world.tick_all("carol", world.titled("Acme").iid)
        if week == 3:
            world.tick_all("dave", world.titled("Globex").iid)
        assert world.job("run", day=day.isoformat()) == 0
    out = tmp_path / "report.html"
    last = (DAY0 + timedelta(weeks=WEEKS - 1)).isoformat()
    assert world.cli("report", "--format", "html", "--out", str(out), today=last).code == 0
    return out.read_text(encoding="utf-8")


def test_the_html_report_draws_its_charts_inline_and_fetches_nothing(
    world: World, tmp_path: Path
) -> None:
    html = weekly_report(world, tmp_path)
    assert not re.search(r"<(script|link|img|iframe|object|embed)\b|src=|@import", html)
    # the SVG's only url() are its own clip paths
    assert all(u.startswith("url(#") for u in re.findall(r"url\([^)]*\)", html))
    labels = re.findall(r'<svg role="img" aria-label="([^"]+)"', html)
    assert labels == [
        "Open, overdue and completed on time per week",
        "Open and overdue per workflow",
        "Open and overdue per manager's team",
        "Cycle times in days",
    ]
    assert 'Handover, opened to closed</td><td class="num">2</td>' in html


def test_a_dollar_in_a_name_is_not_read_as_mathematics() -> None:
    assert charts._label("Pay $5 $") == r"Pay \$5 \$"
    assert len(charts._label("x" * 100)) == charts.MAX_LABEL


def test_the_same_figures_draw_the_same_svg() -> None:
    weeks = [
        TrendWeek(iso_week(DAY0 + timedelta(weeks=n)), DAY0 + timedelta(weeks=n), n, 1, 0, 0, 0)
        for n in range(3)
    ]
    assert charts.trend_svg(weeks) == charts.trend_svg(weeks)
    empty = CycleTimes(
        Spread(0, None, None), Spread(0, None, None), Spread(0, None, None), 0, 0, None
    )
    assert charts.cycle_svg(empty) is None


@pytest.mark.skipif(
    CHROMIUM is None,
    reason="chromium is not installed: run scripts/ci-tools.sh (apt-get install chromium)",
)
def test_the_charts_render_offline_in_headless_chromium(world: World, tmp_path: Path) -> None:
    html_file = tmp_path / "report.html"
    html_file.write_text(weekly_report(world, tmp_path), encoding="utf-8")
    assert CHROMIUM is not None
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    flags = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        # offline: every request would go to a proxy that does not exist
        "--proxy-server=http://127.0.0.1:9",
        "--hide-scrollbars",
        f"--user-data-dir={tmp_path / 'profile'}",
    ]
    shots = {"report-top.png": (1200, 900), "report-full.png": (1200, 2600)}
    dom = ""
    for name, (width, height) in shots.items():
        png = ARTIFACTS / name
        png.unlink(missing_ok=True)
        run = subprocess.run(
            [
                *flags,
                f"--window-size={width},{height}",
                f"--screenshot={png}",
                "--dump-dom",
                html_file.as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=90,
            check=False,
        )
        assert png.exists(), run.stderr[-2000:]
        assert _png_size(png) == (width, height)
        assert png.stat().st_size > 40_000  # charts drawn: a blank page is about 5 KB
        dom = run.stdout
    assert dom.count("<svg") == 4 and dom.count('class="chart"') == 4
    assert "Cycle times in days" in dom and "Account handovers" in dom


def test_only_the_html_report_imports_matplotlib() -> None:
    """`salesbot run`, the dashboard and the other formats never pay for it."""
    code = (
        "import sys; import automation.cli, automation.run, automation.dashboard, "
        "automation.report.markdown, automation.report.html, automation.report.document; "
        "print('matplotlib' in sys.modules)"
    )
    found = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert found.stdout.strip() == "False"
