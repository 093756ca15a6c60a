"""The dashboard issue against the sandbox: what a manager sees, and the boxes they tick."""

from __future__ import annotations

import json
import re
import string
import threading
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from automation import dashboard
from automation.checklist import progress_bar
from automation.cli import main
from automation.records import Issue
from automation.sandbox import Sandbox
from automation.sandbox.system_notes import checklist_note_text
from automation.workflows import handover
from tests.e2e import TODAY, api_for, dashboard_world, in_front
from tests.e2e import DashboardWorld as World

EXTEND = dashboard.DashboardSettings().extend_days


@pytest.fixture
def world(sandbox: Any, tmp_path: Path) -> World:
    return dashboard_world(sandbox, tmp_path)


def tick(world: World, username: str, key: str) -> None:
    """`username` ticks one action box on the dashboard, as in the browser."""
    api = api_for(world.sandbox, username)
    board = world.board()
    pattern = re.compile(rf"^- \[ \] (.*<!-- task:{re.escape(key)} -->)$", re.MULTILINE)
    ticked, count = pattern.subn(r"- [x] \1", board.description)
    assert count == 1, f"no unticked box {key} on the dashboard"
    api.update_issue(board.iid, {"description": ticked})


def box(description: str, key: str) -> str:
    """' ' or 'x': the state of one action box."""
    match = re.search(rf"^- \[([ x])\] .*<!-- task:{re.escape(key)} -->$", description, re.M)
    assert match, f"no box {key}"
    return match[1]


def section(description: str, heading: str) -> str:
    """The text under a `## heading` up to the next heading of that level or higher."""
    match = re.search(rf"^(#+) {re.escape(heading)}.*$", description, re.MULTILINE)
    assert match, f"no section {heading}"
    level = len(match[1])
    rest = description[match.end() :]
    end = re.search(rf"^#{{1,{level}}} ", rest, re.MULTILINE)
    return rest[: end.start()] if end else rest


def table_rows(text: str) -> list[list[str]]:
    rows = []
    for line in text.splitlines():
        if line.startswith("| [#"):
            rows.append([c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]])
    return rows


def row_of(description: str, heading: str, iid: int) -> list[str]:
    rows = table_rows(section(description, heading))
    return next(r for r in rows if r[0].startswith(f"[#{iid}]"))


def bot_notes(world: World, iid: int) -> list[str]:
    return [
        n.body for n in world.bot.api.iter_notes(iid) if n.author == "salesbot" and not n.system
    ]


# -- what a manager sees -----------------------------------------------------------------


def tick_item(sandbox: Any, username: str, issue: Issue, key: str) -> None:
    """`username` ticks the item keyed `key` of an issue's checklist."""
    pattern = re.compile(rf"^- \[ \] (.*<!-- task:{re.escape(key)} -->)$", re.MULTILINE)
    ticked, count = pattern.subn(r"- [x] \1", issue.description)
    assert count == 1, f"no unticked item {key} in #{issue.iid}"
    api_for(sandbox, username).update_issue(issue.iid, {"description": ticked})


def test_the_dashboard_shows_every_workflow_overdue_first(world: World) -> None:
    give_back = next(
        i
        for i in world.bot.issues(state="opened")
        if "workflow=give-back key=erin@" in i.description
    )
    tick_item(world.sandbox, "erin", give_back, "give-back.adopted-70")
    result = dashboard.refresh(world.bot, TODAY)
    assert result.written and not result.report.failures
    board = world.board()
    assert board.author == "salesbot" and "salesbot" in board.labels
    assert board.title == "salesbot dashboard" and board.confidential

    handovers = table_rows(section(board.description, "Account handovers"))
    assert [row[0].split(")", 1)[0] for row in handovers] == [
        f"[#{world.acme.iid}]({world.acme.web_url}",
        f"[#{world.globex.iid}]({world.globex.web_url}",
    ]
    acme, globex = handovers
    assert acme[1:4] == ["Carol Chen (carol)", "Alice Anderson (alice)", "—"]
    # due 14 days after a handover effective 20 days ago: how late, not only "overdue"
    assert acme[6] == "**6 days overdue**" and "overdue" not in globex[6]
    assert globex[5] == (TODAY + timedelta(days=14)).isoformat()

    onboarding = table_rows(section(board.description, "Onboarding 30/60/90"))
    erin = next(row for row in onboarding if f"#{world.erin.iid}]" in row[0])
    assert erin[1:4] == ["Erin Evans (erin)", "Alice Anderson (alice)", "Day 30"]
    assert erin[6].endswith(" days overdue**") and onboarding[0] == erin
    # the bar counts what GitLab counts
    fresh = world.bot.api.get_issue(world.erin.iid)
    expected = progress_bar(fresh.task_completed / fresh.task_count)
    assert erin[4] == f"{expected} ({fresh.task_completed}/{fresh.task_count})"

    chart = section(board.description, "Onboarding 30/60/90")
    assert "```mermaid\ngantt" in chart
    start = TODAY - timedelta(days=40)
    day30 = start + timedelta(days=30)
    assert (
        f"    section Erin Evans\n    Day 30 :crit, {start}, {day30}\n    Day 60 :active, {day30}, "
        in chart
    )
    adoption = section(board.description, "Give Back adoption")
    assert (
        "2 Give Back project(s): 0 complete, 1 adopted by at least 70% of the team (50%), "
        "0 used at least once a month." in adoption
    )
    projects = {row[1]: row for row in table_rows(adoption)}
    assert projects["Erin Evans (erin)"][2:4] == ["Alice Anderson (alice)", "Problem"]
    assert projects["Erin Evans (erin)"][5:7] == ["yes", "no"]
    assert projects["Frank Fischer (frank)"][2] == "Grace Garcia (grace)"
    assert projects["Frank Fischer (frank)"][5:7] == ["no", "no"]


def test_a_second_salesbot_dashboard_writes_nothing(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, value in world.env().items():
        monkeypatch.setenv(name, value)
    args = ["--config", str(world.config), "--today", TODAY.isoformat(), "dashboard"]
    assert main(args) == 0
    assert "created" in capsys.readouterr().out
    before = world.sandbox.requests.writes()
    assert main(args) == 0
    assert world.sandbox.requests.writes() == before
    assert "unchanged" in capsys.readouterr().out
    assert main([*args, "--dry-run"]) == 0
    assert "nothing to do" in capsys.readouterr().out
    assert world.sandbox.requests.writes() == before


def test_the_dashboard_is_found_by_its_marker_not_its_title(world: World) -> None:
    dashboard.refresh(world.bot, TODAY)
    board = world.board()
    alice = api_for(world.sandbox, "alice")
    alice.update_issue(board.iid, {"title": "Renamed by Alice"})
    # a person's issue with the marker and the label is not the bot's dashboard
    forged = alice.create_issue(
        {
            "title": "salesbot dashboard",
            "description": f"mine\n\n{dashboard.MARKER.render()}\n",
            "labels": "salesbot",
        }
    )
    dashboard.refresh(world.bot, TODAY)
    assert world.board().iid == board.iid
    assert world.bot.api.get_issue(board.iid).title == "salesbot dashboard"
    assert world.bot.api.get_issue(forged.iid).description.startswith("mine")


def test_large_teams_get_one_section_per_manager(world: World) -> None:
    settings = dashboard.DashboardSettings(rollup_threshold=2)
    dashboard.refresh(world.bot, TODAY, settings=settings)
    text = world.board().description
    alice = section(text, "Team of Alice Anderson (alice)")
    grace = section(text, "Team of Grace Garcia (grace)")
    assert f"#{world.acme.iid}]" in alice and f"#{world.erin.iid}]" in alice
    assert f"#{world.globex.iid}]" not in alice and "Frank" not in alice
    assert f"#{world.globex.iid}]" in grace and "Frank Fischer (frank)" in grace
    assert "Erin" not in grace
    # each manager's action boxes sit in their section
    assert f"task:dashboard.extend.{world.acme.iid}" in alice
    assert f"task:dashboard.reassign.{world.globex.iid}" in grace


def test_long_tables_are_capped_most_urgent_first(world: World) -> None:
    settings = dashboard.DashboardSettings(max_rows=1)
    dashboard.refresh(world.bot, TODAY, settings=settings)
    handovers = section(world.board().description, "Account handovers")
    assert [r[0].split("]")[0] for r in table_rows(handovers)] == [f"[#{world.acme.iid}"]
    assert "…and 1 more, in the report (`salesbot report`)." in handovers
    assert f"task:dashboard.reassign.{world.globex.iid}" not in handovers


def test_untrusted_titles_cannot_break_the_table_or_mention_anyone(world: World) -> None:
    evil = handover.make(
        account="Evil | Corp @all <!-- x --> `code`",
        from_user="bob",
        to_user="carol",
        effective=TODAY,
    )
    assert not world.bot.apply(world.bot.plan_handovers([evil], TODAY)).failures
    dashboard.refresh(world.bot, TODAY)
    text = world.board().description
    rows = table_rows(section(text, "Account handovers"))
    assert len(rows) == 3 and all(len(row) == 7 for row in rows)
    assert "@all" not in text and "<!-- x" not in text


# -- the boxes a manager ticks --------------------------------------------------------------


def test_a_ticked_extend_moves_the_due_date_once_and_names_who_asked(world: World) -> None:
    dashboard.refresh(world.bot, TODAY)
    key = dashboard.action_key("extend", world.acme.iid)
    tick(world, "alice", key)

    result = dashboard.refresh(world.bot, TODAY)
    assert not result.report.failures
    acme = world.bot.api.get_issue(world.acme.iid)
    assert acme.due_date == TODAY + timedelta(days=EXTEND)
    assert "status::overdue" not in acme.labels
    notes = [n for n in bot_notes(world, acme.iid) if "Due date moved" in n]
    assert len(notes) == 1
    assert f"from {world.acme.due_date} to {acme.due_date}: @alice asked" in notes[0]
    board = world.board()
    assert box(board.description, key) == " "
    row = row_of(board.description, "Account handovers", acme.iid)
    assert row[5] == acme.due_date.isoformat() and row[6] != "**overdue**"

    before = world.sandbox.requests.writes()
    dashboard.refresh(world.bot, TODAY)
    assert world.sandbox.requests.writes() == before
    assert world.bot.api.get_issue(world.acme.iid).due_date == acme.due_date


def test_an_action_done_before_a_lost_dashboard_write_is_not_done_twice(world: World) -> None:
    dashboard.refresh(world.bot, TODAY)
    key = dashboard.action_key("extend", world.acme.iid)
    tick(world, "alice", key)
    result = dashboard.carry_out(world.bot, dashboard.prepare(world.bot, TODAY))
    assert not result.report.failures
    world.sandbox.options.fault_rate = 1.0  # GitLab is down when the dashboard is written
    dashboard.write(world.bot, result)
    world.sandbox.options.fault_rate = 0.0
    assert result.report.failures and box(world.board().description, key) == "x"

    dashboard.refresh(world.bot, TODAY)
    assert world.bot.api.get_issue(world.acme.iid).due_date == TODAY + timedelta(days=EXTEND)
    assert box(world.board().description, key) == " "
    assert len([n for n in bot_notes(world, world.acme.iid) if "Due date moved" in n]) == 1


def test_a_waived_nudge_is_skipped_by_the_sweep(world: World) -> None:
    dashboard.refresh(world.bot, TODAY)
    erin = world.erin.iid
    assert any("salesbot:nudge" in n for n in bot_notes(world, erin))  # nudged today
    tick(world, "grace", dashboard.action_key("waive", erin))
    dashboard.refresh(world.bot, TODAY)
    waived = [n for n in bot_notes(world, erin) if "is waived" in n]
    assert len(waived) == 1 and "@grace asked for it on the dashboard" in waived[0]
    cadence = world.bot.config.nudges.cadence_days

    def nudges_on(day: date) -> list[Any]:
        plan = world.bot.plan_sweep(day)
        return [
            s.action
            for s in plan
            if s.action.kind == "comment"
            and s.action.reason == "nudge"
            and s.action.target.iid == erin
        ]

    assert nudges_on(TODAY + timedelta(days=cadence)) == []  # the waived one
    assert len(nudges_on(TODAY + timedelta(days=2 * cadence + 1))) == 1  # Monday after


def test_reassign_gives_the_handover_to_whoever_ticked_it(world: World) -> None:
    dashboard.refresh(world.bot, TODAY)
    key = dashboard.action_key("reassign", world.globex.iid)
    tick(world, "grace", key)
    dashboard.refresh(world.bot, TODAY)
    assert world.bot.api.get_issue(world.globex.iid).assignees == ("grace",)
    notes = bot_notes(world, world.globex.iid)
    assert any("Reassigned to @grace (was @dave): @grace asked" in n for n in notes)
    board = world.board().description
    assert box(board, key) == " "
    row = row_of(board, "Account handovers", world.globex.iid)
    assert row[1:3] == ["Grace Garcia (grace)", "—"]


def test_a_box_ticked_while_the_bot_works_is_kept_for_the_next_run(world: World) -> None:
    dashboard.refresh(world.bot, TODAY)
    extend = dashboard.action_key("extend", world.acme.iid)
    waive = dashboard.action_key("waive", world.erin.iid)
    tick(world, "alice", extend)
    prepared = dashboard.prepare(world.bot, TODAY)
    result = dashboard.carry_out(world.bot, prepared)
    tick(world, "bob", waive)  # between the bot's read and its write
    dashboard.write(world.bot, result)
    assert result.written
    board = world.board().description
    assert box(board, extend) == " " and box(board, waive) == "x"
    assert world.bot.api.get_issue(world.acme.iid).due_date == TODAY + timedelta(days=EXTEND)

    dashboard.refresh(world.bot, TODAY)
    assert box(world.board().description, waive) == " "
    assert any("@bob asked" in n for n in bot_notes(world, world.erin.iid))


def test_a_dry_run_shows_the_real_change_and_writes_nothing(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    dashboard.refresh(world.bot, TODAY)
    extend = dashboard.action_key("extend", world.acme.iid)
    reassign = dashboard.action_key("reassign", world.globex.iid)
    tick(world, "alice", extend)
    tick(world, "grace", reassign)
    before = world.sandbox.requests.writes()
    plan = dashboard.refresh(world.bot, TODAY, dry_run=True).plan
    assert world.sandbox.requests.writes() == before
    kinds = [(s.action.kind, s.action.target.iid) for s in plan]
    new_due = (world.bot.api.get_issue(world.acme.iid).due_date or TODAY) + timedelta(days=EXTEND)
    assert kinds == [
        ("comment", world.acme.iid),  # the note carrying the action id, first
        ("update", world.acme.iid),
        ("comment", world.globex.iid),
        ("assign", world.globex.iid),
        ("edit", world.board().iid),
    ]
    due = next(s.action for s in plan if s.action.kind == "update")
    assert getattr(due, "due_date", None) == max(new_due, TODAY + timedelta(days=EXTEND))
    assign = next(s.action for s in plan if s.action.kind == "assign")
    assert getattr(assign, "assignees", None) == ("grace",)
    edit = plan.steps[-1].action
    body = getattr(edit, "description", "")
    assert box(body, extend) == " " and box(body, reassign) == " "  # the new content itself
    # the CLI's JSON dry run carries the same content
    for name, value in world.env().items():
        monkeypatch.setenv(name, value)
    args = ["--config", str(world.config), "--today", TODAY.isoformat()]
    capsys.readouterr()
    assert main([*args, "dashboard", "--dry-run", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["actions"][-1]["description"] == body
    assert world.sandbox.requests.writes() == before


def test_an_actions_steps_stop_at_its_first_failure(world: World) -> None:
    """The note carries the action id; its effect is never written without it."""
    dashboard.refresh(world.bot, TODAY)
    key = dashboard.action_key("reassign", world.globex.iid)
    tick(world, "grace", key)
    prepared = dashboard.prepare(world.bot, TODAY)
    world.sandbox.options.fault_rate = 1.0
    result = dashboard.carry_out(world.bot, prepared)
    world.sandbox.options.fault_rate = 0.0
    errors = [o.error or "" for o in result.report.failures]
    assert len(errors) == 2 and "earlier write of the same action" in errors[1]
    assert world.bot.api.get_issue(world.globex.iid).assignees == ("dave",)
    assert key not in result.done


# -- who ticked: GitLab's checklist notes in every form -------------------------------------

# Keys as the dashboard writes them; item text anything a person could type on one line.
KEYS = st.from_regex(r"[a-z][a-z0-9._-]{0,20}[a-z0-9]", fullmatch=True)
ITEM_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1
).filter(
    lambda t: (
        t == t.strip()
        and "<!--" not in t
        and "-->" not in t
        and not re.search(r"(task|offered):\S*$", t)
    )
)


def tick_note(text: str) -> str:
    return f"marked the checklist item **{text}** as completed"


def test_the_note_gitlab_com_writes_names_the_box() -> None:
    # issue 11: `Extend #2 by a week <!-- task:dashboard.extend.2 -->` as GitLab.com writes it
    escaped = dashboard.read_tick(tick_note(r"Extend \#2 by a week  task:dashboard\.extend\.2"))
    raw = dashboard.read_tick(tick_note("Extend #2 by a week <!-- task:dashboard.extend.2 -->"))
    for tick in (escaped, raw):
        assert tick == dashboard.TickNote("Extend #2 by a week", "dashboard.extend.2", None, True)
    offered = dashboard.read_tick(
        tick_note(r"Waive the next nudge on \#4  offered:2026\-12\-14   task:dashboard\.waive\.4")
    )
    assert offered == dashboard.TickNote(
        "Waive the next nudge on #4", "dashboard.waive.4", "2026-12-14", True
    )
    assert dashboard.read_tick("marked the checklist item **x** as incomplete") == (
        dashboard.TickNote("x", None, None, False)
    )
    assert dashboard.read_tick("changed the description") is None


@given(text=ITEM_TEXT, key=KEYS, offered=st.none() | st.dates().map(date.isoformat))
@settings(max_examples=300, deadline=None)
def test_any_item_escaped_as_gitlab_com_does_reads_back(
    text: str, key: str, offered: str | None
) -> None:
    hidden = f"<!-- offered:{offered} --> " if offered else ""
    source = f"{text} {hidden}<!-- task:{key} -->"
    tick = dashboard.read_tick(tick_note(checklist_note_text(source, "escaped")))
    assert tick == dashboard.TickNote(text, key, offered, True)


@given(text=ITEM_TEXT.filter(lambda t: "\\" not in t), key=KEYS)
@settings(max_examples=200, deadline=None)
def test_any_item_in_its_raw_form_reads_back(text: str, key: str) -> None:
    tick = dashboard.read_tick(tick_note(checklist_note_text(f"{text} <!-- task:{key} -->", "raw")))
    assert tick == dashboard.TickNote(text, key, None, True)


@given(text=st.text(alphabet=st.characters(blacklist_categories=("Cs",))))
def test_unescaping_undoes_every_commonmark_escape(text: str) -> None:
    escaped = "".join(f"\\{c}" if c in string.punctuation else c for c in text)
    assert dashboard.unescape(escaped) == text


def world_with(sandbox: Any, tmp_path: Path) -> World:
    return dashboard_world(sandbox, tmp_path)


@pytest.mark.parametrize("form", ["escaped", "raw"])
def test_ticks_are_credited_in_either_note_form(
    form: str, make_sandbox: Any, tmp_path: Path
) -> None:
    world = world_with(make_sandbox(checklist_notes=form), tmp_path)
    dashboard.refresh(world.bot, TODAY)
    extend = dashboard.action_key("extend", world.acme.iid)
    reassign = dashboard.action_key("reassign", world.globex.iid)
    tick(world, "alice", extend)
    tick(world, "grace", reassign)
    written = [
        n.body
        for n in world.bot.api.iter_notes(world.board().iid)
        if n.system and "checklist item" in n.body
    ]
    globex = f"#{world.globex.iid}"
    if form == "escaped":  # what GitLab.com writes: the raw form would not match
        assert any(f"Reassign handover \\{globex} to me  offered:" in b for b in written)
    else:
        assert any(f"Reassign handover {globex} to me <!-- offered:" in b for b in written)

    result = dashboard.refresh(world.bot, TODAY)
    assert not result.report.failures
    assert world.bot.api.get_issue(world.globex.iid).assignees == ("grace",)
    assert any("@grace asked" in n for n in bot_notes(world, world.globex.iid))
    assert any("@alice asked" in n for n in bot_notes(world, world.acme.iid))
    assert not any("someone" in n for n in bot_notes(world, world.acme.iid))
    assert "did not credit" not in world.board().description


def tick_by_editing(world: World, username: str, key: str) -> None:
    """Tick a box while editing the description as a whole (a line added on
    top): GitLab then notes only "changed the description", not who ticked."""
    board = world.board()
    pattern = re.compile(rf"^- \[ \] (.*<!-- task:{re.escape(key)} -->)$", re.MULTILINE)
    ticked, count = pattern.subn(r"- [x] \1", board.description)
    assert count == 1
    api_for(world.sandbox, username).update_issue(
        board.iid, {"description": f"- [ ] my own reminder\n\n{ticked}"}
    )


def test_an_uncredited_tick_is_explained_on_the_dashboard_and_never_guessed(
    world: World,
) -> None:
    dashboard.refresh(world.bot, TODAY)
    extend = dashboard.action_key("extend", world.acme.iid)
    reassign = dashboard.action_key("reassign", world.globex.iid)
    # grace ticked reassign properly last week: that tick must not be reused as hers
    tick(world, "grace", reassign)
    tick_by_editing(world, "alice", extend)
    board = world.board()
    api_for(world.sandbox, "grace").update_issue(
        board.iid, {"description": board.description.replace("- [x] Reassign", "- [ ] Reassign")}
    )
    tick_by_editing(world, "bob", reassign)
    assert not any(
        "checklist item" in n.body and n.author == "bob"
        for n in world.bot.api.iter_notes(board.iid)
    )

    result = dashboard.refresh(world.bot, TODAY)
    assert not result.report.failures
    globex = world.bot.api.get_issue(world.globex.iid)
    assert globex.assignees == ("dave",)  # nobody is guessed
    assert not any("Reassigned" in n for n in bot_notes(world, globex.iid))
    moved = [n for n in bot_notes(world, world.acme.iid) if "Due date moved" in n]
    assert len(moved) == 1 and "someone (GitLab did not record who ticked it)" in moved[0]
    text = world.board().description
    assert "**Ticks GitLab did not credit.**" in text and "Click boxes" in text
    assert f"Reassign handover #{globex.iid} to me: not done on {TODAY}" in text
    assert f"assign #{globex.iid} yourself" in text
    assert f"Extend #{world.acme.iid} by a week: done on {TODAY}" in text
    assert box(text, extend) == " " and box(text, reassign) == " "

    before = world.sandbox.requests.writes()
    dashboard.refresh(world.bot, TODAY)  # nothing new: the explanation stays, no write
    assert world.sandbox.requests.writes() == before
    later = TODAY + timedelta(days=dashboard.NOTICE_DAYS + 1)
    dashboard.refresh(world.bot, later)
    assert "did not credit" not in world.board().description

    # ticked again by clicking: credited, carried out
    tick(world, "grace", reassign)
    dashboard.refresh(world.bot, later)
    assert world.bot.api.get_issue(globex.iid).assignees == ("grace",)


def test_a_box_ticked_again_after_it_was_carried_out_is_a_new_action(world: World) -> None:
    dashboard.refresh(world.bot, TODAY)
    key = dashboard.action_key("extend", world.acme.iid)
    tick(world, "alice", key)
    dashboard.refresh(world.bot, TODAY)
    first = world.bot.api.get_issue(world.acme.iid).due_date
    assert first == TODAY + timedelta(days=EXTEND)
    tick(world, "grace", key)  # still due soon, so offered again, afresh
    dashboard.refresh(world.bot, TODAY)
    assert world.bot.api.get_issue(world.acme.iid).due_date == first + timedelta(days=EXTEND)
    moved = [n for n in bot_notes(world, world.acme.iid) if "Due date moved" in n]
    assert len(moved) == 2 and "@grace asked" in moved[1]


# -- exactly once, whatever fails ---------------------------------------------------------


class FailAfter:
    """In front of the sandbox: the `at`-th write (counted once armed) is
    carried out and then answered 502, as a proxy timing out does (or, with
    `lost`, answered 502 without reaching GitLab); with `down`, every later
    request is answered 502 too (GitLab gone for the rest of the run)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.at: int | None = None
        self.down = False
        self.lost = False
        self.writes = 0
        self.failed = False
        self.lock = threading.Lock()

    def arm(self, at: int | None, *, down: bool, lost: bool = False) -> None:
        with self.lock:
            self.at, self.down, self.lost, self.writes, self.failed = at, down, lost, 0, False

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        write = environ["REQUEST_METHOD"] not in ("GET", "HEAD")
        with self.lock:
            if self.failed and self.down:
                return self._bad_gateway(start_response)
            if write:
                self.writes += 1
            fail = write and self.writes == self.at
        if not fail:
            return self.app(environ, start_response)
        if not self.lost:
            list(self.app(environ, lambda *_: None))  # committed
        with self.lock:
            self.failed = True
        return self._bad_gateway(start_response)

    @staticmethod
    def _bad_gateway(start_response: Any) -> list[bytes]:
        body = json.dumps({"message": "502 Bad Gateway"}).encode()
        start_response(
            "502 Bad Gateway",
            [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
        )
        return [body]


@pytest.fixture
def faulty(tmp_path: Path) -> Iterator[tuple[World, FailAfter]]:
    sandbox = Sandbox()
    gate = in_front(sandbox, FailAfter(sandbox.wsgi_app))
    with sandbox.start():
        yield dashboard_world(sandbox, tmp_path), gate
    assert not sandbox.errors, "the GitLab sandbox crashed:\n" + "\n".join(sandbox.errors)


# (kind, the issue it acts on, who ticks, writes of a fault-free run: note, effect, dashboard)
ACTIONS = {
    "extend": ("acme", "alice", 3),
    "waive": ("erin", "grace", 2),
    "reassign": ("globex", "grace", 3),
}
CASES = [
    pytest.param(kind, at, credited, down, lost, id=f"{kind}-write{at}-{mode}-{how}")
    for kind, (_, _, writes) in ACTIONS.items()
    for at in range(1, writes + 1)
    for credited, how in ((True, "credited"), (False, "uncredited"))
    # committed then 502 and GitLab gone; committed then 502 once; lost and GitLab gone
    for down, lost, mode in ((True, False, "down"), (False, False, "blip"), (True, True, "lost"))
    if credited or kind != "reassign"  # an uncredited reassign is never carried out
]


def effect(world: World, kind: str, iid: int) -> tuple[Any, int]:
    """The action's effect on its issue and how many notes it left."""
    issue = world.bot.api.get_issue(iid)
    notes = bot_notes(world, iid)
    if kind == "extend":
        return issue.due_date, sum("Due date moved" in n for n in notes)
    if kind == "waive":
        return None, sum("is waived" in n for n in notes)
    return issue.assignees, sum("Reassigned to" in n for n in notes)


@pytest.mark.parametrize(("kind", "at", "credited", "down", "lost"), CASES)
def test_each_ticked_action_is_carried_out_exactly_once_whatever_write_fails(
    faulty: tuple[World, FailAfter], kind: str, at: int, credited: bool, down: bool, lost: bool
) -> None:
    world, gate = faulty
    target_name, who, _ = ACTIONS[kind]
    iid = getattr(world, target_name).iid
    dashboard.refresh(world.bot, TODAY)
    key = dashboard.action_key(kind, iid)  # type: ignore[arg-type]
    (tick if credited else tick_by_editing)(world, who, key)
    before = world.bot.api.get_issue(iid)
    expected = {
        "extend": TODAY + timedelta(days=EXTEND),
        "waive": None,
        "reassign": (who,),
    }[kind]

    gate.arm(at, down=down, lost=lost)
    first = dashboard.refresh(world.bot, TODAY)
    assert first.report.failures  # the fault was met
    assert gate.writes >= at
    gate.arm(None, down=False)
    dashboard.refresh(world.bot, TODAY)
    dashboard.refresh(world.bot, TODAY)

    assert effect(world, kind, iid) == (expected, 1)
    board = world.board().description
    assert box(board, key) == " "
    asked = f"@{who} asked" if credited else "someone (GitLab did not record who ticked it)"
    assert any(asked in n for n in bot_notes(world, iid))
    if kind != "reassign":
        assert world.bot.api.get_issue(iid).assignees == before.assignees
    writes_now = world.sandbox.requests.writes()
    dashboard.refresh(world.bot, TODAY)
    assert world.sandbox.requests.writes() == writes_now


@pytest.mark.parametrize("kind", list(ACTIONS))
def test_a_fault_free_action_makes_the_writes_the_fault_tests_cover(
    faulty: tuple[World, FailAfter], kind: str
) -> None:
    world, gate = faulty
    target_name, who, writes = ACTIONS[kind]
    dashboard.refresh(world.bot, TODAY)
    tick(world, who, dashboard.action_key(kind, getattr(world, target_name).iid))  # type: ignore[arg-type]
    gate.arm(None, down=False)
    result = dashboard.refresh(world.bot, TODAY)
    assert not result.report.failures and gate.writes == writes
