"""`notes`: comments through the API, commands-only notes, and their order."""

from __future__ import annotations

from datetime import UTC, datetime

import requests
from gitlab.v4.objects import Project

from automation.sandbox import Sandbox
from tests.e2e import bodies


def test_a_note_is_201_with_gitlabs_fields(sandbox: Sandbox, project: Project) -> None:
    issue = project.issues.create({"title": "t"})
    note = issue.notes.create({"body": "Hello", "internal": True})
    data = note.attributes
    assert data["body"] == "Hello" and data["system"] is False and data["internal"] is True
    assert data["noteable_type"] == "Issue" and data["noteable_iid"] == issue.iid
    assert data["noteable_id"] == issue.id and data["author"]["username"] == "salesbot"
    assert set(data) >= {"id", "type", "created_at", "updated_at", "confidential", "resolvable"}
    assert project.issues.get(issue.iid).user_notes_count == 1
    response = requests.post(
        f"{sandbox.url}/api/v4/projects/{project.id}/issues/{issue.iid}/notes",
        json={},
        headers={"PRIVATE-TOKEN": sandbox.bot_token},
        timeout=5,
    )
    assert (response.status_code, response.json()) == (400, {"error": "body is missing"})


def test_a_commands_only_note_is_202_and_stores_nothing(sandbox: Sandbox, project: Project) -> None:
    project.labels.create({"name": "x", "color": "#ff0000"})
    issue = project.issues.create({"title": "t"})
    response = requests.post(
        f"{sandbox.url}/api/v4/projects/{project.id}/issues/{issue.iid}/notes",
        json={"body": "/label ~x\n/close"},
        headers={"PRIVATE-TOKEN": sandbox.bot_token},
        timeout=5,
    )
    assert response.status_code == 202
    label_id = project.labels.get("x").id
    assert response.json() == {
        "commands_changes": {"add_label_ids": [label_id], "state_event": "close"},
        "summary": ['Added ~"x" label. Closed this issue.'],
    }
    after = project.issues.get(issue.iid)
    assert after.state == "closed" and after.labels == ["x"] and after.user_notes_count == 0
    assert [body for system, body in bodies(project, issue.iid) if not system] == []


def test_a_note_mixing_text_and_commands_runs_them_and_keeps_the_text(project: Project) -> None:
    issue = project.issues.create({"title": "t", "labels": "x"})
    note = issue.notes.create({"body": "Done here.\n/unlabel ~x"})
    assert note.body == "Done here."
    assert project.issues.get(issue.iid).labels == []


def test_notes_are_newest_first_unless_asked(sandbox: Sandbox, project: Project) -> None:
    issue = project.issues.create({"title": "t"})
    for day in (1, 2, 3):
        sandbox.set_time(datetime(2025, 2, day, tzinfo=UTC))
        issue.notes.create({"body": f"day {day}"})
    assert bodies(project, issue.iid) == [(False, "day 3"), (False, "day 2"), (False, "day 1")]
    assert bodies(project, issue.iid, sort="asc")[0] == (False, "day 1")
    assert len(issue.notes.list(per_page=2, get_all=False)) == 2
