"""Read the task list in an issue description exactly as GitLab counts it.

GitLab renders a description with comrak (CommonMark + GFM, through the
`gitlab-glfm-markdown` gem) and counts the rendered list items that carry a
checkbox (`app/models/concerns/taskable.rb`, see
/work/shared/reference/gitlab-api.md §1). This module renders with the same
parser, comrak's Python binding (PyPI `comrak`, tracking comrak 0.54), and
reads the rendered task items, so block structure (code, HTML blocks, quotes,
laziness, link reference definitions, GLFM's `>>>` quotes, tables, footnotes)
is decided exactly as GitLab decides it, in linear time: comrak is a
fuzzed Rust parser, about 0.15 CPU s per MB of ordinary checklist (README,
"Checklist reader"). `Checklist.count` and `Checklist.completed_count` equal
the issue's `task_completion_status`:

- list markers `-`, `*`, `+`, `1.`, `1)`; boxes `[ ]` (one ASCII whitespace
  character inside: space, tab, VT, FF), `[x]`, `[X]`, followed by ASCII
  whitespace and text on the same line. A no-break or em space is not
  whitespace in CommonMark, so `- [ ]\u00a0a` and `- [\u00a0] a` are no tasks.
  comrak 0.54 alone would also tick `- [ ]` with no text and leave `[\t]`
  out; GitLab's rule (reference §1, and the comparison in issue 11) is the
  one above, so the reader applies it to each item comrak reports;
- `[~]` marks an *inapplicable* item (GitLab 15.3+, the glfm gem's
  `inapplicable_tasks` option): it is reported but left out of both counts.
  comrak's binding has no such option: with `relaxed_tasklist_matching` (as
  GitLab sets it) every `[c]` renders as a ticked box, and the reader reads
  `c` back from the source at the item's `data-sourcepos`;
- where comrak departs from the CommonMark spec, the reader follows comrak
  because GitLab does: an HTML block of type 7 right after a lazy paragraph
  line, and an item whose second line is a whitespace-only blank line.

Conventions salesbot adds on top of GitLab's rules:

- **Sections.** Each item belongs to the nearest Markdown heading above it
  (ATX `#`..`######` or a setext heading), so a 30/60/90 plan reads per phase.
  Items before any heading are in the section titled "" (level 0). Only
  sections holding at least one item are kept; two headings with the same
  title stay two sections (`Checklist.section` returns the first).
- **Required items.** An item is required when its text starts with 🔴
  (U+1F534, optionally followed by U+FE0F) or GitLab's `:red_circle:`
  shortcode, the "red dot" tasks of GitLab onboarding issues:
  `- [ ] 🔴 Meet your manager`. The marker is removed from `TaskItem.text`
  and kept as `TaskItem.required`.
- **Keys.** `<!-- task:some.key -->` on an item (key characters
  `[A-Za-z0-9._-]`) gives it a stable hidden key; GitLab renders the comment
  as nothing and it is removed from `TaskItem.text`. Such an inline comment
  is part of the item's paragraph, not a comment block: the item still counts.
- **Text.** `TaskItem.text` is the item's Markdown source after the box: its
  first paragraph's lines joined by spaces, without quote markers.
- **Completion.** A section is complete when all its applicable required
  items are checked or, when it has none, all its applicable items. The whole
  checklist uses the same rule over all its items: when the description has
  red-dot items, only those must be done ("complete all red dot tasks").
  Without applicable items a section or checklist is complete, progress 1.0.

Showing a checklist (progress bar, text report, JSON) is `checklist_render`;
its functions are importable from here too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

import comrak

from automation.checklist_render import progress_bar, render_text, to_json
from automation.hidden import TASK_KEY_RE

REQUIRED_MARK: Final = "\U0001f534"
_REQUIRED_PREFIXES: Final = (REQUIRED_MARK, ":red_circle:")

_KEY = TASK_KEY_RE
_ATX = re.compile(r"(#{1,6})(?:[ \t]+|$)")
# A box GitLab counts: one ASCII whitespace character, x, X or ~ inside, then
# ASCII whitespace and text on the same line (CommonMark's whitespace is ASCII).
_BOX_BYTES = re.compile(rb"\[([ \t\x0b\x0cxX~])\][ \t\x0b\x0c]+([^ \t\x0b\x0c].*)", re.DOTALL)
_MAYBE_BOX = re.compile(r"\[[ \t\x0b\x0cxX~]\]")
# comrak's own markup for a task item and a heading, with their source positions.
_RENDERED = re.compile(
    r'<li data-sourcepos="(\d+):(\d+)-(\d+):\d+"><input type="checkbox"[^>]*/>'
    r'|<h([1-6]) data-sourcepos="(\d+):(\d+)-(\d+):\d+">'
)
_LOOSE_PARAGRAPH = re.compile(r' \n<p data-sourcepos="\d+:\d+-(\d+):\d+">')
# Where a tight item's first paragraph ends in the rendered HTML.
_PARAGRAPH_END = re.compile(
    r"</li>|\n<(?:ul|ol|blockquote|pre|h[1-6]|hr|table|div|dl|section|p)[ >]"
)
# Container markers before a continuation line's text.
_PREFIX = re.compile(r"[ \t>]*")
_CHECKBOX: Final = '<input type="checkbox"'


def _options() -> tuple[comrak.ExtensionOptions, comrak.ParseOptions, comrak.RenderOptions]:
    """comrak configured as GitLab configures it for task lists
    (`lib/banzai/filter/markdown_engines/glfm_markdown.rb`): the GLFM
    extensions that create or hide blocks, relaxed task matching, and source
    positions to map each item back to its line. Raw HTML is not passed
    through (`unsafe_` off), so no description can forge a task item in the
    rendered HTML; GitLab's sanitiser drops such markup too."""
    extension = comrak.ExtensionOptions()
    extension.tasklist = True
    extension.table = True
    extension.strikethrough = True
    extension.autolink = True
    extension.footnotes = True
    extension.description_lists = True
    extension.multiline_block_quotes = True
    extension.math_dollars = True
    extension.math_code = True
    extension.alerts = True
    parse_options = comrak.ParseOptions()
    parse_options.relaxed_tasklist_matching = True
    render = comrak.RenderOptions()
    render.sourcepos = True
    render.unsafe_ = False
    return extension, parse_options, render


_EXTENSION, _PARSE, _RENDER = _options()
_EXTENSION_WITHOUT_TABLES = _options()[0]
_EXTENSION_WITHOUT_TABLES.table = False

# GFM pads every table row to the header's width, so a wide header over many
# short lines costs columns x rows cells: 24 KB took comrak 22 s (1,000 columns,
# 10,000 rows). Past this many cells the reader renders without tables. Only
# a task whose own line is a table header (`- [ ] a | b` over `--|--`) reads
# differently then, and no real description has such a table.
_TABLE_CELLS_LIMIT: Final = 20_000
# A line of only pipes, dashes, colons and blanks: maybe a delimiter row.
# Possessive, so a long line that is not one costs one pass.
_DELIMITER_ROW = re.compile(r"^[ \t|:-]++$", re.MULTILINE)


@dataclass(frozen=True)
class TaskItem:
    """One checkbox item. `text` has no key comment and no 🔴 marker."""

    text: str
    checked: bool
    inapplicable: bool
    required: bool
    key: str | None
    section: str
    line: int  # 1-based line of the box in the description


@dataclass(frozen=True)
class Section:
    """The items under one heading (title "" and level 0 before any heading)."""

    title: str
    level: int
    items: tuple[TaskItem, ...]

    @property
    def count(self) -> int:
        return _count(self.items)

    @property
    def completed_count(self) -> int:
        return _completed_count(self.items)

    @property
    def required_items(self) -> tuple[TaskItem, ...]:
        return tuple(item for item in self.items if item.required)

    @property
    def open_required(self) -> tuple[TaskItem, ...]:
        return _open_required(self.items)

    @property
    def is_complete(self) -> bool:
        return _is_complete(self.items)

    @property
    def progress(self) -> float:
        return _progress(self.items)


@dataclass(frozen=True)
class Checklist:
    """Every task item of a description, grouped by heading."""

    sections: tuple[Section, ...]

    @property
    def items(self) -> tuple[TaskItem, ...]:
        return tuple(item for section in self.sections for item in section.items)

    @property
    def count(self) -> int:
        """Applicable items: GitLab's `task_completion_status.count`."""
        return sum(section.count for section in self.sections)

    @property
    def completed_count(self) -> int:
        """Checked applicable items: GitLab's `task_completion_status.completed_count`."""
        return sum(section.completed_count for section in self.sections)

    @property
    def open_required(self) -> tuple[TaskItem, ...]:
        return _open_required(self.items)

    @property
    def is_complete(self) -> bool:
        return _is_complete(self.items)

    @property
    def progress(self) -> float:
        return _progress(self.items)

    def section(self, title: str) -> Section | None:
        """The first section with this heading title, or None."""
        return next((s for s in self.sections if s.title == title), None)

    def item(self, key: str) -> TaskItem | None:
        """The first item carrying `<!-- task:key -->`, or None."""
        return next((i for s in self.sections for i in s.items if i.key == key), None)


def _count(items: tuple[TaskItem, ...]) -> int:
    return sum(1 for item in items if not item.inapplicable)


def _completed_count(items: tuple[TaskItem, ...]) -> int:
    return sum(1 for item in items if item.checked and not item.inapplicable)


def _open_required(items: tuple[TaskItem, ...]) -> tuple[TaskItem, ...]:
    return tuple(i for i in items if i.required and not i.checked and not i.inapplicable)


def _is_complete(items: tuple[TaskItem, ...]) -> bool:
    applicable = [item for item in items if not item.inapplicable]
    required = [item for item in applicable if item.required]
    return all(item.checked for item in (required or applicable))


def _progress(items: tuple[TaskItem, ...]) -> float:
    count = _count(items)
    return _completed_count(items) / count if count else 1.0


# --- the reader --------------------------------------------------------------

# Each task as (box character, text, continuation lines, line, heading index).
_Found = list[tuple[str, str, list[str] | None, int, int]]


def render_html(description: str) -> str:
    """The description rendered by comrak as GitLab configures it for task
    lists, with `data-sourcepos` on every block (without tables when their
    padding would cost more than `_TABLE_CELLS_LIMIT` cells)."""
    cheap = _table_cells(description) <= _TABLE_CELLS_LIMIT
    extension = _EXTENSION if cheap else _EXTENSION_WITHOUT_TABLES
    return comrak.render_markdown(
        description, extension_options=extension, parse_options=_PARSE, render_options=_RENDER
    )


def _table_cells(text: str) -> int:
    """At least the number of cells comrak's tables would hold: for each
    delimiter row, its columns times the lines up to the next blank line.
    Linear: the lines under one delimiter row are counted once."""
    if "|" not in text or "-" not in text:
        return 0
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    cells = 0
    counted_to = 0
    for row in _DELIMITER_ROW.finditer(text):
        line = row.group()
        if row.start() < counted_to or "|" not in line or "-" not in line:
            continue
        end = text.find("\n\n", row.end())
        end = len(text) if end < 0 else end
        cells += (line.strip(" \t|").count("|") + 1) * (text.count("\n", row.end(), end) + 1)
        counted_to = end
    return cells


def parse(description: str | None) -> Checklist:
    """Every task item of an issue description, grouped by heading."""
    if not description or _MAYBE_BOX.search(description) is None:
        return Checklist(())
    try:
        source = description.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate from a JSON escape
        description = description.encode("utf-8", "replace").decode("utf-8")
        source = description.encode("utf-8")
    html = render_html(description)
    if _CHECKBOX not in html:
        return Checklist(())
    # comrak counts lines as CommonMark does (LF, CR LF or CR end one) and
    # columns in bytes: so does bytes.splitlines.
    lines = source.splitlines()
    found: _Found = []
    # Headings as (level, first line, column, last line); titles are read
    # only for the headings that get items: a description of 160,000 headings
    # costs no more than one of 160,000 lines.
    headings: list[tuple[int, int, int, int]] = [(0, 0, 0, 0)]
    heading = 0
    box_at = _BOX_BYTES.match
    for match in _RENDERED.finditer(html):
        first, column, last, level, h_first, h_column, h_last = match.groups()
        if level is not None:
            headings.append((int(level), int(h_first), int(h_column), int(h_last)))
            heading += 1
            continue
        number = int(first)
        if first == last:
            # The usual one-line item: no continuation lines to look for.
            line = lines[number - 1]
            at = line.find(b"[", int(column) - 1)
            box = box_at(line, at) if at >= 0 else None
            if box is not None:
                text = box.group(2).decode("utf-8", "replace")
                found.append((chr(box.group(1)[0]), text, None, number, heading))
            continue
        task = _task(lines, number, int(column), int(last))
        if task is not None:
            mark, text, number = task
            more = _continuation(html, match.end(), lines, number, int(last))
            found.append((mark, text, more, number, heading))
    titled = {
        heading: (_heading_title(lines, *headings[heading][1:]), headings[heading][0])
        for heading in {entry[4] for entry in found}
        if heading
    }
    titled[0] = ("", 0)
    return _build(found, titled)


def _task(lines: list[bytes], start: int, column: int, end: int) -> tuple[str, str, int] | None:
    """(box character, text after the box, line) of the item comrak rendered
    with a checkbox at `start:column`, or None when GitLab counts no task:
    the box is read back from the source (comrak's HTML does not say which
    character it held) and must be followed by whitespace and text."""
    for number in range(start, min(end, len(lines)) + 1):
        line = lines[number - 1]
        at = line.find(b"[", column - 1 if number == start else 0)
        if at >= 0:
            box = _BOX_BYTES.match(line, at)
            if box is None:
                return None
            return chr(box.group(1)[0]), box.group(2).decode("utf-8", "replace"), number
    return None


def _continuation(
    html: str, after_box: int, lines: list[bytes], line: int, end: int
) -> list[str] | None:
    """The source lines after the box's line in the item's first paragraph:
    as many as the rendered paragraph has line breaks."""
    loose = _LOOSE_PARAGRAPH.match(html, after_box)
    if loose is not None:
        last = int(loose.group(1))
    else:
        stop = _PARAGRAPH_END.search(html, after_box)
        last = line + html.count("\n", after_box, stop.start() if stop else len(html))
    last = min(last, end, len(lines))
    if last <= line:
        return None
    more = []
    for number in range(line + 1, last + 1):
        text = lines[number - 1].decode("utf-8", "replace")
        more.append(text[_PREFIX.match(text).end() :])  # type: ignore[union-attr]
    return more


def _heading_title(lines: list[bytes], start: int, column: int, end: int) -> str:
    """A heading's title as written: an ATX heading's text without its `#`
    marks, or a setext heading's lines joined by spaces."""
    first = lines[start - 1][column - 1 :].decode("utf-8", "replace")
    atx = _ATX.match(first)
    if atx is not None:
        return _without_closing_sequence(first[atx.end() :]).strip()
    parts = [first.strip()]
    for number in range(start + 1, end):
        text = lines[number - 1].decode("utf-8", "replace")
        parts.append(text[_PREFIX.match(text).end() :].strip())  # type: ignore[union-attr]
    return " ".join(part for part in parts if part)


def _without_closing_sequence(title: str) -> str:
    """An ATX heading's text without its optional closing `#`s, which must
    follow a space or tab (string methods: a regex anchored at `$` retries
    from every blank of a long run, quadratic on a hostile heading)."""
    title = title.rstrip(" \t")
    bare = title.rstrip("#")
    if bare == title:
        return title
    if not bare or bare[-1] in " \t":
        return bare
    return title


def _take_key(text: str) -> tuple[str | None, str]:
    """The first `<!-- task:key -->` in an item's text, and the text without
    any (in one pass: an item with thousands of comments stays linear)."""
    text = text.rstrip()
    start = text.find("<!--")
    found = _KEY.match(text, start)
    if found is not None and found.end() == len(text) and text.find("<!--", start + 4) < 0:
        return found.group(1), text[:start]  # the usual shape: one key comment at the end
    pieces = _KEY.split(text)
    if len(pieces) == 1:
        return None, text
    # split() alternates text and captured keys: text, key, text, key, ..., text.
    texts = pieces[0::2]
    kept = [texts[0].rstrip(), *(part.strip() for part in texts[1:-1]), texts[-1].lstrip()]
    return pieces[1], " ".join(part for part in kept if part)


def _build(
    found: list[tuple[str, str, list[str] | None, int, int]],
    headings: dict[int, tuple[str, int]],
) -> Checklist:
    """TaskItems grouped into sections, from the reader's raw findings."""
    sections: list[Section] = []
    items: list[TaskItem] = []
    current = 0
    title = ""
    new = object.__new__
    for mark, first_line, more, line, heading in found:
        if heading != current:
            if items:
                sections.append(Section(*headings[current], tuple(items)))
                items = []
            current = heading
            title = headings[heading][0]
        text = first_line
        if more is not None:
            text = " ".join([text, *[part.strip() for part in more]])
        key = None
        if "<!--" in text:
            key, text = _take_key(text)
        text = text.strip()
        required = text.startswith(_REQUIRED_PREFIXES)
        if required:
            text = text.removeprefix(":red_circle:").removeprefix(REQUIRED_MARK)
            text = text.removeprefix("\ufe0f").strip()
        # Filling __dict__ directly skips the frozen dataclass __init__ (one
        # object.__setattr__ per field), which otherwise dominates parsing.
        item = new(TaskItem)
        fields = item.__dict__
        fields["text"] = text
        fields["checked"] = mark == "x" or mark == "X"
        fields["inapplicable"] = mark == "~"
        fields["required"] = required
        fields["key"] = key
        fields["section"] = title
        fields["line"] = line
        items.append(item)
    if items:
        sections.append(Section(*headings[current], tuple(items)))
    return Checklist(tuple(sections))


__all__ = [
    "REQUIRED_MARK",
    "Checklist",
    "Section",
    "TaskItem",
    "parse",
    "progress_bar",
    "render_html",
    "render_text",
    "to_json",
]
