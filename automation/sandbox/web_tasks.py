"""Ticking a checklist box from the issue page, as GitLab's UI does.

GitLab's task-list JS (app/assets/javascripts/task_list.js, GitLab 16+) sends
the item's source line number and the line's text (`update_task` with
`line_number` and `line_source`); the server toggles the box on that line and
answers 409 when the line no longer holds that text, so a stale page never
overwrites someone else's edit. The boxes that can be ticked are the
applicable tasks `automation.sandbox.markdown` counts (a `[~]` box cannot).
"""

from __future__ import annotations

import re
from html import escape

from automation.sandbox.markdown import _PARSER, _task_at

_BOX = re.compile(r"\[([ \txX])\]")
# comrak's task item: the list item's sourcepos, then its disabled checkbox
_RENDERED_BOX = re.compile(
    r'<li data-sourcepos="(\d+):\d+-[^"]*">'
    r'<input type="checkbox"( checked="")? disabled="" />'
)


class StaleLine(Exception):
    """The line changed since the page was rendered (GitLab answers 409)."""


def task_lines(description: str | None) -> frozenset[int]:
    """The 1-based source lines on which an applicable task's box sits."""
    if not description or "[" not in description:
        return frozenset()
    tokens = _PARSER.parse(description)
    lines = set()
    for index, token in enumerate(tokens):
        if token.type == "list_item_open" and token.map and _task_at(tokens, index):
            lines.add(token.map[0] + 1)
    return frozenset(lines)


def enable_boxes(html: str, description: str | None) -> str:
    """comrak's rendering with each applicable task's box made clickable,
    carrying its line number and the line's text."""
    lines = task_lines(description)
    source = (description or "").split("\n")

    def box(match: re.Match[str]) -> str:
        line = int(match.group(1))
        if line not in lines or line > len(source):
            return match.group(0)
        checked = " checked" if match.group(2) else ""
        text = escape(source[line - 1].rstrip("\r"), quote=True)
        return (
            f'<li data-sourcepos="{match.group(1)}:1-{line}:1" class="task-list-item">'
            f'<input type="checkbox" class="task" data-line="{line}" '
            f'data-source="{text}"{checked} />'
        )

    return _RENDERED_BOX.sub(box, html)


def toggle(description: str, line: int, source: str, checked: bool) -> str:
    """`description` with the box on `line` (1-based) ticked or unticked.
    Raises StaleLine when that line is no task any more or its text differs."""
    lines = description.split("\n")
    if line not in task_lines(description) or line > len(lines):
        raise StaleLine(line)
    current = lines[line - 1]
    if current.rstrip("\r") != source.rstrip("\r"):
        raise StaleLine(line)
    match = _BOX.search(current)
    if match is None:
        raise StaleLine(line)
    mark = "x" if checked else " "
    if (match.group(1) in "xX") == checked:
        return description
    lines[line - 1] = current[: match.start(1)] + mark + current[match.end(1) :]
    return "\n".join(lines)
