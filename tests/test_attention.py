"""The "Needs attention" data survives its trip through the dashboard's
description whatever GitLab answered, and a web page is never pasted whole."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from automation import attention
from automation.actions import Comment, CreateIssue, IssueRef, Step, UpdateIssue
from automation.applier import Outcome
from automation.marker import Marker
from automation.output import failure_line

texts = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=400)
failures = st.builds(
    attention.Failure,
    workflow=st.sampled_from(["onboarding", "give-back", "opportunity", "handover"]),
    issue=texts,
    iid=st.one_of(st.none(), st.integers(1, 10**6)),
    action=texts,
    answer=texts,
)
sections = st.builds(
    attention.Attention,
    day=st.dates(),
    failures=st.lists(failures, max_size=5).map(tuple),
    total=st.integers(0, 10**4),
)


@given(sections, texts, texts)
def test_the_hidden_section_reads_back_exactly_and_stays_one_comment(
    found: attention.Attention, before: str, after: str
) -> None:
    block = attention.hidden(found)
    assert block.count("-->") == 1 and block.endswith("-->")
    assert "@" not in block and "\n" not in block
    description = f"{before.replace('<!--', '')}\n\n{block}\n{after.replace('<!--', '')}"
    assert attention.read(description) == found


def test_a_run_without_failures_has_no_section() -> None:
    ok = Outcome(Step("handover", UpdateIssue(IssueRef(iid=3), add_labels=("x",))))
    assert attention.from_outcomes([ok], date(2026, 12, 3)) is None


def test_only_the_first_failures_are_kept_and_the_rest_counted() -> None:
    outcomes = [
        Outcome(Step("handover", Comment(IssueRef(iid=n), "hi")), error=f"answered 502 #{n}")
        for n in range(1, 131)
    ]
    found = attention.from_outcomes(outcomes, date(2026, 12, 3))
    assert found is not None
    assert len(found.failures) == attention.MAX_SHOWN and found.total == 130
    assert found.left_out == 130 - attention.MAX_SHOWN
    assert found.failures[0].issue == "#1" and found.failures[0].answer == "answered 502 #1"


def test_a_failure_line_names_the_workflow_issue_action_and_answer_on_one_line() -> None:
    create = CreateIssue(Marker("onboarding", "zed"), "Plan", "", (), ("zed",), None, False)
    line = failure_line(Outcome(Step("onboarding", create), error="GitLab has no\nuser 'zed'"))
    assert line == "FAILED onboarding new issue: open 'Plan' for @zed: GitLab has no user 'zed'"
    update = UpdateIssue(IssueRef(iid=12), add_labels=("overdue",))
    line = failure_line(Outcome(Step("sweep", update), error="answered 502"))
    assert line == "FAILED sweep issue #12: add ~overdue: answered 502"
