"""Trends from history: the dashboard keeps a bounded history block that
`salesbot run` updates week after week, at no extra request."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from automation import hidden
from automation.report import Row, Snapshot
from automation.report.cycle import cycle_times, spread
from automation.report.facts import Facts
from automation.report.history import (
    BLOCK_START,
    MAX_CHARS,
    MAX_WEEKS,
    Found,
    History,
    iso_week,
    read,
    render,
    trends,
    update,
)
from automation.report.markdown import trends_lines
from automation.report.mermaid import trend_chart
from tests.e2e import TIERS, World

DAY0 = date(2026, 12, 7)  # a Monday
BLOCK_RE = re.compile(r"<!-- salesbot:history (.*?) -->")


def row(iid: int, workflow: str = "handover", **fields: object) -> Row:
    base = Row(
        workflow=workflow,
        key=f"k{iid}",
        iid=iid,
        reference=f"#{iid}",
        title=f"Issue {iid}",
        url=f"http://gitlab.test/-/issues/{iid}",
        owner=None,
        manager=None,
        phase="",
        progress=0.0,
        done=0,
        count=1,
        due=None,
        status="in-progress",
    )
    return replace(base, **fields)  # type: ignore[arg-type]


def snapshot(today: date, rows: tuple[Row, ...] = (), closed: tuple[Row, ...] = ()) -> Snapshot:
    return Snapshot(today, "sales/salesbot", rows, closed, (), history_found=Found())


# -- the block, pure -----------------------------------------------------------------


def test_the_block_round_trips_and_a_same_day_refresh_changes_nothing() -> None:
    snap = snapshot(DAY0, (row(1, status="overdue"), row(2)))
    first = update(Found(), snap, [(1, 1)])
    assert [(w.week, w.open, w.overdue, w.nudges) for w in first.weeks] == [("2026-W50", 2, 1, 1)]
    assert first.nudged == {"1": 1}
    again = update(read(render(first)), snap)
    assert again == first  # no new nudge, same figures: the same block, so no write


def test_history_keeps_one_entry_per_week_and_at_most_104_weeks() -> None:
    found = Found()
    for week in range(150):
        day = DAY0 + timedelta(weeks=week)
        for offset in (0, 2):  # two refreshes a week: the week's entry is replaced
            kept = update(found, snapshot(day + timedelta(days=offset), (row(week),)))
            found = read(render(kept))
    assert found.history is not None
    weeks = found.history.weeks
    assert len(weeks) == MAX_WEEKS == 104
    assert weeks[-1].week == iso_week(DAY0 + timedelta(weeks=149))
    assert len({w.week for w in weeks}) == len(weeks)
    assert len(render(found.history)) < 20_000  # 104 weeks: about 10 KB


def test_the_block_stays_under_its_size_bound_with_thousands_of_nudged_issues() -> None:
    rows = tuple(row(iid) for iid in range(1, 30_001))
    kept = update(Found(), snapshot(DAY0, rows), [(iid, 3) for iid in range(1, 30_001)])
    text = render(kept)
    assert len(text) <= MAX_CHARS < 1_048_576
    assert kept.nudged and "30000" in kept.nudged  # the newest issues are kept
    assert read(text).history == kept


def test_two_years_of_trends_stay_small_on_the_dashboard() -> None:
    """What history adds to the dashboard is bounded whatever the team's size:
    the block (at most MAX_CHARS) and a Trends section of a few KB."""
    rows = tuple(row(iid, status="overdue") for iid in range(1, 5_001))
    found = Found()
    for week in range(110):
        snap = snapshot(DAY0 + timedelta(weeks=week), rows)
        found = read(render(update(found, snap, [(iid, 1) for iid in range(1, 5_001)])))
    snap = replace(snapshot(DAY0 + timedelta(weeks=110), rows), history_found=found)
    section = "\n".join(trends_lines(snap))
    assert found.history is not None and len(found.history.weeks) == MAX_WEEKS
    assert len(render(found.history)) <= MAX_CHARS and len(section) < 6_000
    assert section.count("\n") < 40


def test_a_mangled_block_is_reset_never_an_error() -> None:
    good = render(update(Found(), snapshot(DAY0, (row(1),))))
    for mangled in (
        good.replace('"open":1', '"open":"lots"'),
        good.replace("}", "", 1),
        good.replace(" -->", ""),  # the comment left open
        f"{BLOCK_START}{{}} -->",
    ):
        found = read(f"intro\n{mangled}\nend")
        assert found.malformed and found.history is None
        later = update(found, snapshot(DAY0 + timedelta(days=1), (row(1),)))
        assert later.reset == DAY0 + timedelta(days=1) and len(later.weeks) == 1
    assert not read("no block here").malformed and read("no block here").history is None


def test_nothing_in_the_block_can_close_the_comment_or_mention_anyone() -> None:
    snap = snapshot(DAY0, (row(1),))
    text = render(update(Found(), snap))
    assert text.count("-->") == 1 and "@" not in text and "<!--" not in text[4:]
    assert hidden.COMMENT_RE.fullmatch(text)


def test_cycle_times_median_and_p90() -> None:
    assert spread([]).median is None
    s = spread(range(1, 11))
    assert (s.count, s.median, s.p90) == (10, 5.5, 9.0)
    closed = (
        row(1, opened=DAY0, closed_on=DAY0 + timedelta(days=4)),
        row(2, opened=DAY0, closed_on=DAY0 + timedelta(days=10)),
        row(
            3,
            "opportunity",
            facts=Facts(iacv=None, segment="SMB", close_date=DAY0, stage=""),
            closed_on=DAY0 - timedelta(days=2),
        ),
    )
    history = History(since=DAY0)
    times = cycle_times(history, closed)
    assert (times.handover.median, times.handover.count) == (7.0, 2)
    assert times.consult.median == -2.0  # closed two days before the deal's close date
    # closed since the history began (row 3 closed before it)
    assert times.completed == 2 and times.nudges_per_completed == 0.0


def test_nudges_of_an_issue_count_in_the_week_it_closes() -> None:
    open_one = row(5)
    first = update(Found(), snapshot(DAY0, (open_one,)), [(5, 2)])
    later = DAY0 + timedelta(days=7)
    done = replace(open_one, closed_on=later, is_open=False, status="complete")
    second = update(Found(first), snapshot(later, (), (done,)), [])
    assert second.nudged == {} and second.weeks[-1].completed_nudges == 2
    assert cycle_times(second, (done,)).nudges_per_completed == 2.0
    week = trends(second, (done,))[-1]
    assert (week.completed, week.completed_on_time, week.open) == (1, 1, 0)


@settings(max_examples=40, deadline=None)
@given(
    days=st.lists(st.integers(min_value=0, max_value=900), min_size=1, max_size=12),
    opened=st.integers(min_value=0, max_value=40),
    nudged=st.lists(st.integers(min_value=1, max_value=40), max_size=20),
)
def test_any_sequence_of_refreshes_stays_bounded_and_idempotent(
    days: list[int], opened: int, nudged: list[int]
) -> None:
    found = Found()
    for offset in sorted(days):
        today = DAY0 + timedelta(days=offset)
        snap = snapshot(
            today,
            tuple(
                row(i, status="overdue" if i % 3 else "in-progress") for i in range(1, opened + 1)
            ),
        )
        kept = update(found, snap, [(i, 1) for i in nudged if i <= opened])
        assert len(kept.weeks) <= MAX_WEEKS
        assert [w.week for w in kept.weeks] == sorted({w.week for w in kept.weeks})
        found = read(render(kept))
        assert found.history == kept
        assert update(found, snap) == kept  # the same day again: nothing changes


def test_the_mermaid_trend_chart_has_one_point_per_week() -> None:
    found = Found()
    for week in range(3):
        found = Found(update(found, snapshot(DAY0 + timedelta(weeks=week), (row(1),) * week)))
    assert found.history is not None
    lines = trend_chart(trends(found.history, ()))
    assert lines[0] == "```mermaid" and lines[1] == "xychart-beta"
    assert '    x-axis ["26-W50", "26-W51", "26-W52"]' in lines
    assert "    bar [0, 1, 2]" in lines and lines[-1] == "```"


# -- across runs, through the CLI, against the sandbox ---------------------------------


def block_of(world: World) -> dict[str, object]:
    board = world.titled("salesbot dashboard")
    match = BLOCK_RE.search(board.description)
    assert match is not None, board.description[-500:]
    data: dict[str, object] = json.loads(match[1])
    return data


def tick_section(world: World, username: str, iid: int, heading: str) -> None:
    """`username` ticks every box under one heading of the issue."""
    issue = world.api.get_issue(iid)
    lines, inside = [], False
    for line in issue.description.split("\n"):
        if line.startswith("#"):
            inside = line.lstrip("#").strip().startswith(heading)
        if inside:
            line = line.replace("- [ ]", "- [x]", 1)
        lines.append(line)
    world.person(username).update_issue(iid, {"description": "\n".join(lines)})


def json_report(world: World, day: date, tmp_path: Path) -> dict[str, object]:
    out = tmp_path / f"report-{day}.json"
    assert (
        world.cli("report", "--format", "json", "--out", str(out), today=day.isoformat()).code == 0
    )
    data: dict[str, object] = json.loads(out.read_text(encoding="utf-8"))
    return data


@TIERS
def test_history_survives_across_weekly_runs(world: World, tmp_path: Path) -> None:
    """Days 0, 7, 14 and 21: one entry per week, each week's figures as that
    week's report showed them, a handover's and an onboarding phase's cycle
    times, the nudges each run posted; a same-day rerun writes nothing."""
    days = [DAY0 + timedelta(days=7 * n) for n in range(4)]
    world.at(days[0].isoformat())
    opened = world.cli(
        "handover",
        "open",
        "--account",
        "Acme",
        "--from",
        "bob",
        "--to",
        "carol",
        today=days[0].isoformat(),
    )
    assert opened.code == 0, opened.err
    seen: list[tuple[int, int]] = []
    nudges: list[int] = []
    for n, day in enumerate(days):
        if n == 1:  # the handover is done in its first week
            handover = world.titled("Acme")
            world.tick_all("carol", handover.iid)
        if n == 2:  # grace finishes her Day 30 phase, ten days before it is due
            plan = next(i for i in world.issues("onboarding") if "grace" in i.description)
            tick_section(world, "grace", plan.iid, "Day 30")
        before = sum(
            1
            for i in world.issues()
            for note in world.notes(i.iid)
            if "salesbot:nudge" in note.body
        )
        assert world.job("run", day=day.isoformat()) == 0
        after = sum(
            1
            for i in world.issues()
            for note in world.notes(i.iid)
            if "salesbot:nudge" in note.body
        )
        nudges.append(after - before)
        writes = world.writes()
        assert world.job("run", day=day.isoformat()) == 0
        assert world.writes() == writes, f"a same-day rerun on {day} wrote"
        totals = json_report(world, day, tmp_path)["workflows"]
        assert isinstance(totals, list)
        seen.append((sum(t["open"] for t in totals), sum(t["overdue"] for t in totals)))
        block = block_of(world)
        assert isinstance(block["weeks"], list) and len(block["weeks"]) == n + 1
    world.sandbox.requests.clear()
    report = json_report(world, days[-1], tmp_path)
    # the history came with the listing: one list request, nothing per issue
    assert world.sandbox.requests.by_kind() == {
        "GET /user": 1,
        "GET /projects/:id/issues": 1,
    }
    trend = report["trends"]
    assert isinstance(trend, list)
    assert [w["week"] for w in trend] == [iso_week(d) for d in days]
    assert [(w["open"], w["overdue"]) for w in trend] == seen
    assert [w["nudges"] for w in trend] == nudges and sum(nudges) > 0
    assert trend[1]["completed"] == 1  # the handover, closed in week 2
    cycle = report["cycle_times"]
    assert isinstance(cycle, dict)
    assert cycle["handover"] == {"count": 1, "median": 7.0, "p90": 7.0}
    # grace started 2026-12-01: Day 30 due 2026-12-31, seen done on 2026-12-21
    assert cycle["onboarding_phase"]["count"] == 1
    assert cycle["onboarding_phase"]["median"] == -10.0
    board = world.titled("salesbot dashboard").description
    assert "```mermaid\nxychart-beta" in board and "## Trends" in board
    assert len(board) < 1_048_576


def test_a_person_mangling_the_history_block_resets_it_with_a_notice(
    world: World, tmp_path: Path
) -> None:
    assert world.job("run", day=DAY0.isoformat()) == 0
    board = world.titled("salesbot dashboard")
    mangled = BLOCK_RE.sub("<!-- salesbot:history {oops, edited -->", board.description)
    world.person("alice").update_issue(board.iid, {"description": mangled})
    later = (DAY0 + timedelta(days=7)).isoformat()
    assert world.job("run", day=later) == 0
    block = block_of(world)
    assert block["reset"] == later and isinstance(block["weeks"], list) and len(block["weeks"]) == 1
    text = world.titled("salesbot dashboard").description
    assert f"could not be read on {later}" in text
    out = tmp_path / "report.html"
    assert world.cli("report", "--format", "html", "--out", str(out), today=later).code == 0
    assert f"could not be read on {later}" in out.read_text(encoding="utf-8")
    writes = world.writes()
    assert world.job("run", day=later) == 0
    assert world.writes() == writes
