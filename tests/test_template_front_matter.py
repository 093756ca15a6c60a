"""Template front matter: a pydantic model, each problem named by file and field."""

from __future__ import annotations

import pytest

from automation.errors import TemplateError
from automation.template_front_matter import parse

GOOD = "title: x\nlabels: [A]\ndue_days: 5\nversion: 1\ndescription: d\n"


def test_good_front_matter_is_read() -> None:
    front = parse("t.md.j2", GOOD + "sections_due: {Day 30: 30, 60: 60}\n")
    assert (front.title, front.labels, front.due_days, front.version) == ("x", ["A"], 5, 1)
    # a heading YAML reads as a number is still a heading
    assert front.sections_due == {"Day 30": 30, "60": 60}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("version: true", "'version' must be a whole number"),
        ("version: -1", "'version' must be a whole number"),
        ("due_days: '5'", "'due_days' must be a whole number"),
        ("title: '  '", "'title' must be non-empty text"),
        ("title: 5", "'title' must be non-empty text"),
        ("labels: ['']", "'labels' must be a list of text"),
        ("labels: A", "'labels' must be a list of text"),
        ("sections_due: [1]", "'sections_due' must be a mapping"),
        ("sections_due: {Day 30: soon}", "'sections_due.Day 30' must be a whole number"),
    ],
)
def test_a_bad_field_is_named_with_the_file(change: str, message: str) -> None:
    key = change.split(":")[0]
    lines = [line for line in GOOD.splitlines() if not line.startswith(f"{key}:")]
    with pytest.raises(TemplateError) as caught:
        parse("templates/x.md.j2", "\n".join([*lines, change]))
    assert str(caught.value) == f"templates/x.md.j2: front matter {message}"


def test_a_missing_field_is_named() -> None:
    with pytest.raises(TemplateError, match=r"^t\.md\.j2: front matter 'description' must be"):
        parse("t.md.j2", GOOD.replace("description: d\n", ""))


def test_a_yaml_error_names_the_files_line() -> None:
    with pytest.raises(TemplateError, match=r"^t\.md\.j2:\d+: front matter: "):
        parse("t.md.j2", "title: x\nlabels: [a\n")
    with pytest.raises(TemplateError, match="front matter must be a mapping"):
        parse("t.md.j2", "- a\n")
