"""The dashboard stays within GitLab's description limit whatever the team's size."""

from __future__ import annotations

from datetime import date, timedelta

from automation.api import MAX_DESCRIPTION
from automation.config import DashboardConfig
from automation.dashboard.boxes import render
from automation.report import Person, Row, Snapshot

TODAY = date(2026, 12, 3)


def _row(iid: int) -> Row:
    manager = Person(f"Manager {iid % 5}", f"manager{iid % 5}")
    owner = Person(f"Seller {iid % 50}", f"seller{iid % 50}")
    return Row(
        workflow="handover",
        key=f"id:{iid}@2026-11-01",
        iid=iid,
        reference=f"sales/salesbot#{iid}",
        title=f"Account handover: Account number {iid} Inc from seller to seller",
        url=f"https://gitlab.example.com/sales/salesbot/-/issues/{iid}",
        owner=owner,
        manager=manager,
        phase="Handover",
        progress=0.25,
        done=1,
        count=4,
        due=TODAY - timedelta(days=3),
        status="overdue",
        days_overdue=3,
    )


def test_a_team_too_big_for_one_description_gets_fewer_rows_not_a_refused_write() -> None:
    rows = tuple(_row(iid) for iid in range(1, 10_001))
    snapshot = Snapshot(TODAY, "sales/salesbot", rows, (), ())
    settings = DashboardConfig(max_rows=10_000, rollup_threshold=1)
    text = render(snapshot, settings)
    assert MAX_DESCRIPTION // 4 < len(text) <= MAX_DESCRIPTION  # as many rows as fit
    assert "more, in the report" in text
