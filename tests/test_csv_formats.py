"""The CSV files people export, whatever their delimiter: semicolon (a European
Excel), tab, comma; an empty file says so, a header-only one says "0 rows"."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from automation.errors import InputError
from automation.workflows import consults, handover

TODAY = date(2026, 12, 1)
ROWS = [
    ["account", "from", "to", "effective_date"],
    ["Acme; Inc", "alice", "bob", "2026-12-15"],
    ["Globex", "bob", "carol", "2026-12-16"],
]


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_a_file_is_read_whatever_its_delimiter(tmp_path: Path, delimiter: str) -> None:
    path = tmp_path / "moves.csv"
    text = "\n".join(
        delimiter.join(f'"{c}"' if delimiter in c or ";" in c else c for c in row) for row in ROWS
    )
    path.write_text(text + "\n", encoding="utf-8")
    read = handover.read(path, today=TODAY)
    assert [(h.account, h.to_user) for h in read.handovers] == [
        ("Acme; Inc", "bob"),
        ("Globex", "carol"),
    ]
    assert len(read.handovers) == 2 and read.warnings == ()


def test_a_file_split_by_another_character_names_the_delimiter_it_was_read_with(
    tmp_path: Path,
) -> None:
    path = tmp_path / "moves.csv"
    path.write_text("account|from|to\nAcme|alice|bob\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"read as comma-separated \(the header has 1 column"):
        handover.read(path, today=TODAY)


@pytest.mark.parametrize("text", ["", "\n", "\ufeff"])
def test_an_empty_file_says_empty(tmp_path: Path, text: str) -> None:
    path = tmp_path / "moves.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match="moves.csv: the file is empty"):
        handover.read(path, today=TODAY)
    with pytest.raises(InputError, match="moves.csv: the file is empty"):
        consults.read_csv(path)


def test_a_header_only_file_says_0_rows(tmp_path: Path) -> None:
    path = tmp_path / "moves.csv"
    path.write_text("account,from,to\n", encoding="utf-8")
    read = handover.read(path, today=TODAY)
    assert list(read.handovers) == []
    assert read.warnings == (f"{path}: 0 rows (only a header): nothing to import",)
    opps = tmp_path / "opps.csv"
    opps.write_text("id;owner;segment;iacv;close_date\n", encoding="utf-8")
    assert consults.read_csv(opps).warnings == (
        f"{opps}: 0 rows (only a header): no opportunities to sync",
    )


def test_a_bad_row_of_a_file_is_named_by_line(tmp_path: Path) -> None:
    path = tmp_path / "moves.csv"
    path.write_text("account;from;to\nAcme;alice;bob\n;bob;carol\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"moves.csv:3: account"):
        handover.read(path, today=TODAY)
