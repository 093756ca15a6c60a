"""The group consult planner and the ASM's consult cadence, without GitLab
(`automation.workflows.group_consults`; its e2e tests: test_group_consults_e2e)."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from automation.actions import CreateIssue
from automation.marker import Marker
from automation.workflows.group_consults import managers, month_end, plan, weekly_consults
from tests.factories import environment, index_of, issue, shipped

TODAY = date(2026, 12, 15)
CONSULT, LDR = ("Opportunity Consult",), ("Lightweight Deal Review",)
OWNERS = ("bob", "carol", "ivan", "nobody")  # alice's, alice's, heidi's, no one's


def test_only_area_sales_managers_get_one_due_at_month_end() -> None:
    config, team = shipped()
    env = environment(TODAY, config)
    assert [m.username for m in managers(env, team)] == ["alice", "heidi"]
    found = plan(env, team, index_of())
    creates = [s.action for s in found if isinstance(s.action, CreateIssue)]
    assert [(c.marker.key, c.assignees, c.due_date) for c in creates] == [
        ("alice@2026-12", ("alice",), date(2026, 12, 31)),
        ("heidi@2026-12", ("heidi",), date(2026, 12, 31)),
    ]
    opened = index_of(
        *(issue(n, c.marker, assignees=c.assignees) for n, c in enumerate(creates, 1))
    )
    assert len(plan(env, team, opened)) == 0  # this month's are found
    assert month_end(date(2027, 2, 3)) == date(2027, 2, 28)


@given(
    st.lists(
        st.tuples(
            st.integers(min_value=-40, max_value=5),  # days after TODAY it was opened
            st.sampled_from(OWNERS),
            st.booleans(),  # a consult, or an LDR
        ),
        max_size=30,
    )
)
def test_the_weekly_figures_count_each_team_consult_of_the_window_once(
    opened: list[tuple[int, str, bool]],
) -> None:
    config, team = shipped()
    env = environment(TODAY, config)
    issues = [
        issue(
            n,
            Marker("opportunity", f"id:{n}", 2),
            labels=CONSULT if consult else LDR,
            assignees=(owner,),
            created_at=f"{TODAY + timedelta(days=days)}T09:00:00Z",
        )
        for n, (days, owner, consult) in enumerate(opened, 1)
    ]
    index = index_of(*issues)
    for manager, team_of in (("alice", {"bob", "carol"}), ("heidi", {"ivan"})):
        weeks = weekly_consults(env, team, manager, index)
        assert len(weeks) == 4 and all(count >= 0 for count in weeks)
        expected = sum(
            1 for days, owner, consult in opened if consult and owner in team_of and -28 <= days < 0
        )
        assert sum(weeks) == expected
