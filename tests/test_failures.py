"""Failures are explained where people look: on standard error by every command
(issue, action and GitLab's answer), and on the dashboard and in the report as
a "Needs attention" section, through the real CLI against the sandbox."""

from __future__ import annotations

import html
import io
import json
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from automation.sandbox import Sandbox
from tests.e2e import TEAM, World, in_front

DAY = "2026-12-03"
# a new hire on the roster whom GitLab does not know (a typo, or an account not
# made yet): the README's sandbox walk-through meets exactly this
ZED = """\
  - {username: zed, name: Zed Zimmer, role: SMB Account Executive, segment: SMB,
     region: AMER, manager: alice, start_date: 2026-12-02, department: Commercial}
"""
HANDOVERS = """\
account,account_id,from,to,effective_date,reason,opportunities
Acme Corp,ACC-1,bob,carol,2026-12-03,territory realignment,
Globex,ACC-2,carol,bob,2026-12-03,territory realignment,
"""
OPPORTUNITIES = """\
id,name,account,owner,segment,iacv,amount,close_date,stage
A1,Platform,Acme,bob,SMB,12000,36000,2027-02-15,3-Technical Evaluation
A2,Seats,Globex,bob,SMB,11000,11000,2027-02-15,2-Scoping
"""
SPAM = "answered 400 to create an issue: Spam detected"
SPAM_SHORT = "Spam detected"


class SpamCheck:
    """In front of the sandbox: once `armed`, a new issue whose request mentions
    `text` is refused as GitLab refuses content its spam check flags
    (`render_spam_error!` in lib/api/helpers.rb: 400 `{"error": "Spam detected"}`)."""

    def __init__(self, app: Callable[..., Any]) -> None:
        self.app = app
        self.text: str | None = None
        self.refused = 0
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = environ.get("PATH_INFO", "")
        if self.text and environ["REQUEST_METHOD"] == "POST" and re.search(r"/issues$", path):
            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            environ["wsgi.input"] = io.BytesIO(body)
            # the dashboard quotes the refused titles: it is never refused itself
            if self.text.encode() in body and b"workflow=dashboard" not in body:
                with self.lock:
                    self.refused += 1
                answer = json.dumps({"error": "Spam detected"}).encode()
                start_response(
                    "400 Bad Request",
                    [("Content-Type", "application/json"), ("Content-Length", str(len(answer)))],
                )
                return [answer]
        return self.app(environ, start_response)


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    """The `world`'s sandbox, behind a SpamCheck (`sandbox.wsgi_app`), off until armed."""
    made = Sandbox()
    in_front(made, SpamCheck(made.wsgi_app))
    with made.start() as started:
        yield started
    assert not started.errors, "the GitLab sandbox crashed:\n" + "\n".join(started.errors)


def spam_check(world: World) -> SpamCheck:
    check = world.sandbox.wsgi_app
    assert isinstance(check, SpamCheck)
    return check


def with_zed(world: World) -> None:
    """A new hire whose plan GitLab refuses to open (its spam check flags it)."""
    world.sandbox.add_user("zed", "Zed Zimmer")
    roster = TEAM.replace("GRACE_STATUS", "active") + ZED
    (world.config.parent / "team.yml").write_text(roster, encoding="utf-8")
    spam_check(world).text = "Zed Zimmer"


def only_on_stderr(stdout: str, stderr: str, *expected: str) -> list[str]:
    """The FAILED lines, which are on standard error and carry every `expected`."""
    assert "FAILED" not in stdout
    lines = [line for line in stderr.splitlines() if line.startswith("FAILED")]
    assert lines, stderr
    assert any(all(e in line for e in expected) for line in lines), lines
    return lines


# -- every command prints its failures on stderr ---------------------------------


def test_run_prints_each_failure_with_its_issue_action_and_gitlabs_answer(world: World) -> None:
    with_zed(world)
    result = world.cli("run", today=DAY)
    assert result.code == 2
    # before: "onboarding: ... 1 failed" and nothing else
    only_on_stderr(result.out, result.err, "FAILED onboarding new issue:", "@zed", SPAM)
    assert "onboarding: 2 opened" in result.out and "1 failed" in result.out


def test_onboard_sync_prints_each_failure_on_stderr(world: World) -> None:
    with_zed(world)
    result = world.cli("onboard", "sync", today=DAY)
    assert result.code == 2
    only_on_stderr(result.out, result.err, "onboarding new issue", "30/60/90", SPAM)


def test_handover_import_prints_each_failure_on_stderr(world: World, tmp_path: Path) -> None:
    csv = tmp_path / "handovers.csv"
    csv.write_text(HANDOVERS, encoding="utf-8")
    spam_check(world).text = "Acme Corp"
    result = world.cli("handover", "import", str(csv), today=DAY)
    assert result.code == 2
    only_on_stderr(
        result.out,
        result.err,
        "FAILED handover new issue: open 'Account Handover: Acme Corp (bob → carol)'",
        "answered 400 to create an issue: Spam detected",
    )
    assert "Globex" in result.out  # the other row was opened


def test_consults_sync_prints_each_failure_on_stderr(world: World, tmp_path: Path) -> None:
    csv = tmp_path / "opportunities.csv"
    csv.write_text(OPPORTUNITIES, encoding="utf-8")
    spam_check(world).text = "Platform"
    result = world.cli("consults", "sync", "--opportunities", str(csv), today=DAY)
    assert result.code == 2
    only_on_stderr(result.out, result.err, "opportunity new issue", "Platform", "Spam detected")
    assert "Globex" in result.out  # the other row was opened


def test_sweep_prints_gitlabs_answer_to_a_write_it_failed(world: World, tmp_path: Path) -> None:
    csv = tmp_path / "handovers.csv"
    csv.write_text(HANDOVERS, encoding="utf-8")
    assert world.cli("handover", "import", str(csv), today=DAY).code == 0
    (acme,) = [i for i in world.issues("handover") if "Acme" in i.title]
    # two weeks on, a Sunday (no nudge, so the overdue label is a PUT of its
    # own), the handovers are overdue; GitLab carries every write out, then a
    # proxy answers 502 (the sandbox's fault injection)
    world.sandbox.options.commit_then_fail_rate = 1.0
    result = world.cli("sweep", today="2026-12-20")
    world.sandbox.options.commit_then_fail_rate = 0.0
    assert result.code == 2
    only_on_stderr(
        result.out,
        result.err,
        f"FAILED handover issue #{acme.iid}:",
        "overdue",
        f"answered 502 to update issue #{acme.iid}: 502 Bad Gateway",
    )


# -- the dashboard and the report: "Needs attention" -------------------------------


def test_the_dashboard_and_the_report_list_the_last_runs_failures(
    world: World, tmp_path: Path
) -> None:
    with_zed(world)
    assert world.cli("run", today=DAY).code == 2
    (board,) = world.issues("dashboard")
    top = board.description.split("## Summary")[0]
    assert "## Needs attention" in top  # above everything else
    # zed's 30/60/90 plan and Give Back project, and the link between them
    assert "could not carry out 3 actions" in top
    assert "| onboarding | new issue | open 'Onboarding 30/60/90: Zed Zimmer" in top
    assert SPAM_SHORT in top
    assert "@zed" not in top  # named, not pinged on every dashboard edit

    report = world.cli("report", "--format", "md", today=DAY)
    assert report.code == 0 and "## Needs attention" in report.out and SPAM_SHORT in report.out
    as_json = json.loads(world.cli("report", "--format", "json", today=DAY).out)
    assert as_json["attention"]["date"] == DAY and as_json["attention"]["total"] == 3
    assert {f["workflow"] for f in as_json["attention"]["failures"]} == {
        "onboarding",
        "give-back",
    }
    page = world.cli("report", "--format", "html", today=DAY).out
    assert '<section id="attention"><h2>Needs attention</h2>' in page
    assert html.escape(SPAM_SHORT) in page

    # `salesbot dashboard` on its own keeps what the last run left
    assert world.cli("dashboard", today=DAY).code == 0
    assert "## Needs attention" in world.issue("dashboard", "main").description

    # GitLab accepts the plans now: the next run opens them and clears the section
    spam_check(world).text = None
    assert world.cli("run", today=DAY).code == 0
    assert "Needs attention" not in world.issue("dashboard", "main").description
    assert json.loads(world.cli("report", "--format", "json", today=DAY).out)["attention"] is None
    before = world.writes()
    assert world.cli("run", today=DAY).code == 0
    assert world.writes() == before  # a clean rerun still writes nothing


def test_a_failures_answer_cannot_break_out_of_the_dashboard(world: World) -> None:
    """GitLab's answer is untrusted text: it cannot close the hidden comment,
    ping people or run quick actions on the dashboard."""
    with_zed(world)
    roster = TEAM.replace("GRACE_STATUS", "active") + ZED.replace(
        "name: Zed Zimmer", "name: 'Zed --> <b>x</b> @all /close'"
    )
    (world.config.parent / "team.yml").write_text(roster, encoding="utf-8")
    spam_check(world).text = "Zed --"
    assert world.cli("run", today=DAY).code == 2
    board = world.issue("dashboard", "main")
    assert board.is_open
    # the section survives a round trip through the dashboard unchanged
    before = world.writes()
    assert world.cli("dashboard", today=DAY).code == 0
    assert world.writes() == before
    as_json = json.loads(world.cli("report", "--format", "json", today=DAY).out)
    assert as_json["attention"]["total"] == 3


@pytest.mark.parametrize("bad", ["<!-- salesbot:attention {not json} -->", ""])
def test_a_mangled_section_is_rewritten_by_the_next_run(world: World, bad: str) -> None:
    with_zed(world)
    assert world.cli("run", today=DAY).code == 2
    board = world.issue("dashboard", "main")
    start = board.description.index("<!-- salesbot:attention")
    end = board.description.index("-->", start) + 3
    mangled = board.description[:start] + bad + board.description[end:]
    world.person("alice").update_issue(board.iid, {"description": mangled})
    assert world.cli("run", today=DAY).code == 2
    assert world.cli("report", "--format", "json", today=DAY).code == 0
    restored = world.issue("dashboard", "main").description
    assert restored.count("<!-- salesbot:attention") == 1


def test_a_run_that_carries_out_a_ticked_box_still_lists_its_failures(
    world: World, tmp_path: Path
) -> None:
    """The dashboard is read again after a ticked action: the section stays."""
    csv = tmp_path / "handovers.csv"
    csv.write_text(HANDOVERS, encoding="utf-8")
    assert world.cli("handover", "import", str(csv), today=DAY).code == 0
    assert world.cli("run", today=DAY).code == 0
    board = world.issue("dashboard", "main")
    assert "Needs attention" not in board.description
    world.tick("alice", board.iid, "Reassign handover")
    with_zed(world)  # this run fails for zed
    assert world.cli("run", today=DAY).code == 2
    assert any(i.assignees == ("alice",) for i in world.issues("handover"))  # carried out
    description = world.issue("dashboard", "main").description
    assert "## Needs attention" in description and "[x]" not in description
