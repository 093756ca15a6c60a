"""The adapter against the sandbox: our errors, request counting, no token leaks."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from automation.api import GitLabApi, Settings
from automation.errors import AuthError, InputError, NotFoundError
from automation.records import IssueChange, NewIssue


def make_api(sandbox: Any, *, token: str | None = None, project: str | None = None) -> GitLabApi:
    return GitLabApi(
        Settings(sandbox.url, project or sandbox.project_path, token or sandbox.bot_token),
        max_retries=2,
    )


def test_a_rejected_token_names_the_host_and_variable_and_never_the_token(sandbox: Any) -> None:
    token = "not-a-real-token-0123456789"
    api = make_api(sandbox, token=token)
    with pytest.raises(AuthError) as caught:
        list(api.iter_issues())
    message = str(caught.value)
    assert "GITLAB_TOKEN" in message and "127.0.0.1" in message
    assert token not in message


def test_a_missing_project_says_not_found_or_no_access(sandbox: Any) -> None:
    with pytest.raises(NotFoundError, match="no/such.*not found.*no access"):
        list(make_api(sandbox, project="no/such").iter_issues())


def test_a_project_the_token_cannot_see_is_reported_the_same_way(sandbox: Any) -> None:
    api = make_api(sandbox, token=sandbox.token_for("outsider"))
    with pytest.raises(NotFoundError, match="not found"):
        list(api.iter_issues())


def test_issues_round_trip_and_every_request_is_counted(sandbox: Any) -> None:
    api = make_api(sandbox)
    created = api.create_issue(
        {"title": "Hello", "description": "- [x] a\n- [ ] b", "labels": "x,y"}
    )
    assert created.task_count == 2 and created.task_completed == 1
    assert created.labels == ("x", "y") and created.author == "salesbot"
    updated = api.update_issue(created.iid, {"add_labels": "z", "remove_labels": "x"})
    assert updated.labels == ("y", "z")
    assert [i.iid for i in api.iter_issues(labels=["y"])] == [created.iid]
    assert api.stats.writes == 2 and api.stats.total == 3


def test_a_full_label_rewrite_is_refused() -> None:
    api = GitLabApi(Settings("http://127.0.0.1:9", "a/b", "t"))
    with pytest.raises(ValueError, match="add_labels"):
        api.update_issue(1, {"labels": "x"})


def test_an_oversized_description_is_refused_before_sending(sandbox: Any) -> None:
    api = make_api(sandbox)
    with pytest.raises(InputError, match="1,048,576"):
        api.create_issue({"title": "big", "description": "x" * 1_048_577})
    assert api.stats.total == 0


def test_an_unreachable_gitlab_is_a_gitlab_error() -> None:
    from automation.errors import GitLabError

    api = GitLabApi(Settings("http://127.0.0.1:9", "a/b", "secret-token-xyz"), max_retries=0)
    with pytest.raises(GitLabError, match="cannot reach GitLab at 127.0.0.1:9") as caught:
        api.me()
    assert "secret-token-xyz" not in str(caught.value)


def test_notes_links_and_label_events(sandbox: Any) -> None:
    api = make_api(sandbox)
    a = api.create_issue({"title": "A"})
    b = api.create_issue({"title": "B", "labels": "keep"})
    api.create_note(a.iid, "first")
    api.link_issues(a.iid, b.iid)
    api.link_issues(a.iid, b.iid)  # already linked: fine
    person = make_api(sandbox, token=sandbox.token_for("bob"))
    person.update_issue(b.iid, {"remove_labels": "keep"})
    assert [n.body for n in api.iter_notes(a.iid) if not n.system] == ["first"]
    removal = [e for e in api.label_events(b.iid) if e.action == "remove"]
    assert [(e.label, e.user) for e in removal] == [("keep", "bob")]


def test_ensure_labels_creates_only_missing_ones(sandbox: Any) -> None:
    api = make_api(sandbox)
    assert api.ensure_labels(["a", "b"]) == 2
    assert api.ensure_labels(["a", "b", "c"]) == 1


def test_typed_edits_carry_labels_due_date_state_and_assignees(sandbox: Any) -> None:
    api = make_api(sandbox)
    bob = api.find_user("bob")
    assert bob is not None
    created = api.open_issue(
        NewIssue(title="T", description="d", labels=("x", "y"), due_date=date(2026, 12, 24)),
        marker="d",
    )
    assert created.labels == ("x", "y") and created.due_date == date(2026, 12, 24)
    changed = api.edit_issue(
        created.iid,
        IssueChange(
            add_labels=("z",),
            remove_labels=("x",),
            due_date=date(2027, 1, 7),
            state_event="close",
            assignee_ids=(bob.id,),
        ),
    )
    assert changed.labels == ("y", "z") and changed.due_date == date(2027, 1, 7)
    assert changed.state == "closed" and changed.assignees == ("bob",)
    assert api.edit_issue(created.iid, IssueChange(title="New")).title == "New"


def _list_requests(sandbox: Any) -> int:
    return int(sandbox.requests.count(method="GET", path_contains="/issues"))


@pytest.mark.parametrize("count", [0, 99, 200, 250])
def test_a_listing_costs_exactly_its_pages(sandbox: Any, count: int) -> None:
    for number in range(count):
        sandbox.create_issue(f"Issue {number}")
    sandbox.requests.clear()
    assert len(list(make_api(sandbox).iter_issues())) == count
    assert _list_requests(sandbox) == max(-(-count // 100), 1)


def test_past_10000_issues_a_listing_still_reads_no_page_past_the_end(sandbox: Any) -> None:
    # GitLab stops sending X-Total-Pages past 10,000 rows; the listing must not
    # pay for look-ahead pages that turn out empty (issue 13: import rerun <= 120).
    for number in range(10_200):
        sandbox.create_issue(f"Issue {number}")
    sandbox.requests.clear()
    assert len(list(make_api(sandbox).iter_issues())) == 10_200
    assert _list_requests(sandbox) == 102
