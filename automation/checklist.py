"""Read the task list in an issue description exactly as GitLab counts it.

GitLab renders a description as CommonMark and counts the list items whose
first paragraph starts with a checkbox (`app/models/concerns/taskable.rb`, see
/work/shared/reference/gitlab-api.md §1). This module does the same with a
single-pass, line-based block scanner, so `Checklist.count` and
`Checklist.completed_count` equal the issue's `task_completion_status`:

- list markers `-`, `*`, `+`, `1.`, `1)`; boxes `[ ]` (any single whitespace
  character inside), `[x]`, `[X]`; a box must be followed by whitespace and
  text on the same line (`- [ ]` alone is not a task);
- `[~]` marks an *inapplicable* item (GitLab 15.3+): it is reported but left
  out of both counts;
- items inside fenced code (```` ``` ```` / `~~~`; a fence closes only with
  the same character, at least as long; an unclosed fence runs to the end of
  its container), indented code, and HTML blocks such as multi-line
  `<!-- ... -->` comments are not tasks;
- items inside blockquotes (also nested) and nested list items each count.

It deliberately does not use markdown-it-py: the test sandbox uses that
library for GitLab's own count, and a property test compares the two.

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
- **Completion.** A section is complete when all its applicable required
  items are checked or, when it has none, all its applicable items. The whole
  checklist uses the same rule over all its items: when the description has
  red-dot items, only those must be done ("complete all red dot tasks").
  Without applicable items a section or checklist is complete, progress 1.0.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from automation.errors import InputError

REQUIRED_MARK: Final = "\U0001f534"
_REQUIRED_PREFIXES: Final = (REQUIRED_MARK, ":red_circle:")

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
# `[c]` then whitespace then text; `c` is one whitespace char, x, X or ~.
_BOX = re.compile(r"\[(\s|[xX~])\]\s+(\S.*)$")
_KEY = re.compile(r"<!--\s*task:([A-Za-z0-9._-]+)\s*-->")
_ATX = re.compile(r"(#{1,6})(?:[ \t]+|$)")
_ATX_CLOSING = re.compile(r"(?:^|[ \t]+)#+[ \t]*$")
_SETEXT = re.compile(r"(=+|-+)[ \t]*$")
_THEMATIC = re.compile(r"(?:(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,})$")
_LIST_MARKER = re.compile(r"([-+*]|(\d{1,9})[.)])(?=[ \t]|$)")
_FENCE_OPEN = re.compile(r"(`{3,}|~{3,})(.*)$")
_FENCE_CLOSE = re.compile(r"(`{3,}|~{3,})[ \t]*$")
# `- [`, `1. [` after spaces: a list item whose content starts like a box.
_PLAIN_TASK_ITEM = re.compile(
    r"( *)([-+*]|(\d{1,9})[.)])( {1,4})(?=\[)(?:\[(\s|[xX~])\]\s+(\S.*))?"
)
# The usual list item line for `_scan_plain`: spaces, marker, 1-4 spaces and
# a box with text, or content whose first character starts no other block.
_PLAIN_ITEM = re.compile(
    r"( *)([-+*]|(\d{1,9})[.)])( {1,4})(?:\[(\s|[xX~])\]\s+(\S.*)|[^\s>#`~<*+_=\d-].*)$"
)
_ITEM_START: Final = frozenset("-+*0123456789")
_PLAIN_SPECIAL: Final = frozenset("#`~_=<>\t")
# Only a line starting with one of these can open a block other than a paragraph.
_MAYBE_SPECIAL: Final = frozenset("#`~*+_=<>0123456789-")

# CommonMark 0.31 HTML block start conditions 1-7 with their end conditions;
# None ends the block at a blank line. Type 7 cannot interrupt a paragraph.
_BLOCK_TAGS = (
    "address|article|aside|base|basefont|blockquote|body|caption|center|col|colgroup|dd|"
    "details|dialog|dir|div|dl|dt|fieldset|figcaption|figure|footer|form|frame|frameset|"
    "h1|h2|h3|h4|h5|h6|head|header|hr|html|iframe|legend|li|link|main|menu|menuitem|nav|"
    "noframes|ol|optgroup|option|p|param|search|section|summary|table|tbody|td|tfoot|th|"
    "thead|title|tr|track|ul"
)
_ATTRIBUTE = (
    r"(?:\s+[A-Za-z_:][A-Za-z0-9_.:-]*"
    r"(?:\s*=\s*(?:[^\s\"'=<>`]+|'[^']*'|\"[^\"]*\"))?)"
)
_HTML_BLOCKS: Final[tuple[tuple[re.Pattern[str], re.Pattern[str] | None], ...]] = (
    (
        re.compile(r"<(?:script|pre|style|textarea)(?=\s|>|$)", re.IGNORECASE),
        re.compile(r"</(?:script|pre|style|textarea)>", re.IGNORECASE),
    ),
    (re.compile(r"<!--"), re.compile(r"-->")),
    (re.compile(r"<\?"), re.compile(r"\?>")),
    (re.compile(r"<![A-Za-z]"), re.compile(r">")),
    (re.compile(r"<!\[CDATA\["), re.compile(r"\]\]>")),
    (re.compile(rf"</?(?:{_BLOCK_TAGS})(?=\s|/?>|$)", re.IGNORECASE), None),
)
_NOT_HTML: Final = re.compile("")  # sentinel: the line starts no HTML block of types 1-6
_HTML_TYPE_7 = re.compile(
    rf"(?:<[A-Za-z][A-Za-z0-9-]*{_ATTRIBUTE}*\s*/?>|</[A-Za-z][A-Za-z0-9-]*\s*>)\s*$"
)

# What the innermost open container currently holds.
_NONE, _PARA, _FENCE, _CODE, _HTML = range(5)


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


# --- the scanner -------------------------------------------------------------


class _Container:
    """An open blockquote, or list item whose content starts `width` columns in."""

    __slots__ = ("has_child", "is_quote", "width")

    def __init__(self, is_quote: bool, width: int, has_child: bool = False) -> None:
        self.is_quote = is_quote
        self.width = width
        self.has_child = has_child


def _expand_tabs(rest: str, col: int) -> str:
    """Expand tabs in the leading whitespace of `rest` (which starts at column
    `col`) to spaces: CommonMark block structure treats a tab as advancing to
    the next multiple of 4 columns, and a container may consume part of one."""
    out: list[str] = []
    for index, char in enumerate(rest):
        if char == " ":
            out.append(" ")
            col += 1
        elif char == "\t":
            width = 4 - col % 4
            out.append(" " * width)
            col += width
        else:
            return "".join(out) + rest[index:]
    return "".join(out)


class _Scanner:
    """CommonMark's block-structure algorithm (the spec's appendix, as in
    commonmark.js), reduced to what decides which list items are tasks:
    containers (quotes, list items), paragraphs, code and HTML blocks.

    Speed matters (thousands of descriptions per run), so the per-line path
    avoids regexes and calls where a string test decides."""

    def __init__(self) -> None:
        self.stack: list[_Container] = []
        self.leaf = _NONE
        self.fence_char = ""
        self.fence_len = 0
        self.html_end: re.Pattern[str] | None = None
        self.para_lines: list[str] = []
        self.para_line = 0
        # (box character, text after the box) of the open paragraph when it is
        # the first block of a list item and starts with a box.
        self.box: tuple[str, str] | None = None
        # Headings seen so far, (title, level); items before any are under ("", 0).
        self.headings: list[tuple[str, int]] = [("", 0)]
        # Each task as (box character, text, continuation lines, line, heading index);
        # TaskItems are built at the end in one tight loop.
        self.found: list[tuple[str, str, list[str] | None, int, int]] = []

    def finish(self) -> Checklist:
        self._close_leaf()
        return _build(self.found, self.headings)

    def feed(self, line: str, number: int) -> None:
        if self.leaf <= _PARA and "\t" not in line:
            plain = _PLAIN_TASK_ITEM.match(line)
            if plain is not None and self._plain_task_item(line, plain, number):
                return
        tabs = "\t" in line
        rest, col, matched = self._match_containers(line, tabs)
        all_matched = matched == len(self.stack)
        leaf = self.leaf
        if leaf != _NONE and leaf != _PARA and all_matched:
            if leaf == _CODE:
                if tabs:
                    rest = _expand_tabs(rest, col)
                stripped = rest.lstrip(" ")
                if not stripped or len(rest) - len(stripped) >= 4:
                    return
                self.leaf = leaf = _NONE
            else:
                self._continue_raw_block(rest, col, tabs)
                return
        tip_para = leaf == _PARA
        container_para = tip_para and all_matched
        opened = False
        while True:
            if tabs:
                rest = _expand_tabs(rest, col)
            stripped = rest.lstrip(" ")
            if not stripped:
                break
            indent = len(rest) - len(stripped)
            if indent >= 4:
                if tip_para:
                    break
                self._open_leaf(matched, _CODE)
                return
            first = stripped[0]
            if first not in _MAYBE_SPECIAL:
                break
            if first == ">":
                matched = self._open_container(matched, True, 0)
                col += indent + 1
                rest = stripped[1:]
                if tabs:
                    rest = _expand_tabs(rest, col)
                if rest[:1] == " ":
                    rest = rest[1:]
                    col += 1
                tip_para = container_para = False
                opened = True
                continue
            if first in "-+*0123456789":
                # A `-` or `*` line may be a setext underline or a thematic break first.
                if first in "-*" and self._rare_block(
                    stripped, first, matched, tip_para, container_para
                ):
                    return
                item = _list_item(stripped, col + indent, tabs, container_para)
                if item is None:
                    break
                width, rest = item
                matched = self._open_container(matched, False, indent + width)
                col += indent + width
                tip_para = container_para = False
                opened = True
                continue
            if self._rare_block(stripped, first, matched, tip_para, container_para):
                return
            break
        self._text(rest, matched, number, lazy=tip_para and not opened)

    def _plain_task_item(self, line: str, item: re.Match[str], number: int) -> bool:
        """The common line `  - [ ] text` inside list items only, without the
        general machinery; False (nothing done) when the line needs it."""
        leading, marker, ordinal, spaces, mark, text = item.groups()
        stack = self.stack
        indent = len(leading)
        matched = 0
        for container in stack:
            if container.is_quote:
                return False
            if indent < container.width:
                break
            indent -= container.width
            matched += 1
        if indent >= 4:
            return False  # indented code or paragraph continuation text
        if self.leaf == _PARA and matched == len(stack) and ordinal and int(ordinal) != 1:
            return False  # cannot interrupt the paragraph
        if self.box is not None or self.leaf != _NONE:
            self._close_leaf()
        del stack[matched:]
        if stack:
            stack[-1].has_child = True
        stack.append(_Container(False, indent + len(marker) + len(spaces), True))
        self.leaf = _PARA
        self.para_lines = [line[item.end(4) :]]
        self.para_line = number
        self.box = None if mark is None else (mark, text)
        return True

    def _rare_block(
        self, stripped: str, first: str, matched: int, tip_para: bool, container_para: bool
    ) -> bool:
        """Start a heading, fence, HTML block or thematic break; False if none starts here."""
        if first == "#":
            return self._atx_heading(stripped, matched)
        if first == "`" or first == "~":
            return self._fence(stripped, matched)
        if first == "<":
            return self._html_block(stripped, matched, tip_para)
        if (first == "=" or first == "-") and container_para and _SETEXT.match(stripped):
            self._setext_heading(2 if first == "-" else 1)
            return True
        if first in "*-_" and not stripped.strip("*-_ \t") and _THEMATIC.match(stripped):
            self._open_leaf(matched, _NONE)
            return True
        return False

    def _match_containers(self, line: str, tabs: bool) -> tuple[str, int, int]:
        """Consume the prefixes of the open containers this line continues."""
        rest, col, matched = line, 0, 0
        for container in self.stack:
            if tabs:
                rest = _expand_tabs(rest, col)
            stripped = rest.lstrip(" ")
            indent = len(rest) - len(stripped)
            if container.is_quote:
                if indent > 3 or stripped[:1] != ">":
                    break
                col += indent + 1
                rest = stripped[1:]
                if tabs:
                    rest = _expand_tabs(rest, col)
                if rest[:1] == " ":
                    rest = rest[1:]
                    col += 1
            elif not stripped:
                # A list item can begin with at most one blank line.
                if not container.has_child:
                    break
                rest = ""
            elif indent >= container.width:
                rest = rest[container.width :]
                col += container.width
            else:
                break
            matched += 1
        return rest, col, matched

    def _continue_raw_block(self, rest: str, col: int, tabs: bool) -> None:
        """A line inside fenced code or an HTML block: only its end matters."""
        if self.leaf == _FENCE:
            if tabs:
                rest = _expand_tabs(rest, col)
            stripped = rest.lstrip(" ")
            if len(rest) - len(stripped) <= 3 and stripped[:1] == self.fence_char:
                match = _FENCE_CLOSE.match(stripped)
                if match and len(match.group(1)) >= self.fence_len:
                    self.leaf = _NONE
            return
        if self.html_end is None:
            if not rest.strip(" \t"):
                self.leaf = _NONE
        elif self.html_end.search(rest):
            self.leaf = _NONE

    def _close_leaf(self) -> None:
        box = self.box
        if box is not None:
            lines = self.para_lines
            more = lines[1:] if len(lines) > 1 else None
            self.found.append((box[0], box[1], more, self.para_line, len(self.headings) - 1))
            self.box = None
        self.leaf = _NONE

    def _add_block(self, matched: int) -> bool:
        """Close what a new block ends; True when it is the first block of a list item."""
        stack = self.stack
        if self.leaf != _NONE or matched < len(stack):
            self._close_leaf()
            del stack[matched:]
        if not stack:
            return False
        parent = stack[-1]
        if parent.has_child or parent.is_quote:
            return False
        parent.has_child = True
        return True

    def _open_container(self, matched: int, is_quote: bool, width: int) -> int:
        self._add_block(matched)
        self.stack.append(_Container(is_quote, width))
        return len(self.stack)

    def _open_leaf(self, matched: int, leaf: int) -> None:
        self._add_block(matched)
        self.leaf = leaf

    def _atx_heading(self, stripped: str, matched: int) -> bool:
        match = _ATX.match(stripped)
        if match is None:
            return False
        self._open_leaf(matched, _NONE)
        title = _ATX_CLOSING.sub("", stripped[match.end() :]).strip()
        self.headings.append((title, len(match.group(1))))
        return True

    def _setext_heading(self, level: int) -> None:
        title = " ".join(line.strip() for line in self.para_lines)
        # The paragraph is now a heading, so it no longer makes its item a task.
        self.box = None
        self.leaf = _NONE
        self.headings.append((title, level))

    def _fence(self, stripped: str, matched: int) -> bool:
        match = _FENCE_OPEN.match(stripped)
        if match is None:
            return False
        fence = match.group(1)
        if fence[0] == "`" and "`" in match.group(2):
            return False
        self._open_leaf(matched, _FENCE)
        self.fence_char = fence[0]
        self.fence_len = len(fence)
        return True

    def _html_block(self, stripped: str, matched: int, tip_para: bool) -> bool:
        end = next((end for start, end in _HTML_BLOCKS if start.match(stripped)), _NOT_HTML)
        if end is _NOT_HTML:
            if tip_para or not _HTML_TYPE_7.match(stripped):
                return False
            end = None
        self._open_leaf(matched, _HTML)
        self.html_end = end
        if end is not None and end.search(stripped):
            self.leaf = _NONE
        return True

    def _text(self, rest: str, matched: int, number: int, lazy: bool) -> None:
        content = rest.lstrip(" \t")
        if not content:
            if self.leaf != _NONE or matched < len(self.stack):
                self._close_leaf()
                del self.stack[matched:]
            return
        if lazy or (self.leaf == _PARA and matched == len(self.stack)):
            self.para_lines.append(content)
            return
        first_in_item = self._add_block(matched)
        self.leaf = _PARA
        self.para_lines = [content]
        self.para_line = number
        if first_in_item and content[0] == "[":
            box = _BOX.match(content)
            if box is not None:
                self.box = (box.group(1), box.group(2))


def _list_item(stripped: str, col: int, tabs: bool, container_para: bool) -> tuple[int, str] | None:
    """(columns from marker to content, content) of a list item start, or None."""
    match = _LIST_MARKER.match(stripped)
    if match is None:
        return None
    marker_len = match.end()
    after = stripped[marker_len:]
    if tabs:
        after = _expand_tabs(after, col + marker_len)
    content = after.lstrip(" ")
    if container_para:
        # Only a non-empty item, and an ordered one starting at 1, may
        # interrupt a paragraph (CommonMark 0.31 §5.2).
        number = match.group(2)
        if not content or (number is not None and int(number) != 1):
            return None
    spaces = len(after) - len(content)
    if not content:
        return marker_len + 1, ""
    if spaces > 4:
        # Content starting 5+ columns in is indented code one column in.
        return marker_len + 1, after[1:]
    return marker_len + spaces, content


def _take_key(text: str) -> tuple[str | None, str]:
    """The first `<!-- task:key -->` in an item's text, and the text without any."""
    text = text.rstrip()
    start = text.find("<!--")
    found = _KEY.match(text, start)
    if found is not None and found.end() == len(text) and text.find("<!--", start + 4) < 0:
        return found.group(1), text[:start]  # the usual shape: one key comment at the end
    key = None
    while (found := _KEY.search(text)) is not None:
        key = key or found.group(1)
        head, tail = text[: found.start()].rstrip(), text[found.end() :].lstrip()
        text = f"{head} {tail}" if head and tail else head or tail
    return key, text


def _build(
    found: list[tuple[str, str, list[str] | None, int, int]],
    headings: list[tuple[str, int]],
) -> Checklist:
    """TaskItems grouped into sections, from the scanner's raw findings."""
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


_Found = list[tuple[str, str, list[str] | None, int, int]]


def _scan_plain(lines: list[str]) -> tuple[_Found, list[tuple[str, int]]] | None:
    """The same findings as `_Scanner` for the usual description, ~2x faster;
    None as soon as a line needs the general scanner.

    "Usual" means every line is blank, an ATX heading, a one-line HTML comment
    or paragraph text at column 0, or a list item indented with spaces whose
    content does not start another block. Then the only containers are list
    items, every item has content, and no code block can start unless a line
    is indented 4+ columns past its item's content after a blank line (bail out).
    """
    found: _Found = []
    headings: list[tuple[str, int]] = [("", 0)]
    widths: list[int] = []  # content column offsets of the open list items
    para_open = False
    box: tuple[str, str] | None = None
    more: list[str] | None = None
    box_line = 0
    for number, line in enumerate(lines, start=1):
        first = line[:1]
        if first == " " or first in _ITEM_START:
            item = _PLAIN_ITEM.match(line)
            if item is None:
                if line.strip(" "):
                    return None
                para_open = False  # blank line
                continue
            leading, marker, ordinal, spaces, mark, text = item.groups()
            indent = len(leading)
            matched = 0
            for width in widths:
                if indent < width:
                    break
                indent -= width
                matched += 1
            if indent >= 4 or (
                para_open and matched == len(widths) and ordinal and int(ordinal) != 1
            ):
                # Paragraph continuation text, lazy or not (CommonMark: an
                # ordered item not starting at 1 cannot interrupt a paragraph);
                # without an open paragraph, indented code: not plain.
                if not para_open:
                    return None
                if box is not None:
                    more = _add_line(more, line)
                continue
        elif not first:
            para_open = False
            continue
        elif first in _PLAIN_SPECIAL:
            heading = _ATX.match(line) if first == "#" else None
            if heading is None and (not line.startswith("<!--") or "-->" not in line):
                return None
            if box is not None:
                found.append((box[0], box[1], more, box_line, len(headings) - 1))
                box = more = None
            if heading is not None:
                title = _ATX_CLOSING.sub("", line[heading.end() :]).strip()
                headings.append((title, len(heading.group(1))))
            para_open = False
            widths.clear()
            continue
        else:
            item = None
            if para_open:  # continuation of the open paragraph, lazy or not
                if box is not None:
                    more = _add_line(more, line)
                continue
            para_open = True
            widths.clear()
        if box is not None:
            found.append((box[0], box[1], more, box_line, len(headings) - 1))
            box = more = None
        if item is None:
            continue
        del widths[matched:]
        widths.append(indent + len(marker) + len(spaces))
        para_open = True
        if mark is not None:
            box = (mark, text)
            box_line = number
    if box is not None:
        found.append((box[0], box[1], more, box_line, len(headings) - 1))
    return found, headings


def _add_line(more: list[str] | None, line: str) -> list[str]:
    if more is None:
        return [line.strip()]
    more.append(line.strip())
    return more


def parse(description: str | None) -> Checklist:
    """Every task item of an issue description, grouped by heading."""
    if not description or "]" not in description:
        return Checklist(())
    lines = _LINE_BREAK.split(description) if "\r" in description else description.split("\n")
    plain = _scan_plain(lines)
    if plain is not None:
        return _build(*plain)
    scanner = _Scanner()
    for number, line in enumerate(lines, start=1):
        scanner.feed(line, number)
    return scanner.finish()


# --- reports -----------------------------------------------------------------


def progress_bar(fraction: float, width: int = 8) -> str:
    """`▓▓▓▓░░░░ 50%`. Rounds down, so 100% and a full bar mean really done."""
    if width < 1:
        raise InputError(f"progress bar width must be at least 1, got {width}")
    fraction = min(max(fraction, 0.0), 1.0) if fraction == fraction else 0.0  # NaN -> 0
    # The epsilon keeps 29/100 at 29% (0.29 * 100 is 28.999... in binary floats).
    filled = int(fraction * width + 1e-9)
    return f"{'▓' * filled}{'░' * (width - filled)} {int(fraction * 100 + 1e-9)}%"


def to_json(checklist: Checklist) -> dict[str, object]:
    """The stable shape printed by `salesbot checklist --json`."""
    return {
        "count": checklist.count,
        "completed_count": checklist.completed_count,
        "progress": round(checklist.progress, 4),
        "sections": [
            {
                "title": section.title,
                "level": section.level,
                "count": section.count,
                "completed_count": section.completed_count,
                "required_open": [item.text for item in section.open_required],
                "items": [
                    {
                        "text": item.text,
                        "checked": item.checked,
                        "inapplicable": item.inapplicable,
                        "required": item.required,
                        "key": item.key,
                        "line": item.line,
                    }
                    for item in section.items
                ],
            }
            for section in checklist.sections
        ],
    }


_NO_HEADING = "(no heading)"


def render_text(checklist: Checklist) -> str:
    """One line per section (bar, percent, done/total), a total line, then the
    open required items with their line numbers."""
    if not checklist.sections:
        return "No checklist items."
    names = [section.title or _NO_HEADING for section in checklist.sections]
    name_width = max(len(name) for name in [*names, "Total"])
    lines = [
        _report_line(name, section.progress, section.completed_count, section.count, name_width)
        for name, section in zip(names, checklist.sections, strict=True)
    ]
    lines.append(
        _report_line(
            "Total", checklist.progress, checklist.completed_count, checklist.count, name_width
        )
    )
    open_required = checklist.open_required
    if open_required:
        lines.append(f"Open required items ({len(open_required)}):")
        lines.extend(
            f"  - {item.text} [{item.section or _NO_HEADING}, line {item.line}]"
            for item in open_required
        )
    return "\n".join(lines)


def _report_line(name: str, progress: float, done: int, count: int, width: int) -> str:
    # Pad the bar to its widest form ("▓▓▓▓▓▓▓▓ 100%") so the counts line up.
    bar = progress_bar(progress).ljust(len(progress_bar(1.0)))
    return f"{name.ljust(width)}  {bar}  {done}/{count}"
