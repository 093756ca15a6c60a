"""Business keys on messy real names, and issues opened before keys were
encoded, through the CLI against the sandbox GitLab."""

from __future__ import annotations

import re
from pathlib import Path

from tests.e2e import World

TODAY = "2026-11-27"


def handover(world: World, account: str, *extra: str, to: str = "carol") -> tuple[int, str, str]:
    result = world.cli(
        "handover", "open", "--account", account, "--from", "bob", "--to", to,
        "--effective", "2026-12-07", *extra, today=TODAY,
    )  # fmt: skip
    return result.code, result.out, result.err


def as_before_the_upgrade(world: World, iid: int, legacy_key: str) -> None:
    """Rewrite the issue's marker to what salesbot wrote before keys were encoded
    (`key=slug@date`): the issue is then exactly one the old code opened."""
    issue = world.api.get_issue(iid)
    body = re.sub(r"key=\S+", f"key={legacy_key}", issue.description)
    world.api.update_issue(iid, {"description": body})


def test_names_starting_with_at_or_plus_open_and_rerun_writes_nothing(world: World) -> None:
    for name in ("@Home Realty", "+Plus GmbH", "-dash", "Zürich Versicherung", "日本電気"):
        code, out, err = handover(world, name)
        assert code == 0, err
        assert "Traceback" not in err
    titles = sorted(i.title for i in world.issues("handover"))
    assert len(titles) == 5
    assert any("Zürich Versicherung" in t for t in titles)
    before = world.writes()
    for name in ("@Home Realty", "+Plus GmbH", "-dash", "Zürich Versicherung", "日本電気"):
        code, out, _ = handover(world, name)
        assert code == 0 and "already open" in out
    assert world.writes() == before


def test_names_differing_only_in_punctuation_or_accents_are_different_accounts(
    world: World,
) -> None:
    for name in ("Acme, Inc.", "Acme Inc", "Café Noir", "Cafe Noir", "ACME INC"):
        code, out, err = handover(world, name)
        assert code == 0, err
        assert "already open" not in out
    assert len(world.issues("handover")) == 5


def test_a_name_typed_decomposed_is_the_same_account_as_precomposed(world: World) -> None:
    assert handover(world, "Cafe\u0301 Noir")[0] == 0  # e + combining acute accent
    before = world.writes()
    code, out, _ = handover(world, "Caf\u00e9 Noir")
    assert code == 0 and "already open" in out and world.writes() == before


def test_a_crm_account_id_keys_the_handover_whatever_the_name(world: World) -> None:
    assert handover(world, "Acme Corp", "--account-id", "001ABC")[0] == 0
    before = world.writes()
    code, out, _ = handover(world, "ACME Corporation", "--account-id", "001ABC")
    assert code == 0 and "already open" in out and world.writes() == before
    # Salesforce's 15-character ids are case-sensitive: another id, another account
    assert handover(world, "Acme Corp", "--account-id", "001abc")[0] == 0
    assert len(world.issues("handover")) == 2


def test_a_handover_opened_before_the_upgrade_is_found_not_duplicated(world: World) -> None:
    assert handover(world, "Acme, Inc.")[0] == 0
    (old,) = world.issues("handover")
    as_before_the_upgrade(world, old.iid, "Acme-Inc@2026-12-07")
    before = world.writes()
    code, out, _ = handover(world, "Acme, Inc.")
    assert code == 0 and f"already open as {old.web_url}" in out
    # the key is account and date: a corrected incoming seller is the same handover
    code, out, _ = handover(world, "Acme, Inc.", to="dave")
    assert code == 0 and "already open" in out
    assert world.writes() == before and len(world.issues("handover")) == 1


def test_an_old_issue_of_another_account_with_the_same_slug_is_not_taken(world: World) -> None:
    assert handover(world, "Acme, Inc.")[0] == 0
    (old,) = world.issues("handover")
    as_before_the_upgrade(world, old.iid, "Acme-Inc@2026-12-07")
    code, out, err = handover(world, "Acme Inc")  # slug Acme-Inc too, another account
    assert code == 0, err
    assert "already open" not in out and old.web_url in out  # the note names the old one
    issues = world.issues("handover")
    assert sorted(i.title for i in issues) == [
        "Account Handover: Acme Inc (bob → carol)",
        "Account Handover: Acme, Inc. (bob → carol)",
    ]
    before = world.writes()
    for name in ("Acme, Inc.", "Acme Inc"):
        assert "already open" in handover(world, name)[1]
    assert world.writes() == before


def test_an_old_issue_keyed_by_account_id_is_found(world: World, tmp_path: Path) -> None:
    assert handover(world, "Acme Corp", "--account-id", "001ABC")[0] == 0
    (old,) = world.issues("handover")
    as_before_the_upgrade(world, old.iid, "001ABC@2026-12-07")
    csv = tmp_path / "moves.csv"
    csv.write_text(
        "account,account_id,from,to,effective_date\nAcme Corp,001ABC,bob,carol,2026-12-07\n",
        encoding="utf-8",
    )
    before = world.writes()
    result = world.cli("handover", "import", str(csv), today=TODAY)
    assert result.code == 0 and "already open" in result.out
    assert world.writes() == before


OPPS = "id,name,account,owner,segment,iacv,amount,close_date,stage\n"


def test_an_opportunity_issue_opened_before_the_upgrade_is_found_and_followed(
    world: World, tmp_path: Path
) -> None:
    csv = tmp_path / "opportunities.csv"
    row = "0065e00000ABCD,Platform,Acme,bob,SMB,12000,36000,2027-01-15,{stage}\n"
    csv.write_text(OPPS + row.format(stage="2-Scoping"), encoding="utf-8")
    sync = ("consults", "sync", "--opportunities", str(csv))
    assert world.cli(*sync, today=TODAY).code == 0
    (old,) = world.issues("opportunity")
    as_before_the_upgrade(world, old.iid, "0065e00000ABCD")
    before = world.writes()
    assert world.cli(*sync, today=TODAY).code == 0
    assert world.writes() == before and len(world.issues("opportunity")) == 1
    csv.write_text(OPPS + row.format(stage="Closed Won"), encoding="utf-8")
    assert world.cli(*sync, today=TODAY).code == 0
    (closed,) = world.issues("opportunity")
    assert closed.iid == old.iid and closed.state == "closed"


def test_opportunity_ids_that_share_a_slug_are_different_deals(
    world: World, tmp_path: Path
) -> None:
    csv = tmp_path / "opportunities.csv"
    csv.write_text(
        OPPS
        + "@A 1,One,Acme,bob,SMB,12000,,2027-01-15,2-Scoping\n"
        + "A-1,Two,Acme,bob,SMB,12000,,2027-01-15,2-Scoping\n"
        + "A/1,Three,Acme,bob,SMB,12000,,2027-01-15,2-Scoping\n",
        encoding="utf-8",
    )
    result = world.cli("consults", "sync", "--opportunities", str(csv), today=TODAY)
    assert result.code == 0, result.err
    assert len(world.issues("opportunity")) == 3


def test_an_import_with_names_the_old_code_crashed_on_opens_every_row(
    world: World, tmp_path: Path
) -> None:
    csv = tmp_path / "moves.csv"
    csv.write_text(
        "account,from,to,effective_date\n"
        "@Home Realty,bob,carol,2026-12-07\n"
        "+Plus GmbH,bob,carol,2026-12-07\n"
        '"Acme, Inc.",bob,carol,2026-12-07\n'
        "Acme Inc,bob,carol,2026-12-07\n",
        encoding="utf-8",
    )
    result = world.cli("handover", "import", str(csv), today=TODAY)
    assert result.code == 0, result.err
    assert len(world.issues("handover")) == 4
    before = world.writes()
    again = world.cli("handover", "import", str(csv), today=TODAY)
    assert again.code == 0 and again.out.count("already open") == 4
    assert world.writes() == before
