"""The sweep costs what it must (issue 13.2): an issue that turns overdue costs
one request (its nudge carrying the label), a same-day rerun reads no history,
and a person who takes the overdue label off is still never fought."""

from __future__ import annotations

from pathlib import Path

from tests.e2e import World

DAY = "2026-12-03"
LATE = "2026-12-21"  # a Monday: the handovers fell due on 2026-12-17
HANDOVERS = """\
account,account_id,from,to,effective_date,reason,opportunities
Acme Corp,ACC-1,bob,carol,2026-12-03,territory realignment,
Globex,ACC-2,carol,bob,2026-12-03,territory realignment,
"""


def imported(world: World, tmp_path: Path) -> None:
    csv = tmp_path / "handovers.csv"
    csv.write_text(HANDOVERS, encoding="utf-8")
    world.at(DAY)
    assert world.cli("handover", "import", str(csv), today=DAY).code == 0


def history_reads(world: World) -> int:
    log = world.sandbox.requests
    return log.count("GET", "/notes") + log.count("GET", "/resource_label_events")


def per_issue(world: World) -> int:
    """Requests that name one issue (not the listing, labels or the user)."""
    return sum(1 for e in world.sandbox.requests.entries if "/issues/" in e.path)


def test_an_issue_turning_overdue_costs_one_write_and_no_history_read(
    world: World, tmp_path: Path
) -> None:
    imported(world, tmp_path)
    world.at(LATE)
    world.sandbox.requests.clear()
    assert world.cli("sweep", today=LATE).code == 0
    log = world.sandbox.requests
    # per issue: its nudge carrying the label, and one read of the bot's notes
    # after posting (two writers at once keep one nudge: automation.once)
    assert log.count("GET", "/resource_label_events") == 0
    assert log.count("PUT") == 0 and log.count("POST", "/notes") == 2
    assert per_issue(world) == 4
    for issue in world.issues("handover"):
        assert "status::overdue" in issue.labels
        (nudge,) = world.notes(issue.iid)
        assert "behind plan" in nudge.body

    # the same day again: nothing to write and no history to read
    world.sandbox.requests.clear()
    assert world.cli("sweep", today=LATE).code == 0
    assert history_reads(world) == 0 and log.writes() == 0 and per_issue(world) == 0


def test_a_person_who_took_the_overdue_label_off_is_not_fought(
    world: World, tmp_path: Path
) -> None:
    imported(world, tmp_path)
    world.at(LATE)
    assert world.cli("sweep", today=LATE).code == 0
    acme = next(i for i in world.issues("handover") if "Acme" in i.title)
    world.at("2026-12-22")
    world.person("carol").update_issue(acme.iid, {"remove_labels": "status::overdue"})
    # a week on: nudges are due again, the label stays off
    world.at("2026-12-28")
    assert world.cli("sweep", today="2026-12-28").code == 0
    assert "status::overdue" not in world.api.get_issue(acme.iid).labels
    assert len(world.notes(acme.iid)) == 2  # the owner is still reminded
