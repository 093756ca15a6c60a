"""`markdown`: task_completion_status as GitLab computes it, seen through the API."""

from __future__ import annotations

import pytest
from gitlab.v4.objects import Project

from automation.sandbox.markdown import summarize, toggled

CASES = {
    "plain": ("- [ ] a\n- [x] b\n* [X] c\n+ [ ] d", (4, 2)),
    "ordered": ("1. [x] a\n2) [ ] b", (2, 1)),
    "fenced code": ("- [x] real\n```\n- [ ] fenced\n```\n~~~\n- [ ] tilde\n~~~", (1, 1)),
    "indented code": ("Text\n\n    - [ ] code\n\n- [ ] real", (1, 0)),
    "blockquote": ("> - [ ] quoted\n> > - [x] deeper", (2, 1)),
    "nested": ("- [ ] parent\n  - [x] child\n    - [ ] grandchild", (3, 1)),
    "inapplicable": ("- [~] not needed\n- [x] done\n- [ ] open", (2, 1)),
    "box alone": ("- [ ]\n- [x]   \n- [ ] text", (1, 0)),
    "html comment": ("<!--\n- [ ] hidden\n-->\n- [ ] shown <!-- task:key -->", (1, 0)),
    "no list": ("[ ] not an item\n[x] neither", (0, 0)),
    "box not first": ("- see [ ] later\n- **[x]** bold", (0, 0)),
    "tab inside": ("- [\t] tab", (1, 0)),
    "blank": ("", (0, 0)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_task_counts_follow_commonmark(name: str) -> None:
    description, (count, completed) = CASES[name]
    summary = summarize(description)
    assert (summary.count, summary.completed_count) == (count, completed)


@pytest.mark.parametrize(
    "name", ["fenced code", "blockquote", "nested", "inapplicable", "box alone"]
)
def test_the_api_reports_the_same_counts(project: Project, name: str) -> None:
    description, (count, completed) = CASES[name]
    issue = project.issues.create({"title": name, "description": description})
    assert issue.task_completion_status == {"count": count, "completed_count": completed}
    assert issue.has_tasks is (count > 0)
    fetched = project.issues.list(get_all=True)[0]
    assert fetched.task_completion_status == issue.task_completion_status


def test_task_status_is_singular_for_one_item(project: Project) -> None:
    issue = project.issues.create({"title": "t", "description": "- [x] only"})
    assert issue.task_status == "1 of 1 checklist item completed"


def test_only_ticked_items_with_unchanged_text_are_toggles() -> None:
    old = "- [ ] a\n- [ ] b\n- [x] c"
    new = "- [x] a\n- [ ] b changed\n- [ ] c"
    assert [(t.text, t.checked) for t in toggled(old, new)] == [("a", True), ("c", False)]
    assert toggled("- [ ] a", "- [x] a\n- [x] extra") == [summarize("- [x] a").tasks[0]]
