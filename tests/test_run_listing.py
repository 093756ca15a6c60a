"""`salesbot run` lists the bot's issues once for all its steps (issue 12)."""

from __future__ import annotations

from tests.e2e import World

LIST = "GET /projects/:id/issues"


def lists(world: World) -> int:
    return world.sandbox.requests.by_kind().get(LIST, 0)


def test_a_run_lists_the_bots_issues_once_and_its_rerun_writes_nothing(world: World) -> None:
    assert world.cli("run", today="2026-11-27").code == 0  # opens plans and the dashboard
    before = lists(world)
    writes = world.writes()
    assert world.cli("run", today="2026-11-27").code == 0
    assert lists(world) - before == 1  # one page: syncs, sweep and dashboard share it
    assert world.writes() == writes


def test_what_a_run_writes_is_on_its_dashboard_without_listing_again(world: World) -> None:
    before = lists(world)
    assert world.cli("run", today="2026-11-27").code == 0
    assert lists(world) - before == 1
    plans = world.issues("onboarding")
    assert plans  # opened by this run's onboarding sync...
    board = world.issues("dashboard")[0].description
    for plan in plans:  # ...and on the dashboard the same run wrote
        assert f"#{plan.iid}" in board
