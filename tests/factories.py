"""Builders for planner tests: real records, as GitLab's list responses give them."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from automation.config import Config, load
from automation.index import Index, build
from automation.marker import Marker
from automation.records import Issue
from automation.team import Team
from automation.workflows.common import Environment

ROOT = Path(__file__).resolve().parent.parent
BOT = "salesbot"


def shipped() -> tuple[Config, Team]:
    return load(ROOT / "config" / "salesbot.yml")


def environment(today: date, config: Config | None = None) -> Environment:
    return Environment(config or shipped()[0], today)


def issue(
    iid: int,
    marker: Marker | None,
    *,
    description: str = "",
    labels: tuple[str, ...] = (),
    state: str = "opened",
    author: str = BOT,
    assignees: tuple[str, ...] = (),
    due_date: date | None = None,
    created_at: str = "2026-11-01T09:00:00Z",
) -> Issue:
    body = f"{description}\n\n{marker.render()}\n" if marker else description
    return Issue(
        iid=iid,
        project_id=1,
        title=f"Issue {iid}",
        description=body,
        state=state,
        labels=tuple(sorted(labels)),
        assignees=assignees,
        author=author,
        due_date=due_date,
        web_url=f"http://gitlab.test/sales/salesbot/-/issues/{iid}",
        reference=f"sales/salesbot#{iid}",
        created_at=created_at,
        updated_at=created_at,
        confidential=False,
        task_count=0,
        task_completed=0,
    )


def index_of(*issues: Issue) -> Index:
    return build(issues, BOT)
