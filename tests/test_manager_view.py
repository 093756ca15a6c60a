"""The manager's view (issue 16, part 1): rollups per manager and seller, the
deal's facts kept on consults and LDRs, days overdue, the onboarding phase
after the plan's end, escalation on the dashboard, the Slack digest's figures
and the JSON report version 2 with its published schema."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from automation import dashboard, hidden
from automation.cli import main
from automation.marker import Marker, find
from automation.records import IssueChange
from automation.report import Person, Row, Snapshot
from automation.report.rollups import by_manager, by_seller
from tests.e2e import MEMBERS, TIERS, TODAY, World, api_for, dashboard_world
from tests.e2e import DashboardWorld as Board

ROOT = Path(__file__).resolve().parent.parent
HEADER = "id,name,account,owner,segment,iacv,amount,close_date,stage,narr,consult_requested\n"


@pytest.fixture
def board(sandbox: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Board:
    built = dashboard_world(sandbox, tmp_path)
    for name, value in built.env().items():
        monkeypatch.setenv(name, value)
    return built


def report(config: Path, fmt: str, out: Path, day: date = TODAY) -> str:
    args = ["--config", str(config), "--today", day.isoformat()]
    assert main([*args, "report", "--format", fmt, "--out", str(out)]) == 0
    return out.read_text(encoding="utf-8")


def close_on(board: Board, iid: int, day: date) -> None:
    """A person closes the issue on `day` (the sandbox records that closing time)."""
    board.at(day.isoformat())
    api_for(board.sandbox, "carol").edit_issue(iid, IssueChange(state_event="close"))
    board.sandbox.set_time(None)


# -- 1. rollups ----------------------------------------------------------------------


def test_rollups_per_manager_and_seller_in_every_format(board: Board, tmp_path: Path) -> None:
    # globex (dave's, due in two weeks) closed today: on time; acme (carol's, due
    # six days ago) closed today: late
    close_on(board, board.globex.iid, TODAY)
    close_on(board, board.acme.iid, TODAY)
    data = json.loads(report(board.config, "json", tmp_path / "r.json"))
    managers = {(m["person"] or {}).get("username"): m for m in data["managers"]}
    alice = managers["alice"]
    # alice's open issues: erin's plan and Give Back (erin is 10+ days behind)
    erin_days = next(i for i in data["issues"] if i["iid"] == board.erin.iid)["days_overdue"]
    assert erin_days > 0
    assert alice["overdue"] >= 1 and alice["oldest_days_overdue"] == erin_days
    assert alice["total_days_overdue"] >= erin_days
    assert (alice["closed_with_due_date"], alice["closed_on_time"]) == (1, 0)
    assert alice["completed_on_time"] == 0.0
    grace = managers["grace"]  # dave's manager
    assert (grace["closed_with_due_date"], grace["closed_on_time"], grace["open"]) == (1, 1, 2)
    sellers = {s["person"]["username"]: s for s in data["sellers"]}
    assert sellers["dave"]["completed_on_time"] == 1.0 and sellers["dave"]["open"] == 0
    assert sellers["carol"]["completed_on_time"] == 0.0
    assert sellers["carol"]["manager"]["username"] == "alice"
    # most behind first
    totals = [m["total_days_overdue"] for m in data["managers"]]
    assert totals == sorted(totals, reverse=True)

    text = report(board.config, "md", tmp_path / "r.md")
    rollups = text.split("## Rollups", 1)[1].split("\n## ", 1)[0]
    alice_line = rf"\| Alice Anderson \(alice\) \| \d+ \| \d+ \| {erin_days} days \|"
    assert re.search(alice_line + r".*\| 0% \(0/1\) \|", rollups)
    assert re.search(
        r"\| Dave Diaz \(dave\) \| Grace Garcia \(grace\) \| 0 \| 0 \| — \| — \| 100% \(1/1\) \|",
        rollups,
    )
    page = report(board.config, "html", tmp_path / "r.html")
    assert '<section id="rollups">' in page and "100% (1/1)" in page
    assert f'class="overdue">{erin_days} days overdue</td>' in page


def _row(
    owner: str | None, manager: str | None, days: int, closed: date | None, due: date | None
) -> Row:
    return Row(
        workflow="handover",
        key=f"{owner}-{days}-{closed}",
        iid=1,
        reference="#1",
        title="t",
        url="",
        owner=Person(owner, owner) if owner else None,
        manager=Person(manager, manager) if manager else None,
        phase="",
        progress=0.0,
        done=0,
        count=1,
        due=due,
        status="overdue" if days and closed is None else "in-progress",
        is_open=closed is None,
        days_overdue=days if closed is None else 0,
        closed_on=closed,
    )


people = st.sampled_from([None, "ann", "ben", "cy"])
days = st.integers(min_value=0, max_value=400)
dates = st.one_of(st.none(), st.dates(date(2026, 1, 1), date(2027, 12, 31)))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(people, people, days), max_size=30),
    st.lists(st.tuples(people, people, dates, dates), max_size=30),
)
def test_rollups_add_up(
    open_rows: list[tuple[str | None, str | None, int]],
    closed_rows: list[tuple[str | None, str | None, date | None, date | None]],
) -> None:
    rows = tuple(_row(o, m, d, None, TODAY) for o, m, d in open_rows)
    closed = tuple(_row(o, m, 0, c or TODAY, due) for o, m, c, due in closed_rows)
    snapshot = Snapshot(TODAY, "g/p", rows, closed, ())
    managers = by_manager(snapshot)
    assert sum(r.open for r in managers) == len(rows)
    assert sum(r.overdue for r in managers) == sum(1 for r in rows if r.overdue)
    assert sum(r.total_days_overdue for r in managers) == sum(r.days_overdue for r in rows)
    assert sum(r.closed_with_due for r in managers) == sum(1 for r in closed if r.due)
    for found in [*managers, *by_seller(snapshot)]:
        assert found.oldest_days_overdue <= found.total_days_overdue
        assert found.closed_on_time <= found.closed_with_due
        assert found.on_time is None or 0.0 <= found.on_time <= 1.0
    # sellers: every issue with an owner, once
    assert sum(r.open for r in by_seller(snapshot)) == sum(1 for r in rows if r.owner)


# -- 2. the deal's facts ----------------------------------------------------------------


@settings(max_examples=80, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["iacv", "segment", "close_date", "stage", "review"]), st.text(), min_size=1
    ),
    st.dictionaries(st.sampled_from(["stage", "iacv"]), st.text()),
    st.text(),
)
def test_the_facts_line_round_trips_and_stays_one_hidden_line(
    first: dict[str, str], second: dict[str, str], body: str
) -> None:
    marker = Marker("opportunity", "id-A1", 1).render()
    text = f"{body}\n\n{marker}\n"
    once = hidden.with_facts(text, first)
    assert hidden.facts_payload(once) == first
    twice = hidden.with_facts(once, {**first, **second})
    assert hidden.facts_payload(twice) == {**first, **second}
    # one comment line, in place, before the marker: nothing else changed
    (line,) = [x for x in twice.split("\n") if x.startswith("<!-- salesbot:facts")]
    assert line.count("-->") == 1 and "<" not in line[4:-3] and "@" not in line
    assert twice.replace(line + "\n", "") == text
    assert find(twice) == find(text)


def sync(world: World, tmp_path: Path, *rows: str, today: str) -> None:
    path = tmp_path / "opportunities.csv"
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    result = world.cli("consults", "sync", "--opportunities", str(path), today=today)
    assert result.code == 0, result.err


def world_report(world: World, tmp_path: Path, fmt: str, today: str) -> str:
    result = world.cli("report", "--format", fmt, "--out", str(tmp_path / f"r.{fmt}"), today=today)
    assert result.code == 0, result.err
    return (tmp_path / f"r.{fmt}").read_text(encoding="utf-8")


CONSULT = "A1,Seats,Globex,bob,SMB,15000,15000,2026-12-20,2-Scoping,,\n"
PLAN = "E1,Transformation,Hooli,kim,Enterprise,20000,180000,2027-06-30,1-Discovery,60000,\n"


def test_consult_rows_show_the_deal_kept_with_the_issue(world: World, tmp_path: Path) -> None:
    sync(world, tmp_path, CONSULT, PLAN, today="2026-11-27")
    (tmp_path / "opportunities.csv").unlink()  # the report needs no CSV
    data = json.loads(world_report(world, tmp_path, "json", "2026-11-27"))
    rows = {i["title"]: i for i in data["issues"] if i["workflow"] == "opportunity"}
    consult = rows["Opportunity Consult: Seats (Globex)"]
    assert consult["facts"] == {
        "iacv": "15000",
        "segment": "SMB",
        "close_date": "2026-12-20",
        "stage": "2-Scoping",
        "review": "Opportunity Consult",
        "command_plan": False,
    }
    plan = rows["Command Plan: Transformation (Hooli)"]
    assert plan["phase"] == "Command Plan" and plan["facts"]["command_plan"] is True
    text = world_report(world, tmp_path, "md", "2026-11-27")
    assert "| Review | iACV | Segment | Close date | Stage |" in text
    assert "| consult | $15,000 | SMB | 2026-12-20 | 2-Scoping |" in text
    assert "| Command Plan | $20,000 | Enterprise | 2027-06-30 | 1-Discovery |" in text
    page = world_report(world, tmp_path, "html", "2026-11-27")
    assert '<td>Command Plan</td><td class="num">$20,000</td>' in page


@TIERS
def test_facts_follow_the_export_with_one_write_and_none_on_a_rerun(
    world: World, tmp_path: Path
) -> None:
    sync(world, tmp_path, CONSULT, today="2026-11-27")
    before = world.writes()
    sync(world, tmp_path, CONSULT, today="2026-11-28")
    assert world.writes() == before  # the same export: nothing written
    (issue,) = world.issues("opportunity")
    world.tick("bob", issue.iid, "paper process")
    before = world.writes()
    moved = CONSULT.replace("2-Scoping", "3-Technical Evaluation")
    (tmp_path / "opportunities.csv").write_text(HEADER + moved, encoding="utf-8")
    args = ("consults", "sync", "--opportunities", str(tmp_path / "opportunities.csv"))
    dry = world.cli(*args, "--dry-run", today="2026-11-28")
    assert dry.code == 0 and "deal facts from the CRM export: 3-Technical Evaluation" in dry.out
    assert world.writes() == before
    sync(world, tmp_path, moved, today="2026-11-28")
    assert world.writes() == before + 1  # the facts line, rewritten in place
    fresh = world.api.get_issue(issue.iid)
    assert fresh.task_completed == issue.task_completed + 1  # bob's tick kept
    assert fresh.description.rstrip().endswith(issue.description.rstrip().splitlines()[-1])
    data = json.loads(world_report(world, tmp_path, "json", "2026-11-28"))
    (row,) = [i for i in data["issues"] if i["iid"] == issue.iid]
    assert row["facts"]["stage"] == "3-Technical Evaluation"
    sync(
        world, tmp_path, CONSULT.replace("2-Scoping", "3-Technical Evaluation"), today="2026-11-29"
    )
    assert world.writes() == before + 1


def test_an_issue_opened_before_facts_were_kept_shows_dashes(world: World, tmp_path: Path) -> None:
    sync(world, tmp_path, CONSULT, today="2026-11-27")
    (issue,) = world.issues("opportunity")
    old = "\n".join(x for x in issue.description.split("\n") if "salesbot:facts" not in x)
    world.api.update_issue(issue.iid, {"description": old})
    before = world.writes()
    sync(world, tmp_path, CONSULT.replace("15000,15000", "16000,16000"), today="2026-11-28")
    assert world.writes() == before  # not written back for a report
    text = world_report(world, tmp_path, "md", "2026-11-28")
    assert "| consult | — | — | — | — |" in text


# -- 3. onboarding after its end, days overdue ---------------------------------------


def test_an_onboarding_plan_past_day_90_says_so(board: Board, tmp_path: Path) -> None:
    start = next(s for name, *_, s in MEMBERS if name == "erin")
    day = start + timedelta(days=95)
    data = json.loads(report(board.config, "json", tmp_path / "r.json", day))
    erin = next(i for i in data["issues"] if i["iid"] == board.erin.iid)
    day30 = start + timedelta(days=30)
    assert erin["phase"] == "Day 30 (unfinished after Day 90)"
    assert erin["due_date"] == day30.isoformat()
    # counted from the date the row shows: the unfinished phase's
    assert erin["days_overdue"] == (day - day30).days
    # on the day one phase ends and the next begins, one of them is active
    boundary = start + timedelta(days=60)
    data = json.loads(report(board.config, "json", tmp_path / "b.json", boundary))
    for hire in data["onboarding_cohort"]:
        assert [p["state"] for p in hire["phases"]].count("active") <= 1
    text = report(board.config, "md", tmp_path / "r.md", day)
    assert "| Day 30 (unfinished after Day 90) |" in text
    assert f"**{erin['days_overdue']} days overdue**" in text


# -- 4. "as of" and escalation on the dashboard ----------------------------------------


def tick(board: Board, username: str, key: str) -> None:
    api = api_for(board.sandbox, username)
    found = board.board()
    pattern = re.compile(rf"^- \[ \] (.*<!-- task:{re.escape(key)} -->)$", re.MULTILINE)
    ticked, count = pattern.subn(r"- [x] \1", found.description)
    assert count == 1, f"no unticked box {key} on the dashboard"
    api.update_issue(found.iid, {"description": ticked})


def test_long_overdue_items_offer_escalation_not_an_extension(board: Board) -> None:
    acme = board.acme.iid  # due six days before TODAY
    dashboard.refresh(board.bot, TODAY)
    text = board.board().description
    assert f"As of {TODAY}." in text
    # the rollups are on the dashboard too: alice's row, most behind first
    rollups = text.split("## Rollups", 1)[1]
    assert rollups.index("| Alice Anderson (alice) |") < rollups.index("| Grace Garcia (grace) |")
    assert f"Extend #{acme} by a week" in text and f"Escalate #{acme}" not in text

    later = TODAY + timedelta(days=10)  # 16 days overdue: more than 14
    result = dashboard.refresh(board.bot, later)
    assert result.written
    text = board.board().description
    assert f"As of {later}." in text
    assert f"Extend #{acme} by a week" not in text
    assert f"Escalate #{acme} to its owner's manager" in text
    assert f"Waive the next nudge on #{acme}" in text

    tick(board, "alice", f"dashboard.escalate.{acme}")
    result = dashboard.refresh(board.bot, later)
    assert not result.report.failures
    notes = [n.body for n in board.bot.api.iter_notes(acme) if not n.system]
    (escalated,) = [n for n in notes if "escalated to you" in n]
    assert escalated.startswith("@alice: this is 16 days overdue")
    assert "@alice asked for it on the dashboard" in escalated
    before = board.writes()
    dashboard.refresh(board.bot, later)
    assert board.writes() == before  # carried out once; nothing new: no write


# -- 5. Slack --------------------------------------------------------------------------


def test_the_slack_digest_carries_the_per_manager_figures(
    board: Board, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    args = ["--config", str(board.config), "--today", TODAY.isoformat()]
    assert main([*args, "notify", "--dry-run", "--json"]) == 0
    message = json.loads(capsys.readouterr().out)["details"]["digest"]
    text = message["text"]
    assert "*By manager*" in text
    line = next(x for x in text.splitlines() if x.startswith("• *Alice Anderson*"))
    assert re.fullmatch(
        r"• \*Alice Anderson\*: \d+ open, \d+ overdue \(oldest \d+ days?, \d+ days? in all\)", line
    )
    assert "**" not in text  # mrkdwn, not Markdown
    block = next(b for b in message["blocks"] if "*By manager*" in b["text"].get("text", ""))
    assert block["text"]["type"] == "mrkdwn"
    # the overdue lines say by how much
    assert re.search(rf"#{board.acme.iid} .*, 6 days overdue", text)


# -- 6. JSON version 2 and its published schema -----------------------------------------


def test_the_published_schema_is_the_one_the_code_writes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    capsys.readouterr()
    assert main(["report", "schema"]) == 0
    printed = json.loads(capsys.readouterr().out)
    published = json.loads((ROOT / "schemas" / "report-v2.json").read_text(encoding="utf-8"))
    assert printed == published, (
        "schemas/report-v2.json is stale: .venv/bin/salesbot report schema > schemas/report-v2.json"
    )
    assert printed["properties"]["version"]["const"] == 2
    for key in ("managers", "sellers"):
        assert key in printed["required"]
    issue = printed["$defs"]["IssueDoc"]["properties"]
    assert {"days_overdue", "facts"} <= set(issue)
