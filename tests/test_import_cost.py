"""`handover import` costs what it must (issue 13.2): each distinct GitLab user
is looked up once per run, a rerun of the same file only lists and looks up;
a header-only file says "0 rows", a semicolon file is imported."""

from __future__ import annotations

from pathlib import Path

from tests.e2e import World

DAY = "2026-12-03"
ROWS = """\
account;account_id;from;to;effective_date
Acme Corp;ACC-1;bob;carol;2026-12-03
Globex;ACC-2;carol;bob;2026-12-03
Initech;ACC-3;bob;dave;2026-12-03
"""


def test_each_user_is_looked_up_once_and_a_rerun_writes_nothing(
    world: World, tmp_path: Path
) -> None:
    csv = tmp_path / "moves.csv"
    csv.write_text(ROWS, encoding="utf-8")  # semicolons, as a European Excel writes
    log = world.sandbox.requests
    log.clear()
    assert world.cli("handover", "import", str(csv), today=DAY).code == 0
    assert len(world.issues("handover")) == 3
    assert log.count("GET", "/api/v4/users") == 3  # bob, carol, dave: once each
    log.clear()
    assert world.cli("handover", "import", str(csv), today=DAY).code == 0
    assert log.count("GET", "/api/v4/users") == 3 and log.writes() == 0


def test_a_header_only_file_says_0_rows(world: World, tmp_path: Path) -> None:
    csv = tmp_path / "moves.csv"
    csv.write_text("account,from,to\n", encoding="utf-8")
    result = world.cli("handover", "import", str(csv), today=DAY)
    assert result.code == 0 and "0 rows" in result.err
    assert world.issues("handover") == []


def test_an_empty_file_says_empty(world: World, tmp_path: Path) -> None:
    csv = tmp_path / "moves.csv"
    csv.write_text("", encoding="utf-8")
    result = world.cli("handover", "import", str(csv), today=DAY)
    assert result.code == 1 and "empty" in result.err
