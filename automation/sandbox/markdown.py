"""GitLab's task-list count, from the CommonMark token stream.

GitLab renders a description as Markdown and counts the `<li>` items whose
first paragraph starts with a checkbox (`app/models/concerns/taskable.rb`,
`Taskable.get_tasks`, GitLab 16+). This module does the same with
markdown-it-py's CommonMark parser, so fenced and indented code, HTML blocks,
blockquotes, nesting and link reference definitions are handled by a real
parser. It is deliberately independent of `automation/checklist.py`, which
reads comrak's rendering (GitLab's parser): a property test compares the two,
and two independent parsers agreeing is what makes that test worth having.

Rules (reference §1): boxes `[ ]` (one ASCII whitespace character inside),
`[x]`, `[X]`, each followed by ASCII whitespace and text on the same line (a
no-break space is not whitespace in CommonMark); a box that a reference
definition turns into a link is no box; `[~]` is an inapplicable item
(GitLab 15.3+) and is left out of both counts and of the positions used to
match ticked items between two versions.

Known differences from GitLab, all outside what the product's tests rely on
(the reader's own tests pin GitLab's behaviour there): comrak departs from the
CommonMark spec for an HTML block of type 7 right after a lazy paragraph line
and for a whitespace-only second blank line at the start of an item, opens at
most about 100 containers on one line, and GitLab adds GLFM blocks (`>>>` quotes,
tables, footnotes); markdown-it follows the spec and knows none of those.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.token import Token

# CommonMark's whitespace is ASCII: a no-break or em space in or after the box
# makes no task (comrak, so GitLab, agrees; issue 11).
_BOX = re.compile(r"\[([ \t\x0b\x0c]|[xX~])\][ \t\x0b\x0c]+[^ \t\x0b\x0c\n]")
_BOX_PREFIX = re.compile(r"\A[ \t\x0b\x0c]*\[(?:[ \t\x0b\x0c]|[xX~])\][ \t\x0b\x0c]*")
_PARSER = MarkdownIt("commonmark")


@dataclass(frozen=True)
class Task:
    """One applicable checklist item."""

    text: str  # first line of the item's visible text, as GitLab's system notes show it
    source: str  # the item's raw text after the box: identifies it across edits
    checked: bool


@dataclass(frozen=True)
class TaskSummary:
    tasks: tuple[Task, ...]

    @property
    def count(self) -> int:
        return len(self.tasks)

    @property
    def completed_count(self) -> int:
        return sum(1 for task in self.tasks if task.checked)

    @property
    def status(self) -> str:
        """GitLab's `task_status`, e.g. "3 of 5 checklist items completed"."""
        noun = "checklist item" if self.count == 1 else "checklist items"
        return f"{self.completed_count} of {self.count} {noun} completed"


EMPTY = TaskSummary(())


@lru_cache(maxsize=16384)
def summarize(description: str | None) -> TaskSummary:
    """The applicable tasks of a description in document order (cached: the
    same description is rendered on every list page)."""
    if not description or "[" not in description:
        return EMPTY
    tokens = _PARSER.parse(description)
    tasks: list[Task] = []
    for index, token in enumerate(tokens):
        if token.type != "list_item_open":
            continue
        task = _task_at(tokens, index)
        if task is not None:
            tasks.append(task)
    return TaskSummary(tuple(tasks))


def _task_at(tokens: list[Token], index: int) -> Task | None:
    """The task of the list item opening at `index`, if its first block is a
    paragraph that starts with an applicable box."""
    if index + 2 >= len(tokens) or tokens[index + 1].type != "paragraph_open":
        return None
    inline = tokens[index + 2]
    children = inline.children or []
    if not children or children[0].type != "text" or not children[0].content.startswith("["):
        # `[x]` made a link by a reference definition `[x]: /url` is no box.
        return None
    first_line = inline.content.split("\n", 1)[0]
    match = _BOX.match(first_line)
    if match is None or match.group(1) == "~":
        return None
    return Task(
        text=_visible_text(inline),
        source=inline.content[match.end() - 1 :],
        checked=match.group(1) in "xX",
    )


def _visible_text(inline: Token) -> str:
    """The item's first line as rendered text (HTML comments and tags dropped),
    without the box."""
    parts: list[str] = []
    for child in inline.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif child.type == "image":
            parts.append(child.content)
    text = _BOX_PREFIX.sub("", "".join(parts), count=1)
    return text.split("\n", 1)[0].strip()


def toggled(old: str | None, new: str | None) -> list[Task]:
    """Tasks whose box changed between two descriptions, matched by position
    and unchanged text, as `Taskable.get_updated_tasks` does."""
    before = summarize(old).tasks
    after = summarize(new).tasks
    return [
        task
        for position, task in enumerate(after)
        if position < len(before)
        and before[position].source == task.source
        and before[position].checked != task.checked
    ]
