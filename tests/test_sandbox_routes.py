"""The sandbox's HTTP surface (`routes`, `calls`, `pagination`): auth, error bodies, users,
projects, pagination."""

from __future__ import annotations

import warnings
from typing import Any

import gitlab
import pytest
import requests
from gitlab.v4.objects import Project

from automation.sandbox import Sandbox


def api(
    sandbox: Sandbox, path: str, *, token: str | None = None, **kwargs: Any
) -> requests.Response:
    headers = {"PRIVATE-TOKEN": token} if token else {}
    return requests.get(f"{sandbox.url}/api/v4{path}", headers=headers, timeout=5, **kwargs)


def test_the_bot_token_is_the_salesbot_user_and_looks_nothing_like_a_real_token(
    sandbox: Sandbox, gl: gitlab.Gitlab
) -> None:
    gl.auth()
    assert gl.user is not None
    assert (gl.user.username, gl.user.name) == ("salesbot", "Sales Bot")
    assert not sandbox.bot_token.startswith("glpat-")
    assert sandbox.token_for("alice") != sandbox.bot_token


def test_a_bearer_token_works_like_a_private_token(sandbox: Sandbox) -> None:
    response = requests.get(
        f"{sandbox.url}/api/v4/user",
        headers={"Authorization": f"Bearer {sandbox.token_for('carol')}"},
        timeout=5,
    )
    assert response.status_code == 200
    assert response.json()["username"] == "carol"


def test_a_bad_token_is_401_with_gitlabs_body(sandbox: Sandbox) -> None:
    bad = gitlab.Gitlab(sandbox.url, private_token="not-a-token")
    with pytest.raises(gitlab.GitlabAuthenticationError):
        bad.projects.get(sandbox.project_path)
    response = api(sandbox, f"/projects/{sandbox.project_id}/issues", token="not-a-token")
    assert (response.status_code, response.json()) == (401, {"message": "401 Unauthorized"})


def test_no_token_is_401_where_gitlab_authenticates_and_404_on_a_private_project(
    sandbox: Sandbox,
) -> None:
    assert api(sandbox, "/user").status_code == 401
    response = api(sandbox, "/projects/sales%2Fsalesbot")
    assert (response.status_code, response.json()) == (404, {"message": "404 Project Not Found"})


def test_a_non_member_cannot_tell_the_private_project_exists(sandbox: Sandbox) -> None:
    outsider = gitlab.Gitlab(sandbox.url, private_token=sandbox.token_for("outsider"))
    for ref in (sandbox.project_path, sandbox.project_id):
        with pytest.raises(gitlab.GitlabGetError) as caught:
            outsider.projects.get(ref)
        assert caught.value.response_code == 404
        assert caught.value.error_message == "404 Project Not Found"
    response = api(
        sandbox, f"/projects/{sandbox.project_id}/issues/1", token=sandbox.token_for("outsider")
    )
    assert response.json() == {"message": "404 Project Not Found"}


def test_unknown_routes_and_issues_answer_gitlabs_404_bodies(sandbox: Sandbox) -> None:
    token = sandbox.bot_token
    assert api(sandbox, "/nothing/here", token=token).json() == {"error": "404 Not Found"}
    missing = api(sandbox, f"/projects/{sandbox.project_id}/issues/999", token=token)
    assert (missing.status_code, missing.json()) == (404, {"message": "404 Not found"})


def test_projects_resolve_by_id_and_by_encoded_path(project: Project, gl: gitlab.Gitlab) -> None:
    assert project.path_with_namespace == "sales/salesbot"
    assert project.visibility == "private"
    assert gl.projects.get(project.id).path_with_namespace == "sales/salesbot"


def test_members_include_mallory_but_not_the_outsider(project: Project) -> None:
    members = {m.username: m.access_level for m in project.members.list(get_all=True)}
    everyone = {m.username for m in project.members_all.list(get_all=True)}
    assert members["salesbot"] == 40 and members["bob"] == 30 and "mallory" in members
    assert "outsider" not in members and "outsider" not in everyone
    assert set(members) == everyone


def test_users_are_found_by_username_and_id(sandbox: Sandbox, gl: gitlab.Gitlab) -> None:
    [alice] = gl.users.list(username="alice")
    assert alice.name == "Alice Anders"
    assert set(alice.attributes) >= {
        "id",
        "username",
        "name",
        "state",
        "locked",
        "avatar_url",
        "web_url",
    }
    assert gl.users.get(alice.id).username == "alice"
    assert gl.users.list(username="nobody") == []
    assert api(sandbox, "/users/9999", token=sandbox.bot_token).json() == {
        "message": "404 User Not Found"
    }


def test_an_added_user_gets_a_token_and_membership(sandbox: Sandbox, project: Project) -> None:
    user = sandbox.add_user("heidi", "Heidi Hopper")
    assert user["username"] == "heidi"
    heidi = gitlab.Gitlab(sandbox.url, private_token=sandbox.token_for("heidi"))
    assert heidi.projects.get(sandbox.project_path).id == project.id
    sandbox.add_user("ivan", "Ivan Ito", member=False)
    ivan = gitlab.Gitlab(sandbox.url, private_token=sandbox.token_for("ivan"))
    with pytest.raises(gitlab.GitlabGetError):
        ivan.projects.get(sandbox.project_path)


def test_250_issues_come_in_exactly_three_pages_of_100(sandbox: Sandbox, project: Project) -> None:
    for number in range(250):
        sandbox.create_issue(f"Issue {number}")
    sandbox.requests.clear()
    issues = list(project.issues.list(per_page=100, iterator=True))
    assert len(issues) == 250
    assert sandbox.requests.by_kind() == {"GET /projects/:id/issues": 3}
    assert [i.iid for i in issues] == list(range(250, 0, -1))  # newest first by default
    first = api(sandbox, f"/projects/{project.id}/issues?per_page=100", token=sandbox.bot_token)
    assert first.headers["X-Total"] == "250" and first.headers["X-Total-Pages"] == "3"
    assert first.headers["X-Next-Page"] == "2" and first.headers["X-Prev-Page"] == ""
    assert first.links["next"]["url"].startswith(
        f"{sandbox.url}/api/v4/projects/{project.id}/issues?"
    )
    assert set(first.links) == {"next", "first", "last"}
    last = requests.get(
        first.links["last"]["url"], headers={"PRIVATE-TOKEN": sandbox.bot_token}, timeout=5
    )
    assert (
        len(last.json()) == 50
        and last.headers["X-Next-Page"] == ""
        and last.headers["X-Page"] == "3"
    )
    assert "next" not in last.links


def test_get_all_follows_every_page_without_a_base_url_warning(
    sandbox: Sandbox, project: Project
) -> None:
    for number in range(45):
        sandbox.create_issue(f"Issue {number}")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(project.issues.list(get_all=True)) == 45
        assert len(project.issues.list(get_all=True, per_page=10)) == 45


def test_per_page_is_capped_at_100_and_defaults_to_20(sandbox: Sandbox) -> None:
    for number in range(120):
        sandbox.create_issue(f"Issue {number}")
    path = f"/projects/{sandbox.project_id}/issues"
    assert len(api(sandbox, path, token=sandbox.bot_token).json()) == 20
    capped = api(sandbox, path, token=sandbox.bot_token, params={"per_page": 500})
    assert len(capped.json()) == 100 and capped.headers["X-Per-Page"] == "100"


def test_over_10000_rows_the_counts_and_last_link_are_left_out(sandbox: Sandbox) -> None:
    for number in range(10_001):
        sandbox.create_issue(f"Issue {number}")
    page = api(
        sandbox,
        f"/projects/{sandbox.project_id}/issues",
        token=sandbox.bot_token,
        params={"per_page": 100},
    )
    assert len(page.json()) == 100
    assert "X-Total" not in page.headers and "X-Total-Pages" not in page.headers
    assert set(page.links) == {"next", "first"} and page.headers["X-Next-Page"] == "2"


def test_the_request_log_counts_by_kind_and_writes(sandbox: Sandbox, project: Project) -> None:
    sandbox.requests.clear()
    issue = project.issues.create({"title": "Counted"})
    project.issues.update(issue.iid, {"add_labels": "x"})
    project.issues.get(issue.iid)
    assert sandbox.requests.writes() == 2
    assert sandbox.requests.count(method="GET") == 1
    assert sandbox.requests.count(path_contains="/issues", status=201) == 1
    assert sandbox.requests.by_kind() == {
        "POST /projects/:id/issues": 1,
        "PUT /projects/:id/issues/:iid": 1,
        "GET /projects/:id/issues/:iid": 1,
    }
    assert sandbox.requests.entries[0] == ("POST", f"/api/v4/projects/{project.id}/issues", 201)


def test_next_links_keep_the_filters(sandbox: Sandbox, project: Project) -> None:
    for number in range(130):
        sandbox.create_issue(f"Issue {number}", labels=["x"] if number % 13 else [])
    sandbox.requests.clear()
    labelled = list(project.issues.list(labels="x", per_page=50, iterator=True))
    assert len(labelled) == 120 and all(i.labels == ["x"] for i in labelled)
    assert sandbox.requests.count(path_contains="/issues") == 3


def test_an_unseeded_sandbox_has_only_the_bot_and_the_project() -> None:
    with Sandbox(seed=False) as bare:
        gl = gitlab.Gitlab(bare.url, private_token=bare.bot_token)
        project = gl.projects.get(bare.project_path)
        assert [m.username for m in project.members.list(get_all=True)] == ["salesbot"]
        assert project.id == bare.project_id
        with pytest.raises(KeyError):
            bare.token_for("alice")
