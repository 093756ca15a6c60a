"""`links`: issue links and the system notes they leave on both issues."""

from __future__ import annotations

import gitlab
import pytest
import requests
from gitlab.v4.objects import Project

from automation.sandbox import Sandbox
from tests.e2e import bodies


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
