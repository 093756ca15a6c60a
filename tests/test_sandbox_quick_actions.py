"""Quick actions in descriptions run through the API and vanish from the text."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from gitlab.v4.objects import Project

from automation.sandbox import Sandbox
from automation.sandbox.quick_actions import Command, extract, new_updates
from tests.e2e import as_user


def test_a_label_command_runs_and_its_line_is_stripped(project: Project) -> None:
    project.labels.create({"name": "urgent", "color": "#ff0000"})
    issue = project.issues.create({"title": "t", "description": "Hello\n/label ~urgent\nBye"})
    assert issue.labels == ["urgent"]
    assert issue.description == "Hello\nBye"


def test_a_label_command_only_applies_labels_that_exist(project: Project) -> None:
    project.labels.create({"name": "known", "color": "#ff0000"})
    issue = project.issues.create({"title": "t", "description": 'x\n/label ~known ~"not there"'})
    assert issue.labels == ["known"] and issue.description == "x"
    assert {label.name for label in project.labels.list(get_all=True)} == {"known"}


def test_close_is_ignored_on_create_but_works_on_update(project: Project) -> None:
    issue = project.issues.create({"title": "t", "description": "Body\n/close"})
    assert issue.state == "opened" and issue.description == "Body"
    updated = project.issues.update(issue.iid, {"description": "Body\n/close"})
    assert updated["state"] == "closed" and updated["description"] == "Body"


def test_commands_run_only_when_a_description_is_sent(project: Project) -> None:
    project.labels.create({"name": "x", "color": "#ff0000"})
    issue = project.issues.create({"title": "/label ~x"})
    assert issue.title == "/label ~x" and issue.labels == []
    updated = project.issues.update(issue.iid, {"title": "/close"})
    assert updated["state"] == "opened"


def test_a_resent_command_runs_again_because_gitlab_stripped_it_the_first_time(
    sandbox: Sandbox, project: Project
) -> None:
    """Only commands new against the *stored* description run, and the stored
    description never keeps an executed command: a template that re-sends
    `/label ~x` re-adds a label a person removed."""
    project.labels.create({"name": "x", "color": "#ff0000"})
    issue = project.issues.create({"title": "t", "description": "Body\n/label ~x"})
    as_user(sandbox, "alice").issues.update(issue.iid, {"remove_labels": "x"})
    updated = project.issues.update(issue.iid, {"description": "Body\n/label ~x"})
    assert updated["labels"] == ["x"]


def test_only_new_commands_count_against_the_old_description() -> None:
    new = {"add_label_ids": [1, 2], "state_event": "close", "due_date": "2025-01-02"}
    old = {"add_label_ids": [1, 2], "state_event": "close", "due_date": "2025-01-01"}
    assert new_updates(new, old) == {"due_date": "2025-01-02"}


def test_assign_unassign_due_confidential_title_reopen(sandbox: Sandbox, project: Project) -> None:
    sandbox.set_time(datetime(2025, 5, 5, 12, 0, tzinfo=UTC))
    issue = project.issues.create(
        {"title": "t", "description": "a\n/assign @bob\n/due tomorrow\n/confidential"}
    )
    assert [u["username"] for u in issue.assignees] == ["bob"]
    assert (issue.due_date, issue.confidential, issue.description) == ("2025-05-06", True, "a")
    updated = project.issues.update(
        issue.iid,
        {"description": "b\n/unassign @bob\n/remove_due_date\n/title New title\n/close"},
    )
    assert updated["assignees"] == [] and updated["due_date"] is None
    assert (updated["title"], updated["state"], updated["description"]) == (
        "New title",
        "closed",
        "b",
    )
    reopened = project.issues.update(
        issue.iid, {"description": "c\n/reopen\n/assign me\n/due in 3 days"}
    )
    assert reopened["state"] == "opened" and reopened["assignees"][0]["username"] == "salesbot"
    assert reopened["due_date"] == "2025-05-08"


def test_free_assigns_one_person_and_premium_adds(
    make_sandbox: Callable[..., Sandbox], project: Project
) -> None:
    free = project.issues.create({"title": "t", "description": "/assign @bob @carol"})
    assert [u["username"] for u in free.assignees] == ["bob"]
    premium = as_user(make_sandbox(premium=True), "salesbot")
    issue = premium.issues.create({"title": "t", "description": "/assign @bob @carol"})
    assert [u["username"] for u in issue.assignees] == ["bob", "carol"]
    added = premium.issues.update(issue.iid, {"description": "/assign @dave\n/unassign @bob"})
    assert [u["username"] for u in added["assignees"]] == ["carol", "dave"]


def test_an_unknown_user_fails_the_whole_assign_command(project: Project) -> None:
    issue = project.issues.create({"title": "t", "description": "x\n/assign @bob @ghost"})
    assert issue.assignees == [] and issue.description == "x"


def test_mallory_can_be_assigned_but_at_all_is_just_text(project: Project) -> None:
    issue = project.issues.create({"title": "t", "description": "cc @all\n/assign @mallory"})
    assert [u["username"] for u in issue.assignees] == ["mallory"]
    assert issue.description == "cc @all"


def test_unlabel_without_arguments_removes_every_label(project: Project) -> None:
    issue = project.issues.create({"title": "t", "labels": "a,b"})
    updated = project.issues.update(issue.iid, {"description": "/unlabel"})
    assert updated["labels"] == [] and updated["description"] == ""


def test_commands_in_code_quotes_and_indented_lines_do_not_run(project: Project) -> None:
    project.labels.create({"name": "x", "color": "#ff0000"})
    description = "\n".join(
        [
            "```",
            "/label ~x",
            "```",
            "> /close",
            " /label ~x",
            "- /label ~x",
            ">>>",
            "/label ~x",
            ">>>",
            "/xyz is not a command",
        ]
    )
    issue = project.issues.create({"title": "t", "description": description})
    assert issue.labels == [] and issue.description == description
    updated = project.issues.update(issue.iid, {"description": description + "\n/close"})
    assert updated["state"] == "closed" and updated["labels"] == []


def test_commands_gitlab_knows_are_stripped_even_when_the_sandbox_ignores_them(
    project: Project,
) -> None:
    issue = project.issues.create(
        {"title": "t", "description": "x\n/spend 1h\n/milestone %1\n/CLOSE"}
    )
    assert issue.description == "x"


def test_descriptions_lose_trailing_whitespace_and_carriage_returns(project: Project) -> None:
    issue = project.issues.create({"title": "t", "description": "line one\r\nline two\n\n  \n"})
    assert issue.description == "line one\nline two"


def test_extract_follows_gitlabs_line_rules() -> None:
    text, commands = extract('a\n/label ~x ~"b c"\n\n\nb\n/assign  @x\n/close\n')
    assert commands == [
        Command("label", '~x ~"b c"'),
        Command("assign", "@x"),
        Command("close", ""),
    ]
    assert text == "a\n\nb"  # the paragraph and one empty line after it lose the command
    # A code span may run over lines; commands count only in top-level paragraphs.
    spanning = "Hello `some text\n/close\n`\n\nWorld"
    assert extract(spanning) == (spanning, [])
    assert extract("run `this`\n/close\nthen `that`") == (
        "run `this`\nthen `that`",
        [Command("close", "")],
    )
    for nested in (
        "- item\n/close",
        "> quote\n/close",
        "<div>\n/close\n</div>",
        "~~~\n/close\n~~~",
    ):
        assert extract(nested) == (nested, [])
    assert extract("/shrug oh well") == ("oh well ¯\\＿(ツ)＿/¯", [])
