"""The reader counts exactly what GitLab (here: the sandbox) counts.

The reader renders with comrak (GitLab's parser); the sandbox counts with
markdown-it-py, a separate CommonMark implementation, so the comparison checks
the reader's mapping from comrak's HTML back to items, boxes and counts against
an independent parser. A second property compares the reader with comrak's own
checkbox count on messier Markdown (tabs, lazy lines, odd indentation, quotes).

Descriptions are generated from the blocks issue templates use: headings,
paragraphs, (nested) lists with every marker and box, blockquotes, fenced and
indented code, HTML comments; LF or CRLF. They stay inside what CommonMark
parsers agree on: blocks are separated by blank lines, nested items are
indented to their parent's content, and no line is a lazy continuation.
"""

from __future__ import annotations

import itertools
from typing import Any

import comrak
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from automation.checklist import parse

_TEXTS = ["call the customer", "Café 顧客", "send the `deck`", "*now* 42", "<!-- note --> done"]
_KEYED = [f"{text} <!-- task:k{index} -->" for index, text in enumerate(_TEXTS)]
_BOXES = ["[ ]", "[x]", "[X]", "[~]", "[\t]", "[ ]"]
# What follows a list marker, precomputed so an item costs hypothesis one draw:
# mostly a box and text (optionally red-dot and keyed), sometimes not a task.
ITEM_CONTENTS = st.sampled_from(
    [
        f"{box} {red}{text}"
        for box, red, text in itertools.product(_BOXES, ["", "🔴 "], _TEXTS + _KEYED)
    ]
    + [*_TEXTS, "[ ]", "[x]", "[y] other box", "[] empty box", "[x]glued", "[ ]\t"]
)
WORDS = st.sampled_from(["call", "Café", "`code`", "*now*", "42"])
MARKERS = st.sampled_from(["-", "*", "+", "1.", "1)", "2.", "10)"])


@st.composite
def list_block(draw: st.DrawFn, indent: int = 0, depth: int = 0) -> list[str]:
    """A list whose nested items sit exactly at their parent's content column."""
    marker = draw(MARKERS)
    loose = draw(st.booleans())
    lines: list[str] = []
    for _ in range(draw(st.integers(1, 4))):
        if lines and loose:
            lines.append("")
        lines.append(f"{' ' * indent}{marker} {draw(ITEM_CONTENTS)}")
        content_column = indent + len(marker) + 1
        if draw(st.integers(0, 5)) == 0:
            lines.append(f"{' ' * content_column}{draw(WORDS)} continued")
        if depth < 2 and draw(st.integers(0, 3)) == 0:
            lines.extend(draw(list_block(content_column, depth + 1)))
    return lines


@st.composite
def fenced_block(draw: st.DrawFn) -> list[str]:
    char = draw(st.sampled_from(["`", "~"]))
    fence = char * draw(st.integers(3, 5))
    inner = draw(list_block())
    other = ("~" if char == "`" else "`") * len(fence)
    shorter = char * (len(fence) - 1)
    # Lines that look like a closing fence but are not: hidden items follow them.
    decoys = [line for line in (other, shorter if len(shorter) >= 3 else "") if line]
    return [fence, *inner, *draw(st.lists(st.sampled_from(decoys), max_size=1)), *inner, fence]


@st.composite
def blockquote(draw: st.DrawFn) -> list[str]:
    prefix = draw(st.sampled_from(["> ", "> > ", ">"]))
    inner = draw(st.one_of(list_block(), st.just(["Quoted words."])))
    return [f"{prefix}{line}".rstrip() if line else prefix.rstrip() for line in inner]


@st.composite
def block(draw: st.DrawFn) -> list[str]:
    kind = draw(
        st.sampled_from(
            ["heading", "paragraph", "list", "list", "list", "quote", "fence", "code", "comment"]
        )
    )
    if kind == "heading":
        return [f"{'#' * draw(st.integers(1, 6))} {draw(WORDS)} plan"]
    if kind == "paragraph":
        return ["Some words about the plan.", *draw(st.lists(st.just("More words."), max_size=1))]
    if kind == "list":
        return draw(list_block())
    if kind == "quote":
        return draw(blockquote())
    if kind == "fence":
        return draw(fenced_block())
    if kind == "code":
        # Indented code only after a paragraph: after a list it would nest in an item.
        return ["Example:", "", *[f"    {line}" for line in draw(list_block())]]
    return ["<!--", *draw(list_block()), "-->"]


@st.composite
def descriptions(draw: st.DrawFn) -> str:
    blocks = draw(st.lists(block(), min_size=1, max_size=6))
    # A paragraph or comment after a list would be a lazy line or close it;
    # separate every block with a blank line, and lists from what follows
    # with a heading so an unclosed fence's last block cannot continue one.
    lines: list[str] = []
    for index, lines_of_block in enumerate(blocks):
        if index:
            lines.append("")
        lines.extend(lines_of_block)
    if draw(st.booleans()):
        lines.extend(["", "```", "- [ ] in an unclosed fence"])
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    return newline.join(lines) + draw(st.sampled_from(["", newline]))


def test_counts_equal_the_sandbox_task_completion_status(project: Any) -> None:
    # One issue takes every generated description in turn: a PUT answers with
    # the re-rendered issue, so each example costs one request.
    issue = project.issues.create({"title": "checklist property test"})

    @settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(description=descriptions())
    def counts_match(description: str) -> None:
        updated = project.issues.update(issue.iid, {"description": description})
        status = updated["task_completion_status"]
        checklist = parse(description)
        assert (checklist.count, checklist.completed_count) == (
            status["count"],
            status["completed_count"],
        ), description

    counts_match()


# Lines of messy Markdown: odd indentation, tabs, quotes, lazy lines, code,
# HTML, headings. Only boxes comrak and GitLab read alike: a space, x, X or ~
# followed by text (comrak alone would also tick a bare `[ ]`; reference §1).
_MESSY_LINES = [
    f"{prefix}{marker}{gap}{content}"
    for prefix in ("", " ", "  ", "    ", "\t", "> ", ">", " > ", "> \t")
    for marker in ("- ", "* ", "1. ", "2) ", "")
    for gap in ("", " ", "\t")
    for content in ("[ ] open <!-- task:a -->", "[x] 🔴 done", "[X] Done", "[~] n/a", "words")
] + ["", "", "# Day 30", "Day 60", "---", "===", "```", "~~~", "<div>", "<span>", "<!--", "-->"]


@settings(max_examples=400, deadline=None)
@given(lines=st.lists(st.sampled_from(_MESSY_LINES), max_size=20), crlf=st.booleans())
def test_counts_equal_comraks_own_checkboxes(lines: list[str], crlf: bool) -> None:
    description = ("\r\n" if crlf else "\n").join(lines)
    # comrak's strict matching renders a checkbox for exactly `[ ]`, `[x]`, `[X]`.
    html = comrak.render_markdown(description, extension_options=_EXTENSIONS)
    checklist = parse(description)
    assert checklist.count == html.count('<input type="checkbox"'), description
    assert checklist.completed_count == html.count('checked=""'), description
    source_lines = description.splitlines()
    for item in checklist.items:
        box = "[~]" if item.inapplicable else "[x]" if item.checked else "[ ]"
        assert box in source_lines[item.line - 1].replace("[X]", "[x]"), description


def _gitlab_extensions() -> comrak.ExtensionOptions:
    extensions = comrak.ExtensionOptions()
    extensions.tasklist = True
    extensions.table = True
    extensions.strikethrough = True
    extensions.autolink = True
    extensions.footnotes = True
    extensions.description_lists = True
    extensions.multiline_block_quotes = True
    extensions.math_dollars = True
    extensions.math_code = True
    extensions.alerts = True
    return extensions


_EXTENSIONS = _gitlab_extensions()
