"""A tick on the dashboard costs the receiver what the ticked box needs
(issue 15.2): the dashboard's notes, the issue the box names and its notes,
the writes; never a listing of the bot's issues, however many there are."""

from __future__ import annotations

from datetime import date

from automation import dashboard
from automation.config import load
from automation.dashboard.boxes import Notice
from automation.dashboard.on_tick import release
from automation.marker import Marker
from tests.e2e import World
from tests.receiver_helpers import GitLab, bot_for, idle, receiver, wait_for
from tests.test_receiver import open_handover

DAY = date(2026, 12, 20)  # the handover falls due soon: extend is offered
LIST = "GET /projects/:id/issues"


def many_bot_issues(world: World, count: int) -> None:
    """`count` more open handovers the bot tracks (a listing would take pages)."""
    for n in range(count):
        marker = Marker("handover", f"bulk-{n}").render()
        world.sandbox.create_issue(
            f"Handover: Bulk {n}",
            f"- [ ] a step\n\n{marker}\n",
            labels=["salesbot", "workflow::handover"],
            assignees=["carol"],
        )


def test_a_dashboard_tick_reads_the_issue_it_names_not_the_listing(world: World) -> None:
    iid = open_handover(world, "Acme Corp")
    bot = bot_for(world.sandbox, world.config)
    dashboard.refresh(bot, DAY)
    many_bot_issues(world, 250)
    board = next(i for i in world.issues("dashboard"))
    ticked = board.description.replace(f"- [ ] Extend #{iid}", f"- [x] Extend #{iid}", 1)
    due = world.api.get_issue(iid).due_date
    with receiver(world.sandbox, world.config, DAY) as running:
        gitlab = GitLab(world.sandbox, running.url)
        world.person("alice").update_issue(board.iid, {"description": ticked})
        delivery = gitlab.issue_event(board.iid, "alice")
        world.sandbox.requests.clear()
        offered = dashboard.offers(ticked)[dashboard.action_key("extend", iid)]
        assert gitlab.send(delivery).status_code == 202
        wait_for(lambda: idle(running))  # asks the receiver, not GitLab
        kinds = world.sandbox.requests.by_kind()
    assert kinds.get(LIST, 0) == 0  # no listing of the 252 bot issues
    # the dashboard, its notes, the issue and its notes, the note, its check,
    # the due date, the dashboard read again and edited: a handful, whatever N
    assert sum(kinds.values()) <= 12, kinds
    assert world.api.get_issue(iid).due_date != due
    after = world.api.get_issue(board.iid).description
    assert f"- [ ] Extend #{iid}" in after  # offered again, unticked
    assert dashboard.offers(after)[dashboard.action_key("extend", iid)] != offered
    records = [n.body for n in world.notes(iid) if "salesbot:dashboard-action" in n.body]
    assert len(records) == 1 and "@alice" in records[0]
    # the scheduled run then redraws the figures and carries out nothing more
    before = world.writes()
    assert world.cli("dashboard", today=DAY.isoformat()).code == 0
    notes = [n.body for n in world.notes(iid) if "salesbot:dashboard-action" in n.body]
    assert len(notes) == 1 and world.writes() - before <= 1


def test_release_unticks_the_done_boxes_offers_them_afresh_and_explains_uncredited_ones(
    world: World,
) -> None:
    config, _ = load(world.config)
    settings = config.dashboard
    key = dashboard.action_key("extend", 7)
    other = dashboard.action_key("waive", 7)
    body = (
        "salesbot keeps this issue up to date; edits other than ticking a box are "
        "overwritten on the next change.\n\n## Handovers\n\n"
        f"- [x] Extend #7 by a week <!-- offered:2026-12-18 --> <!-- task:{key} -->\n"
        f"- [x] Waive the next nudge on #7 <!-- offered:2026-12-18 --> <!-- task:{other} -->\n"
    )
    out = release(body, frozenset({key}), DAY, settings)
    assert f"- [ ] Extend #7 by a week <!-- offered:2026-12-20 --> <!-- task:{key} -->" in out
    assert "- [x] Waive the next nudge on #7 <!-- offered:2026-12-18 -->" in out
    again = release(out, frozenset({key}), DAY, settings)
    assert "<!-- offered:2026-12-20.2 -->" in again  # the same day: a new offer still
    explained = release(body, frozenset({key}), DAY, settings, [Notice(key, DAY, True)])
    assert "**Ticks GitLab did not credit.**" in explained
    assert explained.index("Ticks GitLab") < explained.index("## Handovers")
    assert dashboard.read_notices(explained, DAY) == [Notice(key, DAY, True)]
