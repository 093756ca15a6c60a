"""Notes, system notes, resource events and issue links."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import gitlab
import pytest
import requests
from gitlab.v4.objects import Project

from automation.sandbox import Sandbox


def as_user(sandbox: Sandbox, username: str) -> Project:
    gl = gitlab.Gitlab(sandbox.url, private_token=sandbox.token_for(username))
    return gl.projects.get(sandbox.project_path)


def bodies(project: Project, iid: int, **params: Any) -> list[tuple[bool, str]]:
    notes = project.issues.get(iid, lazy=True).notes.list(get_all=True, **params)
    return [(note.system, note.body) for note in notes]


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


def test_system_notes_for_ticked_items_description_title_due_date_and_assignees(
    sandbox: Sandbox, project: Project
) -> None:
    issue = project.issues.create({"title": "Old title", "description": "- [ ] one\n- [ ] two"})
    bob = as_user(sandbox, "bob")
    bob.issues.update(issue.iid, {"description": "- [x] one <!-- task:a -->\n- [ ] two"})
    bob.issues.update(issue.iid, {"description": "- [x] one <!-- task:a -->\n- [x] two"})
    bob.issues.update(issue.iid, {"description": "- [ ] one <!-- task:a -->\n- [x] two"})
    project.issues.update(issue.iid, {"description": "Rewritten"})
    project.issues.update(issue.iid, {"title": "New title", "due_date": "2025-11-20"})
    carol_id = (
        gitlab.Gitlab(sandbox.url, private_token=sandbox.bot_token)
        .users.list(username="carol")[0]
        .id
    )
    project.issues.update(issue.iid, {"assignee_ids": [carol_id]})
    project.issues.update(issue.iid, {"assignee_ids": [], "due_date": ""})
    notes = project.issues.get(issue.iid).notes.list(get_all=True, sort="asc")
    assert [(n.author["username"], n.body) for n in notes] == [
        ("bob", "changed the description"),  # "one" gained a hidden comment: not a tick
        ("bob", "marked the checklist item **two** as completed"),
        # GitLab.com's form: a comment's inner text kept, punctuation escaped
        ("bob", "marked the checklist item **one  task:a** as incomplete"),
        ("salesbot", "changed the description"),
        ("salesbot", "changed title from **{-Old-} title** to **{+New+} title**"),
        ("salesbot", "changed due date to November 20, 2025"),
        ("salesbot", "assigned to @carol"),
        ("salesbot", "removed due date"),
        ("salesbot", "unassigned @carol"),
    ]
    assert all(n.system for n in notes)
    assert project.issues.get(issue.iid).user_notes_count == 0


def test_label_and_state_changes_are_events_not_notes(project: Project) -> None:
    """GitLab records these as resource events; its Notes API does not list them."""
    issue = project.issues.create({"title": "t", "labels": "a"})
    project.issues.update(issue.iid, {"add_labels": "b", "state_event": "close"})
    assert bodies(project, issue.iid) == []
    lazy = project.issues.get(issue.iid, lazy=True)
    assert len(lazy.resourcelabelevents.list(get_all=True)) == 2
    assert [e.state for e in lazy.resourcestateevents.list(get_all=True)] == ["closed"]


def test_label_events_show_who_removed_a_label_even_by_quick_action(
    sandbox: Sandbox, project: Project
) -> None:
    issue = project.issues.create({"title": "t", "labels": "needs-review,bot::managed"})
    alice = as_user(sandbox, "alice")
    alice.issues.update(issue.iid, {"remove_labels": "needs-review"})
    alice.issues.get(issue.iid, lazy=True).notes.create({"body": '/unlabel ~"bot::managed"'})
    events = project.issues.get(issue.iid, lazy=True).resourcelabelevents.list(get_all=True)
    seen = [(e.action, e.label["name"], e.user["username"]) for e in events]
    assert seen == [
        ("add", "needs-review", "salesbot"),
        ("add", "bot::managed", "salesbot"),
        ("remove", "needs-review", "alice"),
        ("remove", "bot::managed", "alice"),
    ]
    event = events[0].attributes
    assert event["resource_type"] == "Issue" and event["resource_id"] == issue.id
    assert set(event["label"]) == {"id", "name", "color", "description"}


def test_links_are_symmetric_and_a_duplicate_is_409(sandbox: Sandbox, project: Project) -> None:
    source = project.issues.create({"title": "source"})
    target = project.issues.create({"title": "target"})
    created_source, created_target = source.links.create(
        {"target_project_id": sandbox.project_path, "target_issue_iid": target.iid}
    )
    assert (created_source.iid, created_target.iid) == (source.iid, target.iid)
    from_source = source.links.list()
    from_target = target.links.list()
    assert [(i.iid, i.link_type) for i in from_source] == [(target.iid, "relates_to")]
    assert [(i.iid, i.link_type) for i in from_target] == [(source.iid, "relates_to")]
    assert from_source[0].issue_link_id == from_target[0].issue_link_id
    for issue, other in ((source, target), (target, source)):
        with pytest.raises(gitlab.GitlabCreateError) as caught:
            issue.links.create({"target_project_id": project.id, "target_issue_iid": other.iid})
        assert (caught.value.response_code, caught.value.error_message) == (
            409,
            "Issue(s) already assigned",
        )
    assert bodies(project, source.iid) == [(True, f"marked this issue as related to #{target.iid}")]
    assert bodies(project, target.iid) == [(True, f"marked this issue as related to #{source.iid}")]


def test_link_answers_gitlabs_body_and_missing_targets_are_404(
    sandbox: Sandbox, project: Project
) -> None:
    source = project.issues.create({"title": "source"})
    target = project.issues.create({"title": "target"})
    url = f"{sandbox.url}/api/v4/projects/{project.id}/issues/{source.iid}/links"
    headers = {"PRIVATE-TOKEN": sandbox.bot_token}
    response = requests.post(
        url,
        json={"target_project_id": project.id, "target_issue_iid": target.iid},
        headers=headers,
        timeout=5,
    )
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"source_issue", "target_issue", "link_type"}
    assert body["target_issue"]["iid"] == target.iid and body["link_type"] == "relates_to"
    missing = requests.post(
        url,
        json={"target_project_id": project.id, "target_issue_iid": 99},
        headers=headers,
        timeout=5,
    )
    assert (missing.status_code, missing.json()) == (404, {"message": "404 Not found"})
