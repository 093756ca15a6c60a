"""Where the sandbox used to differ from GitLab (issue 11, point 2): each test
drives python-gitlab or plain HTTP against it and checks GitLab's answer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gitlab
import pytest
import requests
from gitlab.v4.objects import Project
from hypothesis import assume, given
from hypothesis import strategies as st

from automation.sandbox import Sandbox, search
from automation.sandbox.search import STOP_WORDS
from automation.sandbox.store import Issue
from tests.e2e import as_user


def post_note(sandbox: Sandbox, iid: int, body: str, user: str = "salesbot") -> requests.Response:
    return requests.post(
        f"{sandbox.url}/api/v4/projects/{sandbox.project_id}/issues/{iid}/notes",
        json={"body": body},
        headers={"PRIVATE-TOKEN": sandbox.token_for(user)},
        timeout=5,
    )


# -- GET .../participants ------------------------------------------------------


def test_participants_are_author_commenters_assignees_and_mentioned_readers(
    sandbox: Sandbox, project: Project
) -> None:
    carol = project.members.get(sandbox_user_id(sandbox, "carol"))
    as_bob = as_user(sandbox, "bob")
    issue = as_bob.issues.create(
        {
            "title": "Acme handover",
            "description": "cc @dave, @outsider and @nobody-here\n\n`@frank` is in code",
            "assignee_ids": [carol.id],
        }
    )
    as_user(sandbox, "alice").issues.get(issue.iid).notes.create({"body": "Thanks @erin."})
    project.issues.update(issue.iid, {"title": "Acme Corp handover"})  # a system note by the bot

    people = project.issues.get(issue.iid).participants()

    usernames = [person["username"] for person in people]
    assert usernames[:4] == ["bob", "alice", "salesbot", "carol"]
    # Mentions come last; the non-member cannot read the private project, an
    # unknown name is no one, and a mention in code is none.
    assert set(usernames[4:]) == {"dave", "erin"}
    assert set(people[0]) >= {"id", "username", "name", "state", "avatar_url", "web_url"}


def test_participants_of_a_missing_issue_are_404(sandbox: Sandbox) -> None:
    response = requests.get(
        f"{sandbox.url}/api/v4/projects/{sandbox.project_id}/issues/999/participants",
        headers={"PRIVATE-TOKEN": sandbox.bot_token},
        timeout=5,
    )
    assert (response.status_code, response.json()) == (404, {"message": "404 Not found"})


def sandbox_user_id(sandbox: Sandbox, username: str) -> int:
    gl = gitlab.Gitlab(sandbox.url, private_token=sandbox.bot_token)
    return int(gl.users.list(username=username)[0].id)


# -- GET .../resource_label_events/:id -------------------------------------------


def test_a_single_label_event_is_found_by_id_on_its_issue_only(
    sandbox: Sandbox, project: Project
) -> None:
    issue = project.issues.create({"title": "t", "labels": ["stage::new"]})
    other = project.issues.create({"title": "u"})
    events = issue.resourcelabelevents.list()
    assert len(events) == 1

    event = issue.resourcelabelevents.get(events[0].id)

    assert event.attributes == events[0].attributes
    assert (event.action, event.label["name"]) == ("add", "stage::new")
    with pytest.raises(gitlab.GitlabGetError) as missing:
        other.resourcelabelevents.get(events[0].id)
    assert missing.value.response_code == 404


# -- DELETE .../notes/:id --------------------------------------------------------


def test_a_note_is_deleted_by_its_author_or_a_maintainer_only(
    sandbox: Sandbox, project: Project
) -> None:
    issue = project.issues.create({"title": "t"})
    as_bob = as_user(sandbox, "bob").issues.get(issue.iid)
    first = as_bob.notes.create({"body": "first"})
    second = as_bob.notes.create({"body": "second"})
    url = f"{sandbox.url}/api/v4/projects/{project.id}/issues/{issue.iid}/notes"

    def delete(note_id: int, user: str) -> requests.Response:
        headers = {"PRIVATE-TOKEN": sandbox.token_for(user)}
        return requests.delete(f"{url}/{note_id}", headers=headers, timeout=5)

    refused = delete(first.id, "carol")  # a Developer, not the author
    assert (refused.status_code, refused.json()) == (403, {"message": "403 Forbidden"})
    by_author = delete(first.id, "bob")
    assert (by_author.status_code, by_author.content) == (204, b"")
    as_user(sandbox, "alice").issues.get(issue.iid, lazy=True).notes.delete(second.id)

    assert project.issues.get(issue.iid).user_notes_count == 0
    assert delete(first.id, "bob").status_code == 404
    project.issues.update(issue.iid, {"title": "renamed"})
    system = issue.notes.list(get_all=True)[0]
    assert system.system is True
    assert delete(system.id, "alice").status_code == 403  # a system note stays


# -- a commands-only note ------------------------------------------------------


def test_a_notes_command_summary_is_one_string_of_every_message(
    sandbox: Sandbox, project: Project
) -> None:
    project.labels.create({"name": "x", "color": "#ff0000"})
    issue = project.issues.create({"title": "t"})

    response = post_note(sandbox, issue.iid, "/label ~x\n/due 2030-01-02\n/lock")

    assert response.status_code == 202
    assert response.json()["summary"] == [
        'Added ~"x" label. Set the due date to Jan 2, 2030. Locked the discussion.'
    ]


@pytest.mark.parametrize("body", ["/label ~no-such-label", "/reopen", "/unlabel ~x"])
def test_commands_that_change_nothing_are_400_failed_to_apply(
    sandbox: Sandbox, project: Project, body: str
) -> None:
    project.labels.create({"name": "x", "color": "#ff0000"})
    issue = project.issues.create({"title": "t"})

    response = post_note(sandbox, issue.iid, body)

    assert (response.status_code, response.json()) == (
        400,
        {"message": "400 Bad request - Failed to apply commands."},
    )
    with pytest.raises(gitlab.GitlabCreateError) as refused:
        issue.notes.create({"body": body})
    assert refused.value.response_code == 400
    after = project.issues.get(issue.iid)
    assert (after.labels, after.state, after.user_notes_count) == ([], "opened", 0)


# -- labels=foo,None / Any -------------------------------------------------------


def test_a_labels_list_holding_none_or_any_follows_gitlab(project: Project) -> None:
    bare = project.issues.create({"title": "no labels"})
    foo = project.issues.create({"title": "foo", "labels": ["foo"]})
    bar = project.issues.create({"title": "bar", "labels": ["bar"]})

    def iids(labels: Any) -> list[int]:
        return [i.iid for i in project.issues.list(get_all=True, labels=labels)]

    assert iids("foo,None") == [bare.iid]
    assert iids(["foo", "none"]) == [bare.iid]
    assert iids("Any,foo") == [bar.iid, foo.iid]
    assert iids("None,Any") == [bare.iid]  # None is checked first
    assert iids("foo") == [foo.iid] and iids("foo,bar") == []


# -- search ------------------------------------------------------------------------


def test_search_matches_words_by_prefix_and_stem_as_gitlabs_full_text_search(
    project: Project,
) -> None:
    titles = {
        "corp": "Acme Corp handover",
        "ville": "Acmeville onboarding",
        "mega": "MegaAcme consult",
        "the": "Deal with theacme",
        "companies": "Two companies merge",
        "phrase": "Corp of Acme",
    }
    made = {key: project.issues.create({"title": title}).iid for key, title in titles.items()}
    project.issues.create({"title": "Globex", "description": "acme deal, review"})

    def found(query: str, **params: Any) -> set[str]:
        iids = {i.iid for i in project.issues.list(get_all=True, search=query, **params)}
        return {key for key, iid in made.items() if iid in iids}

    # whole words from their start, never the middle of a word
    assert found("acme") == {"corp", "ville", "phrase"}
    assert found("ACME") == found("acme")
    assert found("company") == {"companies"}  # stems: compani
    assert found("acme corp") == {"corp", "phrase"}  # every word, anywhere
    assert found('"acme corp"') == {"corp"}  # a quoted phrase keeps its order
    assert found("the") == set()  # a stop word alone matches nothing
    assert found("acme", **{"in": "title"}) == {"corp", "ville", "phrase"}
    everywhere = project.issues.list(get_all=True, search="deal review")
    assert [i.title for i in everywhere] == ["Globex"]  # words over title and description
    assert project.issues.list(get_all=True, search="review", **{"in": "title"}) == []


def test_unauthenticated_requests_are_throttled_per_ip_under_their_own_name(
    make_sandbox: Callable[..., Sandbox],
) -> None:
    sandbox = make_sandbox(rate_limit=2)
    users = f"{sandbox.url}/api/v4/users"
    anonymous = [requests.get(users, timeout=5) for _ in range(3)]

    assert [r.status_code for r in anonymous] == [200, 200, 429]
    assert {r.headers["RateLimit-Name"] for r in anonymous} == {"throttle_unauthenticated_api"}
    assert anonymous[-1].text == "Retry later\n"
    signed_in = requests.get(users, headers={"PRIVATE-TOKEN": sandbox.bot_token}, timeout=5)
    assert signed_in.status_code == 200
    assert signed_in.headers["RateLimit-Name"] == "throttle_authenticated_api"


# -- what python-gitlab's functional tests for issues exercise ---------------------


def test_python_gitlab_issue_helpers_answer_lists(project: Project) -> None:
    """`participants()`, `closed_by()` and `related_merge_requests()` return
    lists; filtering by `iids` and `state` after a close."""
    first = project.issues.create({"title": "one"})
    second = project.issues.create({"title": "two"})
    second.state_event = "close"
    second.save()

    assert {i.iid for i in project.issues.list(iids=[first.iid, second.iid])} == {
        first.iid,
        second.iid,
    }
    assert [i.iid for i in project.issues.list(state="opened")] == [first.iid]
    assert [i.iid for i in project.issues.list(state="closed")] == [second.iid]
    assert [p["username"] for p in first.participants()] == ["salesbot"]
    assert first.closed_by() == [] and first.related_merge_requests() == []


def test_saving_labels_then_listing_by_them_any_and_none(project: Project) -> None:
    issue = project.issues.create({"title": "t"})
    project.labels.create({"name": "label2", "color": "#aabbcc"})
    issue.labels = ["label2"]
    issue.save()

    for labels in (["label2"], "label2", "Any"):
        assert [i.iid for i in project.issues.list(labels=labels)] == [issue.iid]
    assert project.issues.list(labels="None") == []


_WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1)


@given(words=st.lists(_WORDS, min_size=1, max_size=6), pick=st.integers(min_value=0))
def test_every_word_of_a_title_finds_its_issue(words: list[str], pick: int) -> None:
    """Full-text search: any word of the title (not a stop word) and the whole
    title as a quoted phrase find the issue, in any case."""
    title = " ".join(words)
    issue = Issue(
        id=1,
        iid=1,
        project_id=1,
        title=title,
        description=None,
        state="opened",
        created_at="",
        updated_at="",
        closed_at=None,
        closed_by_id=None,
        author_id=1,
        label_ids=(),
        assignee_ids=(),
        due_date=None,
        confidential=False,
        discussion_locked=None,
    )
    fields = ["title", "description"]
    meaningful = [w for w in words if w.lower() not in STOP_WORDS]
    assume(meaningful)
    word = meaningful[pick % len(meaningful)]
    assert search.matching([issue], word.swapcase(), fields) == [issue]
    assert search.matching([issue], f'"{title}"', fields) == [issue]
    assert search.matching([issue], word, ["description"]) == []
