"""The one escaping step for untrusted text on its way into an issue.

Values from a CSV row, a CLI argument or the roster go through `neutralise`
before they reach an issue's title, description or a note. GitLab executes
quick actions found at the start of a line in a description or note, also
when the API writes it, and notifies every live `@mention`
(/work/shared/reference/gitlab-api.md §2). After `neutralise` a value:

- is one line: every line break (`\\r`, `\\n`, U+2028, U+2029, VT, FF, NEL)
  and control character collapses with its surrounding whitespace into one
  space, so it can never start a line, hence never a quick action;
- starts with `\\/` instead of `/`, in case a template places it at the start
  of a line (CommonMark renders `\\/` as `/`; GitLab's quick action extractor
  only matches `/` as the line's first character);
- mentions nobody: every `@` is followed by U+2060 WORD JOINER, which GitLab's
  user reference pattern (`@[A-Za-z0-9_.]...`) does not match, so `@all` or
  `@mallory` render as text;
- holds no HTML: `<` and `>` become `&lt;` and `&gt;`, so it cannot open an
  HTML comment and forge a bot marker (`automation.marker`), nor inject tags;
- creates no Markdown structure: `[` `]` (links, task boxes), backticks, `*`,
  `_`, `~`, `&` (entities such as `&#64;` would decode to a live `@`) and a
  backslash are backslash-escaped; a leading `#`, `-`, `+`, `=` or `1.` cannot
  open a heading, list or setext underline; `|` is escaped in table cells and
  `#` everywhere in headings (a trailing `#` would close an ATX heading).

Title context is different: GitLab renders issue titles with
`Banzai::Pipeline::SingleLinePipeline` (HtmlEntityFilter, no MarkdownFilter),
so Markdown escapes and entities would show literally there. It still
collapses line breaks and defuses mentions (the pipeline runs the user
reference filter), and truncates to GitLab's 255-character title limit.

`neutralise` is idempotent: text that went through it once comes out of it
again unchanged (backslash escapes, `&lt;`/`&gt;` and a defused `@` are kept
as they are). Planners can therefore neutralise a fragment that already holds
neutralised text, such as a checklist item read back from an issue, without
doubling backslashes.

Intended mentions come only from `mention`, which validates a username and
returns it as `Trusted`; the template environment emits `Trusted` text raw
and neutralises everything else.
"""

from __future__ import annotations

import re
from typing import Final, Literal

from automation.errors import TemplateError
from automation.fields import USERNAME_RE

Context = Literal["text", "table", "heading", "title"]
CONTEXTS: Final[tuple[Context, ...]] = ("text", "table", "heading", "title")

WORD_JOINER: Final = "\u2060"
TITLE_MAX: Final = 255  # GitLab: `validates :title, length: { maximum: 255 }` on issues

# Line breaks CommonMark or a reader might honour, every other C0/C1 control
# and the whitespace around them. Plain whitespace runs collapse too.
_BREAKS = re.compile(r"[\s\x00-\x1f\x7f-\x9f\u2028\u2029]+")

# One token at a time, first match wins:
# - an existing backslash escape of ASCII punctuation (kept, for idempotence),
#   except `\<`, `\>` and `\@`, whose character still needs its own defusing;
# - the entities this module writes;
# - an `@`, with the word joiner it may already carry;
# - a single character that may need escaping.
_TOKEN = re.compile(
    r"(?P<pair>\\[!-/:;=?\[-`{-~])"
    r"|(?P<entity>&(?:lt|gt);)"
    r"|(?P<at>@\u2060?)"
    r"|(?P<char>[\\\[\]`*_~&<>|#])"
)
_ALWAYS: Final = {
    "\\": "\\\\",
    "[": "\\[",
    "]": "\\]",
    "`": "\\`",
    "*": "\\*",
    "_": "\\_",
    "~": "\\~",
    "&": "\\&",
    "<": "&lt;",
    ">": "&gt;",
}
_BY_CONTEXT: Final[dict[Context, dict[str, str]]] = {
    "text": {},
    "table": {"|": "\\|"},
    "heading": {"#": "\\#"},
    "title": {},
}
# Block starts a value could make at the beginning of a line: a quick action,
# an ATX heading, a bullet list item or setext underline, an ordered list item.
_LEADING_CHAR: Final = frozenset("/#-+=")
_LEADING_ORDERED = re.compile(r"(\d{1,9})([.)])")

_USERNAME = USERNAME_RE
# `@all` notifies every member on self-managed GitLab (reference §2); these
# are never a person, whatever a roster says.
_GROUP_MENTIONS: Final = frozenset({"all", "here", "channel", "everyone"})


class Trusted(str):
    """Text a template may emit raw: only `mention` makes one.

    Every str operation (concatenation, `%`, `format`, filters) returns a
    plain `str`, so mixing trusted and untrusted text loses the trust and the
    result is neutralised like any other value.
    """

    __slots__ = ()


def neutralise(value: object, context: Context = "text") -> str:
    """`value` as one line of inert text for `context` (see the module doc).

    None becomes the empty string; templates choose their own placeholder.
    """
    if context not in CONTEXTS:
        raise ValueError(f"unknown context {context!r}; expected one of {', '.join(CONTEXTS)}")
    text = _one_line("" if value is None else str(value))
    if context == "title":
        return _defuse_mentions(text)[:TITLE_MAX].rstrip()
    return _escape_leading(_escape_markdown(text, context))


def safe_line(value: object) -> str:
    """`neutralise(value, "text")`: a fragment for a bot-composed note or line."""
    return neutralise(value, "text")


def mention(username: object) -> Trusted:
    """`@username` as trusted text, for a template's intended mentions.

    Raises TemplateError unless `username` is a plausible GitLab username (one
    leading `@` is allowed) and not a group mention such as `all`.
    """
    name = username.removeprefix("@") if isinstance(username, str) else None
    if name is None or not _USERNAME.fullmatch(name) or len(name) > TITLE_MAX:
        raise TemplateError(f"mention: {_shorten(username)} is not a GitLab username")
    if name.lower() in _GROUP_MENTIONS:
        raise TemplateError(f"mention: @{name} would notify a whole group, not one person")
    return Trusted(f"@{name}")


def _one_line(text: str) -> str:
    return _BREAKS.sub(" ", text).strip()


def _defuse_mentions(text: str) -> str:
    return re.sub(f"@(?!{WORD_JOINER})", f"@{WORD_JOINER}", text)


def _escape_markdown(text: str, context: Context) -> str:
    extra = _BY_CONTEXT[context]

    def replace(match: re.Match[str]) -> str:
        if match["pair"] or match["entity"]:
            return match[0]
        if match["at"]:
            return f"@{WORD_JOINER}"
        char = match["char"]
        return _ALWAYS.get(char) or extra.get(char, char)

    return _TOKEN.sub(replace, text)


def _escape_leading(text: str) -> str:
    if text[:1] in _LEADING_CHAR:
        return "\\" + text
    ordered = _LEADING_ORDERED.match(text)
    if ordered:
        return f"{ordered[1]}\\{ordered[2]}{text[ordered.end() :]}"
    return text


def _shorten(value: object) -> str:
    shown = repr(value)
    return shown if len(shown) <= 60 else f"{shown[:57]}..."
