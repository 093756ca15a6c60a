"""Issue 13 point 3: progress, `--json` on every writing command (one published
schema), the shared options after the command, dry runs that say "would",
`config validate` naming each file, and a `--help` for every command."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from hypothesis import given
from hypothesis import strategies as st

from automation.cli import app, main
from automation.cli.common import hoist_shared_options
from tests.e2e import World

TODAY = "2026-11-27"
ACME = (
    "handover", "open", "--account", "Acme Corp", "--account-id", "001ACME",
    "--from", "bob", "--to", "carol", "--effective", "2026-12-07",
)  # fmt: skip


def published_schema(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    capsys.readouterr()
    assert main(["schema", "output"]) == 0
    schema: dict[str, Any] = json.loads(capsys.readouterr().out)
    return schema


def valid(document: str, schema: dict[str, Any]) -> dict[str, Any]:
    """The one JSON document printed, checked against `salesbot schema output`."""
    jsonschema = pytest.importorskip("jsonschema")
    data: dict[str, Any] = json.loads(document)
    jsonschema.validate(data, schema)
    return data


def test_json_works_with_and_without_dry_run_and_matches_the_schema(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    schema = published_schema(capsys)
    planned = valid(world.cli(*ACME, "--dry-run", "--json", today=TODAY).out, schema)
    assert planned["dry_run"] and planned["command"] == "handover open"
    assert [a["action"] for a in planned["actions"]] == ["create"] and world.writes() == 0

    done = world.cli(*ACME, "--json", today=TODAY)
    assert done.code == 0, done.err
    data = valid(done.out, schema)
    (issue,) = world.issues("handover")
    assert not data["dry_run"] and [o["url"] for o in data["opened"]] == [issue.web_url]
    assert data["summary"]["handover"]["opened"] == 1 and data["failures"] == []

    # the sweep printed nothing with --json before: now its document, even when idle
    for command in (("sweep",), ("run",), ("onboard", "sync"), ("dashboard",)):
        result = world.cli(*command, "--json", today=TODAY)
        assert result.code == 0, result.err
        assert valid(result.out, schema)["command"] == " ".join(command)


def test_notify_and_templates_export_follow_the_same_conventions(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    schema = published_schema(capsys)
    digest = valid(world.cli("notify", "--dry-run", "--json", today=TODAY).out, schema)
    assert digest["command"] == "notify" and digest["details"]["sent"] is False
    assert "text" in digest["details"]["digest"]

    dest = tmp_path / "issue_templates"
    dry = world.cli("templates", "export", "--dest", str(dest), "--dry-run", today=TODAY)
    assert dry.code == 0 and "would write" in dry.out and not dest.exists()
    planned = world.cli(
        "templates", "export", "--dest", str(dest), "--dry-run", "--json", today=TODAY
    )
    data = valid(planned.out, schema)
    assert data["dry_run"] and len(data["details"]["files"]) == 6 and not dest.exists()
    written = valid(
        world.cli("templates", "export", "--dest", str(dest), "--json", today=TODAY).out, schema
    )
    assert not written["dry_run"] and sorted(written["details"]["files"]) == sorted(
        str(p) for p in dest.iterdir()
    )


def test_today_config_and_project_are_accepted_after_the_command(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    # the world's environment names the project; --project after the command wins
    argv = ["run", "--dry-run", "--config", str(world.config), "--today", "2026-12-01"]
    assert main(argv) == 0, capsys.readouterr().err
    after = capsys.readouterr().out
    assert main(["--config", str(world.config), "--today", "2026-12-01", "run", "--dry-run"]) == 0
    assert capsys.readouterr().out == after
    code = main([*ACME, "--project", "no/such-project", "--config", str(world.config)])
    assert code == 2 and "no/such-project" in capsys.readouterr().err
    assert main(["sweep", "--today", "someday", "--config", str(world.config)]) == 1
    assert "--today: 'someday' is not a date" in capsys.readouterr().err


def test_a_dry_run_table_says_what_would_happen(world: World) -> None:
    result = world.cli(*ACME, "--dry-run", today=TODAY)
    assert result.code == 0 and "would open" in result.out
    assert "opened" not in result.out and world.writes() == 0


def test_progress_lines_appear_in_a_ci_log(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SALESBOT_PROGRESS_SECONDS", "0.001")
    rows = "".join(f"Account {n},001X{n},bob,carol,2026-12-07,,\n" for n in range(12))
    csv = tmp_path / "realignment.csv"
    csv.write_text(
        "account,account_id,from,to,effective_date,reason,opportunities\n" + rows,
        encoding="utf-8",
    )
    result = world.cli("handover", "import", str(csv), today=TODAY)
    assert result.code == 0, result.err
    lines = [line for line in result.err.splitlines() if line.startswith("Handover import:")]
    assert lines and lines[-1].startswith("Handover import: writes: 12/12 (100%) finished")
    assert "Handover import" not in result.out  # standard output stays the result
    run = world.cli("run", today="2026-12-03")
    assert run.code == 0 and "run: writes:" in run.err


def test_config_validate_names_each_file_it_checked(world: World) -> None:
    result = world.cli("config", "validate", "--offline", today=TODAY)
    assert result.code == 0, result.err
    folder = world.config.parent
    for name in ("salesbot.yml", "team.yml"):
        assert f"{folder / name}: valid" in result.out
    assert "templates" in result.out and "6 of 6 templates valid" in result.out
    assert "opportunities export" in result.out

    export = folder / "opportunities.csv"
    export.write_text("id,owner\n", encoding="utf-8")
    text = world.config.read_text(encoding="utf-8")
    world.config.write_text(
        text.replace("opportunities: null", "opportunities: opportunities.csv", 1),
        encoding="utf-8",
    )
    bad = world.cli("config", "validate", "--offline", today=TODAY)
    assert bad.code == 1 and f"{export}:1: missing column(s)" in bad.err


def commands(group: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [prefix]
    for name, command in getattr(group, "commands", {}).items():
        found += commands(command, (*prefix, name))
    return found


def test_every_command_prints_helpful_help(capsys: pytest.CaptureFixture[str]) -> None:
    every = commands(typer.main.get_command(app))
    assert ("run",) in every and ("schema", "output") in every
    for command in every:
        capsys.readouterr()
        assert main([*command, "--help"]) == 0, command
        text = capsys.readouterr().out
        assert f"Usage: salesbot {' '.join(command)}".rstrip() in text, command
        description = text.split("Options:")[0].split("\n", 1)[1].strip()
        assert len(description) > 20, (command, text)


WORDS = st.sampled_from(["run", "sweep", "--dry-run", "--json", "x.csv", "--shard", "1/2"])
SHARED = st.sampled_from([("--today", "2026-12-01"), ("--config", "c.yml"), ("-p", "g/p")])


@given(
    before=st.lists(SHARED, max_size=2),
    words=st.lists(WORDS, min_size=1, max_size=6),
    after=st.lists(st.tuples(st.integers(0, 6), SHARED), max_size=3),
)
def test_shared_options_move_in_front_and_nothing_else_moves(
    before: list[tuple[str, str]], words: list[str], after: list[tuple[int, tuple[str, str]]]
) -> None:
    argv = [token for pair in before for token in pair] + ["handover"]
    tail: list[str] = []
    for index in range(len(words) + 1):  # each pair goes in before words[position]
        for position, pair in after:
            if min(position, len(words)) == index:
                tail += pair
        tail += words[index : index + 1]
    hoisted = hoist_shared_options([*argv, *tail])
    command = hoisted.index("handover")
    front = hoisted[:command]
    # every shared option keeps its value, those given after the command come later
    pairs = list(zip(front[::2], front[1::2], strict=True))
    assert sorted(pairs) == sorted([*before, *(p for _, p in after)])
    assert pairs[: len(before)] == before
    assert hoisted[command + 1 :] == words
