"""Account handovers from the CLI, against the sandbox GitLab."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from tests.e2e import World

TODAY = "2026-11-27"


ACME = (
    "handover", "open", "--account", "Acme Corp", "--account-id", "001ACME",
    "--from", "bob", "--to", "carol", "--effective", "2026-12-07",
)  # fmt: skip


def test_handover_open_assigns_the_incoming_seller_and_mentions_the_others(world: World) -> None:
    result = world.cli(
        *ACME, "--reason", "Territory realignment", "--opportunity", "0061", today=TODAY
    )
    assert result.code == 0, result.err
    (issue,) = world.issues("handover")
    assert issue.web_url in result.out
    assert issue.title == "Account Handover: Acme Corp (bob → carol)"
    assert issue.assignees == ("carol",)  # Free tier keeps one assignee: the incoming seller
    assert issue.confidential
    assert issue.due_date == date(2026, 12, 21)  # effective date + 14 days (config)
    assert {"salesbot", "Account Handover", "progress::not-started"} <= set(issue.labels)
    assert "@bob" in issue.description and "@alice" in issue.description
    assert "0061" in issue.description and issue.task_count > 0


def test_handover_open_twice_opens_one_issue_and_the_rerun_writes_nothing(world: World) -> None:
    assert world.cli(*ACME, today=TODAY).code == 0
    before = world.writes()
    rerun = world.cli(*ACME, today=TODAY)
    assert rerun.code == 0
    assert "already open" in rerun.out
    assert world.writes() == before
    assert len(world.issues("handover")) == 1


def test_dry_run_prints_the_plan_and_writes_nothing(world: World) -> None:
    result = world.cli(*ACME, "--dry-run", today=TODAY)
    assert result.code == 0
    assert "open 'Account Handover: Acme Corp (bob → carol)' for @carol" in result.out
    assert world.writes() == 0 and world.issues() == []
    as_json = world.cli(*ACME, "--dry-run", "--json", today=TODAY)
    assert '"action": "create"' in as_json.out and world.writes() == 0


def test_a_token_never_appears_in_a_dry_run_or_an_error(world: World) -> None:
    token = world.sandbox.bot_token
    plan = world.cli(
        "handover",
        "open",
        "--account",
        "A",
        "--from",
        "bob",
        "--to",
        "carol",
        "--dry-run",
        today=TODAY,
    )
    assert token not in plan.out + plan.err


def test_unknown_users_and_same_seller_are_input_errors(world: World) -> None:
    unknown = world.cli(
        "handover", "open", "--account", "A", "--from", "bob", "--to", "ghost", today=TODAY
    )
    assert unknown.code == 1 and "unknown GitLab user(s): ghost" in unknown.err
    same = world.cli(
        "handover", "open", "--account", "A", "--from", "bob", "--to", "bob", today=TODAY
    )
    assert same.code == 1 and "same person" in same.err
    assert world.writes() == 0


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_import_opens_every_row_once_and_a_reimport_creates_nothing(
    world: World, tmp_path: Path
) -> None:
    csv = write(
        tmp_path / "realignment.csv",
        "account,account_id,from,to,effective_date,reason,opportunities\n"
        "Acme Corp,001A,bob,carol,2026-12-07,Realignment,0061;0062\n"
        "/close,001B,dave,bob,2026-12-07,,\n"
        '"Initech\n/assign @mallory",001C,carol,dave,2026-12-14,@all please,\n',
    )
    result = world.cli("handover", "import", str(csv), today=TODAY)
    assert result.code == 0, result.err
    issues = world.issues("handover")
    assert len(issues) == 3
    assert all(i.is_open and "mallory" not in i.assignees for i in issues)
    assert all(i.web_url in result.out for i in issues)
    hostile = next(i for i in issues if "Initech" in i.title)
    assert "\n/assign" not in hostile.description
    before = world.writes()
    again = world.cli("handover", "import", str(csv), today=TODAY)
    assert again.code == 0 and world.writes() == before and len(world.issues()) == 3


def test_a_bad_file_aborts_with_every_bad_row_and_creates_nothing(
    world: World, tmp_path: Path
) -> None:
    csv = write(
        tmp_path / "bad.csv",
        "account,from,to,effective_date\n"
        "Good,bob,carol,2026-12-07\n"
        "Same,bob,bob,2026-12-07\n"
        "Date,bob,carol,2026-02-30\n"
        "Good,dave,erin,2026-12-07\n",
    )
    result = world.cli("handover", "import", str(csv), today=TODAY)
    assert result.code == 1
    for line in ("bad.csv:3:", "bad.csv:4:", "bad.csv:5: duplicate of row on line 2"):
        assert line in result.err
    assert world.writes() == 0


def test_an_unknown_user_in_the_file_aborts_the_whole_import(world: World, tmp_path: Path) -> None:
    csv = write(tmp_path / "moves.csv", "account,from,to\nA,bob,carol\nB,bob,nobody\n")
    result = world.cli("handover", "import", str(csv), today=TODAY)
    assert result.code == 1 and "nobody" in result.err
    assert world.writes() == 0


def test_a_missing_token_is_a_one_line_error(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITLAB_TOKEN")
    result = world.cli(
        "handover", "open", "--account", "A", "--from", "bob", "--to", "carol", today=TODAY
    )
    assert result.code == 1
    assert result.err.strip().count("\n") == 0 and "GITLAB_TOKEN" in result.err
