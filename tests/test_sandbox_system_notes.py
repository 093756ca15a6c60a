"""`system_notes`: the system notes and resource events a change leaves."""

from __future__ import annotations

import gitlab
from gitlab.v4.objects import Project

from automation.sandbox import Sandbox
from tests.e2e import as_user, bodies


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
