"""Applying a plan through python-gitlab against the sandbox."""

from __future__ import annotations

from datetime import date

from automation.actions import Comment, CreateIssue, IssueRef, LinkIssues, Plan, UpdateIssue
from automation.api import GitLabApi, Settings
from automation.applier import Applier
from automation.marker import Marker
from automation.sandbox import Sandbox


def create(key: str, assignee: str = "bob") -> CreateIssue:
    marker = Marker("handover", key)
    return CreateIssue(
        marker=marker,
        title=f"Handover {key}",
        description=f"- [ ] 🔴 Intro call\n\n{marker.render()}\n",
        labels=("salesbot", "progress::not-started"),
        assignees=(assignee,),
        due_date=date(2026, 12, 21),
        confidential=True,
    )


def api_for(sandbox: Sandbox) -> GitLabApi:
    return GitLabApi(Settings(sandbox.url, sandbox.project_path, sandbox.bot_token))


def test_a_failed_action_does_not_stop_the_others_and_a_rerun_finishes(sandbox: Sandbox) -> None:
    plan = Plan.of("handover", [create("a"), create("b", assignee="ghost"), create("c")])
    report = Applier(api_for(sandbox)).apply(plan)
    assert [o.ok for o in report.outcomes] == [True, False, True]
    assert "ghost" in (report.failures[0].error or "")
    assert sorted(i.title for i in report.created) == ["Handover a", "Handover c"]
    assert report.tally()["handover"]["failed"] == 1


def test_actions_on_a_new_issue_wait_for_it_and_are_skipped_if_it_failed(
    sandbox: Sandbox,
) -> None:
    good, bad = create("good"), create("bad", assignee="ghost")
    plan = Plan.of(
        "handover",
        [
            good,
            bad,
            Comment(good.target, "hello", add_labels=("status::fresh",)),
            Comment(bad.target, "never"),
            LinkIssues(bad.target, good.target),
        ],
    )
    report = Applier(api_for(sandbox), workers=4).apply(plan)
    assert [o.ok for o in report.outcomes] == [True, False, True, False, False]
    (issue,) = report.created
    api = api_for(sandbox)
    # the label named in the comment's quick action was created, then applied
    assert "status::fresh" in api.get_issue(issue.iid).labels
    assert [n.body for n in api.iter_notes(issue.iid) if not n.system] == ["hello"]


def test_updates_use_add_and_remove_labels_and_keep_a_persons_labels(sandbox: Sandbox) -> None:
    api = api_for(sandbox)
    (created,) = Applier(api).apply(Plan.of("handover", [create("a")])).created
    person = GitLabApi(Settings(sandbox.url, sandbox.project_path, sandbox.token_for("alice")))
    person.update_issue(created.iid, {"add_labels": "VIP"})
    update = UpdateIssue(
        IssueRef(iid=created.iid),
        add_labels=("progress::in-progress",),
        remove_labels=("progress::not-started",),
    )
    Applier(api).apply(Plan.of("handover", [update]))
    assert api.get_issue(created.iid).labels == ("VIP", "progress::in-progress", "salesbot")
