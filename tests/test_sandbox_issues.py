"""`issues` through python-gitlab: the JSON, validation, assignees, state, filters."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import gitlab
import pytest
import requests
from gitlab.v4.objects import Project

from automation.sandbox import Sandbox
from tests.e2e import as_user, post


def client(sandbox: Sandbox, username: str = "salesbot") -> gitlab.Gitlab:
    return gitlab.Gitlab(sandbox.url, private_token=sandbox.token_for(username))


def test_a_created_issue_has_gitlabs_fields(sandbox: Sandbox, project: Project) -> None:
    issue = project.issues.create(
        {
            "title": "Hand over Globex",
            "description": "- [x] a\n- [ ] b\n- [ ] c",
            "labels": ["b", "a"],
        }
    )
    data = issue.attributes
    assert data["iid"] == 1 and data["project_id"] == project.id and data["state"] == "opened"
    assert data["labels"] == ["a", "b"]
    assert data["author"]["username"] == "salesbot" and data["assignees"] == []
    assert data["assignee"] is None and data["closed_at"] is None and data["closed_by"] is None
    assert data["task_completion_status"] == {"count": 3, "completed_count": 1}
    assert data["has_tasks"] is True
    assert data["task_status"] == "1 of 3 checklist items completed"
    assert data["references"] == {"short": "#1", "relative": "#1", "full": "sales/salesbot#1"}
    assert data["web_url"] == f"{sandbox.url}/sales/salesbot/-/issues/1"
    assert data["_links"]["self"] == f"{sandbox.url}/api/v4/projects/{project.id}/issues/1"
    assert data["type"] == "ISSUE" and data["issue_type"] == "issue"
    assert data["user_notes_count"] == 0 and data["time_stats"]["time_estimate"] == 0
    assert data["created_at"].endswith("Z") and data["created_at"] == data["updated_at"]
    plain = project.issues.create({"title": "No tasks"})
    assert plain.description is None and plain.has_tasks is False
    assert "task_status" not in plain.attributes


def test_title_is_required_and_validated(sandbox: Sandbox) -> None:
    missing = post(sandbox, "/issues", {"description": "x"})
    assert (missing.status_code, missing.json()) == (400, {"error": "title is missing"})
    blank = post(sandbox, "/issues", {"title": "   "})
    assert (blank.status_code, blank.json()) == (400, {"message": {"title": ["can't be blank"]}})
    assert post(sandbox, "/issues", {"title": "  Trimmed  "}).json()["title"] == "Trimmed"


def test_an_over_long_description_is_refused_and_nothing_is_created(
    sandbox: Sandbox, project: Project
) -> None:
    response = post(sandbox, "/issues", {"title": "big", "description": "x" * 1_048_577})
    assert response.status_code == 400
    assert response.json() == {
        "message": {"description": ["is too long (maximum is 1048576 characters)"]}
    }
    assert project.issues.list(get_all=True) == []
    assert (
        post(sandbox, "/issues", {"title": "ok", "description": "x" * 1_048_576}).status_code == 201
    )


def test_form_encoded_bodies_and_comma_separated_labels_work(sandbox: Sandbox) -> None:
    response = requests.post(
        f"{sandbox.url}/api/v4/projects/sales%2Fsalesbot/issues",
        data={"title": "Form", "labels": "x, y ,x", "confidential": "true"},
        headers={"PRIVATE-TOKEN": sandbox.bot_token},
        timeout=5,
    )
    assert response.status_code == 201
    assert response.json()["labels"] == ["x", "y"] and response.json()["confidential"] is True


def test_free_keeps_the_first_assignee_premium_keeps_all_and_outsiders_are_dropped(
    sandbox: Sandbox, make_sandbox: Callable[..., Sandbox]
) -> None:
    ids = {u: client(sandbox).users.list(username=u)[0].id for u in ("bob", "carol", "outsider")}
    free = as_user(sandbox).issues.create(
        {"title": "t", "assignee_ids": [ids["bob"], ids["carol"]]}
    )
    assert [a["username"] for a in free.assignees] == ["bob"]
    premium_sandbox = make_sandbox(premium=True)
    premium = as_user(premium_sandbox).issues.create(
        {"title": "t", "assignee_ids": [ids["bob"], ids["carol"], ids["outsider"]]}
    )
    assert [a["username"] for a in premium.assignees] == ["bob", "carol"]
    assert premium.assignee["username"] == "bob"


def test_close_and_reopen_set_closed_fields_and_state_events(
    sandbox: Sandbox, project: Project
) -> None:
    opened = project.issues.create({"title": "t", "state_event": "close"})
    assert opened.state == "opened"  # GitLab drops state_event at creation
    alice = as_user(sandbox, "alice")
    closed = alice.issues.update(opened.iid, {"state_event": "close"})
    assert closed["state"] == "closed" and closed["closed_by"]["username"] == "alice"
    assert closed["closed_at"] is not None
    reopened = project.issues.update(opened.iid, {"state_event": "reopen"})
    assert reopened["state"] == "opened" and reopened["closed_at"] is None
    events = project.issues.get(opened.iid).resourcestateevents.list(get_all=True)
    assert [(e.state, e.user["username"]) for e in events] == [
        ("closed", "alice"),
        ("reopened", "salesbot"),
    ]
    bad = requests.put(
        f"{sandbox.url}/api/v4/projects/{project.id}/issues/{opened.iid}",
        json={"state_event": "explode"},
        headers={"PRIVATE-TOKEN": sandbox.bot_token},
        timeout=5,
    )
    assert bad.json() == {"error": "state_event does not have a valid value"}


def test_an_update_that_changes_nothing_keeps_updated_at(
    sandbox: Sandbox, project: Project
) -> None:
    sandbox.set_time(datetime(2025, 3, 3, 9, 0, tzinfo=UTC))
    issue = project.issues.create({"title": "t", "labels": "a", "due_date": "2025-03-10"})
    sandbox.set_time(datetime(2025, 3, 4, 9, 0, tzinfo=UTC))
    same = project.issues.update(
        issue.iid, {"title": "t", "add_labels": "a", "due_date": "2025-03-10"}
    )
    assert same["updated_at"] == "2025-03-03T09:00:00.000Z"
    changed = project.issues.update(issue.iid, {"due_date": "2025-03-11", "confidential": True})
    assert changed["updated_at"] == "2025-03-04T09:00:00.000Z"
    assert (changed["due_date"], changed["confidential"]) == ("2025-03-11", True)


def test_list_filters(sandbox: Sandbox, project: Project) -> None:
    sandbox.set_time(datetime(2025, 1, 1, tzinfo=UTC))
    first = project.issues.create(
        {"title": "Globex handover", "labels": "a,b", "description": "acme deal"}
    )
    sandbox.set_time(datetime(2025, 1, 2, tzinfo=UTC))
    bob = client(sandbox).users.list(username="bob")[0]
    second = project.issues.create(
        {"title": "Initech consult", "labels": "a", "assignee_ids": [bob.id]}
    )
    sandbox.set_time(datetime(2025, 1, 3, tzinfo=UTC))
    third = project.issues.create({"title": "Other", "labels": "c"})
    project.issues.update(third.iid, {"state_event": "close"})

    def iids(**params: Any) -> list[int]:
        return [i.iid for i in project.issues.list(get_all=True, **params)]

    assert iids() == [3, 2, 1]
    assert iids(state="opened") == [2, 1] and iids(state="closed") == [3]
    assert iids(labels="a,b") == [1] and iids(labels="a") == [2, 1] and iids(labels="zzz") == []
    assert iids(labels="None") == [] and iids(labels="Any") == [3, 2, 1]
    assert iids(query_parameters={"not[labels]": "b"}) == [3, 2]
    assert iids(search="globex") == [1] and iids(search="acme") == [1]
    assert iids(search="acme", **{"in": "title"}) == []
    assert iids(assignee_username="bob") == [2] and iids(assignee_id=bob.id) == [2]
    assert iids(assignee_id="None") == [3, 1]
    assert iids(iids=[first.iid, second.iid]) == [2, 1]
    assert iids(created_after="2025-01-02T00:00:00Z") == [3, 2]
    assert iids(updated_before="2025-01-02T12:00:00Z") == [2, 1]
    assert iids(order_by="created_at", sort="asc") == [1, 2, 3]
    assert iids(author_id=client(sandbox).users.list(username="salesbot")[0].id) == [3, 2, 1]
    detailed = project.issues.list(get_all=True, labels="c", with_labels_details=True)
    assert detailed[0].labels[0]["name"] == "c" and detailed[0].labels[0]["color"] == "#6699cc"


def test_deleting_an_issue_needs_an_owner(sandbox: Sandbox, project: Project) -> None:
    issue = project.issues.create({"title": "t"})
    with pytest.raises(gitlab.GitlabDeleteError) as caught:
        project.issues.delete(issue.iid)
    assert caught.value.response_code == 403
    assert project.issues.get(issue.iid).title == "t"


def test_assigning_only_people_who_cannot_see_the_issue_changes_nothing(
    sandbox: Sandbox, project: Project
) -> None:
    users = client(sandbox).users
    bob, outsider = (users.list(username=name)[0].id for name in ("bob", "outsider"))
    issue = project.issues.create({"title": "t", "assignee_ids": [bob]})
    kept = project.issues.update(issue.iid, {"assignee_ids": [outsider]})
    assert [a["username"] for a in kept["assignees"]] == ["bob"]
    cleared = project.issues.update(issue.iid, {"assignee_ids": [0]})
    assert cleared["assignees"] == []
