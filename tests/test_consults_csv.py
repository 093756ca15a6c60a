"""Reading the CRM opportunity export."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from automation.errors import InputError
from automation.workflows.consults import closes_soon, parse_csv

HEADER = "id,name,account,owner,segment,iacv,amount,close_date,stage\n"


def test_rows_parse_with_money_in_any_common_form() -> None:
    export = parse_csv(
        HEADER + '0061,Big deal,Acme,bob,SMB,"$12,000",36000,2026-12-15,3-Technical Evaluation\n',
        source="opps.csv",
    )
    assert export.problems == ()
    (opp,) = export.opportunities
    assert (opp.id, opp.owner, opp.iacv, opp.line) == ("0061", "bob", Decimal("12000"), 2)


def test_salesforce_header_names_are_understood() -> None:
    export = parse_csv(
        "Opportunity ID,Opportunity Name,Account Name,Opportunity Owner,Segment,iACV,Amount,"
        "Close Date,Stage\n0062,Deal,Acme,carol,Mid-Market,25000,,2027-01-10,Discovery\n",
        source="opps.csv",
    )
    assert [o.id for o in export.opportunities] == ["0062"]


def test_bad_rows_are_reported_with_their_line_numbers_and_good_rows_kept() -> None:
    export = parse_csv(
        HEADER
        + ",No id,Acme,bob,SMB,1000,,2026-12-01,x\n"
        + "0063,Bad money,Acme,bob,SMB,lots,,2026-12-01,x\n"
        + "0064,Bad segment,Acme,bob,Galactic,1000,,2026-12-01,x\n"
        + "0065,Good,Acme,bob,SMB,1000,,2026-12-01,x\n",
        source="opps.csv",
    )
    assert [o.id for o in export.opportunities] == ["0065"]
    assert export.problems == (
        "opps.csv:2: id: missing",
        "opps.csv:3: iacv: 'lots' is not a number",
        "opps.csv:4: segment: unknown segment 'Galactic' (expected one of: SMB, Mid-Market, "
        "Enterprise, Public Sector)",
    )


def test_a_missing_required_column_stops_everything() -> None:
    with pytest.raises(InputError, match="opps.csv:1: missing column.*iacv"):
        parse_csv("id,owner,segment,close_date\n", source="opps.csv")


@pytest.mark.parametrize(
    ("close", "expected"),
    [("2026-11-30", True), ("2026-12-31", True), ("2027-01-01", False), ("2026-10-31", False)],
)
def test_ldr_window_is_this_or_next_month(close: str, expected: bool) -> None:
    assert closes_soon(date.fromisoformat(close), date(2026, 11, 27)) is expected


@pytest.mark.parametrize("iacv", ["-5000", "0", "$0", "-$12,000"])
def test_an_iacv_that_is_not_positive_is_a_bad_row(iacv: str) -> None:
    export = parse_csv(
        HEADER + f'0061,Deal,Acme,bob,SMB,"{iacv}",,2026-12-15,2-Scoping\n', source="opps.csv"
    )
    assert export.opportunities == ()
    assert export.problems == (f"opps.csv:2: iacv: '{iacv}' must be a positive amount",)


def test_unknown_columns_are_a_warning_and_unknown_owners_bad_rows() -> None:
    from automation.workflows.consults import check_owners

    export = parse_csv(
        HEADER.rstrip("\n") + ",Region\n"
        "0061,Deal,Acme,bob,SMB,9000,,2026-12-15,x,EMEA\n"
        "0062,Deal,Acme,ghost,SMB,9000,,2026-12-15,x,EMEA\n",
        source="opps.csv",
    )
    assert export.warnings == ("opps.csv:1: warning: ignoring unknown column(s) region",)
    checked = check_owners(export, lambda name: name != "ghost")
    assert [o.id for o in checked.opportunities] == ["0061"]
    assert checked.problems == ("opps.csv:3: owner: unknown GitLab user 'ghost'",)
