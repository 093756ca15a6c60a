"""Deals follow the handbook and bad rows are bad rows: the opportunity export
and the realignment file through the CLI, against the sandbox GitLab."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e import World

TODAY = "2026-11-27"
HEADER = "id,name,account,owner,segment,iacv,amount,close_date,stage\n"
CONSULT = "A1,Platform,Acme,bob,SMB,12000,36000,2027-01-15,3-Technical Evaluation\n"
LDR = "A2,Seats,Globex,bob,SMB,6000,6000,2026-12-20,2-Scoping\n"


def export(tmp_path: Path, *rows: str, header: str = HEADER) -> Path:
    path = tmp_path / "opportunities.csv"
    path.write_text(header + "".join(rows), encoding="utf-8")
    return path


def sync(world: World, csv: Path, today: str = TODAY) -> tuple[int, str, str]:
    result = world.cli("consults", "sync", "--opportunities", str(csv), today=today)
    return result.code, result.out, result.err


@pytest.mark.parametrize("iacv", ["-12000", "0", "$0.00", "n/a", "12k"])
def test_a_non_positive_or_unreadable_iacv_is_a_bad_row(
    world: World, tmp_path: Path, iacv: str
) -> None:
    bad = f"A3,Odd,Initech,bob,SMB,{iacv},,2026-12-20,2-Scoping\n"
    code, _, err = sync(world, export(tmp_path, CONSULT, bad))
    assert code == 1
    assert "opportunities.csv:3: iacv" in err and "nothing was written" in err
    assert world.writes() == 0


def test_a_negative_iacv_does_not_close_an_open_consult(world: World, tmp_path: Path) -> None:
    assert sync(world, export(tmp_path, CONSULT))[0] == 0
    negative = CONSULT.replace(",12000,", ",-12000,")
    before = world.writes()
    code, _, err = sync(world, export(tmp_path, negative), "2026-12-01")
    assert code == 1 and "opportunities.csv:2: iacv: '-12000' must be a positive amount" in err
    assert world.writes() == before
    (issue,) = world.issues("opportunity")
    assert issue.is_open and not any(label.startswith("status::") for label in issue.labels)


def test_an_ldr_whose_close_date_slips_says_so_and_stays_open(world: World, tmp_path: Path) -> None:
    assert sync(world, export(tmp_path, LDR))[0] == 0
    (issue,) = world.issues("opportunity")
    slipped = LDR.replace("2026-12-20", "2027-04-30")
    assert sync(world, export(tmp_path, slipped), "2026-12-01")[0] == 0
    issue = world.api.get_issue(issue.iid)
    assert issue.is_open and "status::close-date-moved" in issue.labels
    assert "status::below-threshold" not in issue.labels
    (note,) = world.notes(issue.iid)
    assert "close date moved to 2027-04-30" in note.body
    assert "below" not in note.body
    before = world.writes()
    assert sync(world, export(tmp_path, slipped), "2026-12-02")[0] == 0
    assert world.writes() == before  # told once
    # the deal comes back into range: the review is due again, the label goes
    assert sync(world, export(tmp_path, LDR), "2026-12-03")[0] == 0
    issue = world.api.get_issue(issue.iid)
    assert issue.is_open and "status::close-date-moved" not in issue.labels
    assert "due again" in world.notes(issue.iid)[-1].body
    before = world.writes()
    assert sync(world, export(tmp_path, LDR), "2026-12-03")[0] == 0
    assert world.writes() == before


def test_an_ldr_that_really_shrinks_is_still_below_the_threshold(
    world: World, tmp_path: Path
) -> None:
    assert sync(world, export(tmp_path, LDR))[0] == 0
    shrunk = LDR.replace(",6000,6000,", ",3000,3000,")
    assert sync(world, export(tmp_path, shrunk), "2026-12-01")[0] == 0
    (issue,) = world.issues("opportunity")
    assert "status::below-threshold" in issue.labels


def test_an_unknown_owner_is_a_bad_row_with_its_line(world: World, tmp_path: Path) -> None:
    ghost = "A3,Ghosted,Initech,ghost,SMB,12000,,2026-12-20,2-Scoping\n"
    code, _, err = sync(world, export(tmp_path, CONSULT, LDR, ghost))
    assert code == 1
    assert "opportunities.csv:4: owner: unknown GitLab user 'ghost'" in err
    assert "Traceback" not in err and world.writes() == 0


def test_an_unknown_owner_is_skipped_with_its_line_when_the_config_says_so(
    world: World, tmp_path: Path
) -> None:
    text = world.config.read_text(encoding="utf-8").replace(
        "on_bad_rows: abort", "on_bad_rows: skip"
    )
    world.config.write_text(text, encoding="utf-8")
    ghost = "A3,Ghosted,Initech,ghost,SMB,12000,,2026-12-20,2-Scoping\n"
    code, out, _ = sync(world, export(tmp_path, CONSULT, ghost))
    assert code == 0
    assert "opportunities.csv:3: owner: unknown GitLab user 'ghost'" in out
    assert len(world.issues("opportunity")) == 1


def test_an_unknown_column_is_a_warning_in_the_opportunity_export(
    world: World, tmp_path: Path
) -> None:
    csv = export(
        tmp_path, CONSULT.replace("\n", ",EMEA\n"), header=HEADER.replace("\n", ",region\n")
    )
    code, _, err = sync(world, csv)
    assert code == 0
    assert "opportunities.csv:1: warning: ignoring unknown column(s) region" in err
    assert len(world.issues("opportunity")) == 1


def test_an_unknown_column_is_a_warning_in_the_realignment_file(
    world: World, tmp_path: Path
) -> None:
    csv = tmp_path / "moves.csv"
    csv.write_text("account,from,to,colour\nAcme,bob,carol,red\n", encoding="utf-8")
    result = world.cli("handover", "import", str(csv), today=TODAY)
    assert result.code == 0, result.err
    assert "moves.csv:1: warning: ignoring unknown column(s) colour" in result.err
    assert len(world.issues("handover")) == 1


def test_an_unknown_user_in_the_realignment_file_is_named_by_line(
    world: World, tmp_path: Path
) -> None:
    csv = tmp_path / "moves.csv"
    csv.write_text("account,from,to\nA,bob,carol\nB,bob,nobody\n", encoding="utf-8")
    result = world.cli("handover", "import", str(csv), today=TODAY)
    assert result.code == 1
    assert "moves.csv:3: to: unknown GitLab user 'nobody'" in result.err
    assert world.writes() == 0


@pytest.mark.parametrize("effective", ["2062-12-07", "2025-11-01"])
def test_an_effective_date_more_than_a_year_away_is_refused(
    world: World, tmp_path: Path, effective: str
) -> None:
    result = world.cli(
        "handover", "open", "--account", "Acme", "--from", "bob", "--to", "carol",
        "--effective", effective, today=TODAY,
    )  # fmt: skip
    assert result.code == 1
    assert f"effective date {effective} is more than a year from today" in result.err
    csv = tmp_path / "moves.csv"
    csv.write_text(f"account,from,to,effective_date\nAcme,bob,carol,{effective}\n", "utf-8")
    imported = world.cli("handover", "import", str(csv), today=TODAY)
    assert imported.code == 1 and "moves.csv:2: effective date" in imported.err
    assert world.writes() == 0


def test_an_effective_date_within_a_year_is_fine(world: World) -> None:
    result = world.cli(
        "handover", "open", "--account", "Acme", "--from", "bob", "--to", "carol",
        "--effective", "2027-11-27", today=TODAY,
    )  # fmt: skip
    assert result.code == 0, result.err


def test_a_slipped_ldr_that_grows_into_a_consult_loses_the_slip_label(
    world: World, tmp_path: Path
) -> None:
    assert sync(world, export(tmp_path, LDR))[0] == 0
    slipped = LDR.replace("2026-12-20", "2027-04-30")
    assert sync(world, export(tmp_path, slipped), "2026-12-01")[0] == 0
    grown = slipped.replace(",6000,6000,", ",15000,15000,")
    assert sync(world, export(tmp_path, grown), "2026-12-02")[0] == 0
    (issue,) = world.issues("opportunity")
    assert "Opportunity Consult" in issue.labels
    assert "status::close-date-moved" not in issue.labels
    before = world.writes()
    assert sync(world, export(tmp_path, grown), "2026-12-02")[0] == 0
    assert world.writes() == before
