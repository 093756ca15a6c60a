"""Reading a territory-realignment CSV: every bad row listed, nothing partial."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from automation.errors import InputError
from automation.workflows.handover import check_users, make, parse, parse_csv, read_csv

TODAY = date(2026, 11, 27)
HEADER = "account,account_id,from,to,effective_date,reason,opportunities\n"


def test_good_rows_become_handovers_keyed_by_account_and_date() -> None:
    rows = parse_csv(
        HEADER
        + "Acme,001A,bob,carol,2026-12-01,Realignment,0061;0062\n"
        + "Globex,,dave,erin,,,\n",
        source="moves.csv",
        today=TODAY,
    )
    assert [(h.account, h.from_user, h.to_user) for h in rows] == [
        ("Acme", "bob", "carol"),
        ("Globex", "dave", "erin"),
    ]
    assert rows[0].key == "id:001A@2026-12-01" and rows[0].opportunities == ("0061", "0062")
    assert rows[1].effective == TODAY and rows[1].key == "name:Globex@2026-11-27"


def test_every_bad_row_is_listed_with_its_line_number() -> None:
    text = (
        HEADER
        + "Acme,001A,bob,carol,2026-12-01,,\n"  # line 2: fine
        + "Same,002,bob,bob,2026-12-01,,\n"  # line 3: same person
        + "Bad date,003,bob,carol,2026-13-01,,\n"  # line 4
        + "Acme,001A,dave,erin,2026-12-01,,\n"  # line 5: duplicate of line 2
        + ",004,bob,carol,,,\n"  # line 6: no account
        + "Hostile,005,/close,carol,,,\n"  # line 7: not a username
    )
    with pytest.raises(InputError) as caught:
        parse_csv(text, source="moves.csv", today=TODAY)
    message = str(caught.value)
    assert "5 bad row(s), nothing was created" in message
    for line in (
        "moves.csv:3: from and to are the same",
        "moves.csv:4: effective_date",
        "moves.csv:5: duplicate of row on line 2",
        "moves.csv:6: account",
        "moves.csv:7: from:",
    ):
        assert line in message
    assert "moves.csv:2" not in message


def test_a_missing_column_names_the_expected_ones() -> None:
    with pytest.raises(InputError, match=r"moves.csv:1: missing column\(s\) to"):
        parse_csv("account,from\nAcme,bob\n", source="moves.csv", today=TODAY)


def test_an_unknown_column_is_a_warning_and_its_values_are_ignored() -> None:
    read = parse("account,from,to,colour\nA,b,c,red\n", source="moves.csv", today=TODAY)
    assert read.warnings == ("moves.csv:1: warning: ignoring unknown column(s) colour",)
    assert [h.account for h in read.handovers] == ["A"]


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="nope.csv: file not found"):
        read_csv(tmp_path / "nope.csv", today=TODAY)


def test_unknown_gitlab_users_are_all_listed() -> None:
    handovers = [
        make(account="A", from_user="bob", to_user="ghost", effective=TODAY),
        make(account="B", from_user="phantom", to_user="bob", effective=TODAY),
    ]
    with pytest.raises(InputError, match="unknown GitLab user.*ghost, phantom"):
        check_users(handovers, lambda name: name == "bob")
