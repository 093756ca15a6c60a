"""`labels`: labels created on first use, replace/add/remove, scoped labels by tier."""

from __future__ import annotations

from collections.abc import Callable

import gitlab
import pytest
from gitlab.v4.objects import Project

from automation.sandbox import Sandbox
from tests.e2e import as_user


def test_labels_are_created_on_first_use_and_listed(project: Project) -> None:
    project.issues.create({"title": "t", "labels": "fresh,status::new"})
    names = {label.name: label.color for label in project.labels.list(get_all=True)}
    assert names == {"fresh": "#6699cc", "status::new": "#6699cc"}
    project.labels.create({"name": "red", "color": "#ff0000"})
    with pytest.raises(gitlab.GitlabCreateError) as caught:
        project.labels.create({"name": "red", "color": "#00ff00"})
    assert (caught.value.response_code, caught.value.error_message) == (409, "Label already exists")


def test_labels_replace_then_add_then_remove_in_one_atomic_update(
    sandbox: Sandbox, project: Project
) -> None:
    issue = project.issues.create({"title": "t", "labels": "a,b"})
    updated = project.issues.update(
        issue.iid, {"labels": "c,d", "add_labels": "e,f", "remove_labels": "d,f,never-existed"}
    )
    assert updated["labels"] == ["c", "e"]
    updated = project.issues.update(issue.iid, {"add_labels": ["g"], "remove_labels": ["c"]})
    assert updated["labels"] == ["e", "g"]
    # remove_labels never creates a label
    assert "never-existed" not in {label.name for label in project.labels.list(get_all=True)}
    events = [
        (e.action, e.label["name"])
        for e in project.issues.get(issue.iid).resourcelabelevents.list(get_all=True)
    ]
    assert events == [
        ("add", "a"), ("add", "b"),
        ("add", "c"), ("add", "e"), ("remove", "a"), ("remove", "b"),
        ("add", "g"), ("remove", "c"),
    ]  # fmt: skip


def test_scoped_labels_stay_side_by_side_on_free(project: Project) -> None:
    issue = project.issues.create({"title": "t", "labels": "status::new"})
    updated = project.issues.update(issue.iid, {"add_labels": "status::done"})
    assert updated["labels"] == ["status::done", "status::new"]


def test_scoped_labels_are_exclusive_on_premium_and_the_last_given_wins(
    make_sandbox: Callable[..., Sandbox],
) -> None:
    sandbox = make_sandbox(premium=True)
    project = as_user(sandbox)
    issue = project.issues.create({"title": "t", "labels": "status::new,other"})
    updated = project.issues.update(issue.iid, {"add_labels": "status::done"})
    assert updated["labels"] == ["other", "status::done"]
    both = project.issues.create({"title": "t", "labels": "phase::1,phase::2"})
    assert both.labels == ["phase::2"]
    # The scope is everything before the last "::": a::b::c and a::b::d collide, a::x does not.
    nested = project.issues.create({"title": "t", "labels": "a::b::c,a::x,a::b::d"})
    assert nested.labels == ["a::b::d", "a::x"]


def test_premium_can_be_switched_on_mid_run(sandbox: Sandbox, project: Project) -> None:
    issue = project.issues.create({"title": "t", "labels": "s::1"})
    sandbox.options.premium = True
    assert project.issues.update(issue.iid, {"add_labels": "s::2"})["labels"] == ["s::2"]
