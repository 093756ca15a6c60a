"""GitLab quick actions: find them in a text, then turn them into updates.

Extraction follows `Gitlab::QuickActions::Extractor#perform_regex` as of
GitLab 16-17 (lib/gitlab/quick_actions/extractor.rb with
Banzai::Filter::QuickActionFilter): the Markdown is parsed, and only
*top-level paragraphs* holding a line that starts with `/` are searched, so
commands inside lists, blockquotes (also a lazy `> quote` continuation line),
`>>>` multi-line quotes, fenced or indented code and HTML blocks never run.
In such a paragraph (plus one following empty line) a command is `/name` at
the very start of a line, optionally followed by one space and an argument to
the end of the line; a `` `...` `` code span (which may span lines) or an HTML
block inside the paragraph is skipped. A command's line and the blank lines
after it are removed; the whole text loses `\r` and trailing whitespace,
whether or not it held commands. Every GitLab command name is stripped, even
those the sandbox does not carry out (`/spend`, `/milestone`, ...); an unknown
`/xyz` stays text.

Interpretation follows `QuickActions::InterpretService`: the commands build
one dict of updates with GitLab's own keys (`add_label_ids`, `assignee_ids`,
`state_event`, ...), each command only where its condition holds (`/close`
needs a persisted open issue, so it does nothing on create; `/title` needs a
persisted issue; `/label` only applies labels that exist).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Protocol

from markdown_it import MarkdownIt

# Commands the sandbox carries out, with their aliases.
_ALIASES: dict[str, str] = {
    "assign": "assign",
    "unassign": "unassign",
    "label": "label",
    "labels": "label",
    "unlabel": "unlabel",
    "remove_label": "unlabel",
    "relabel": "relabel",
    "due": "due",
    "remove_due_date": "remove_due_date",
    "confidential": "confidential",
    "close": "close",
    "reopen": "reopen",
    "title": "title",
    "lock": "lock",
    "unlock": "unlock",
}
# Commands GitLab knows (and so strips) that the sandbox does not carry out.
_STRIPPED_ONLY = [
    "milestone",
    "remove_milestone",
    "estimate",
    "estimate_time",
    "remove_estimate",
    "remove_time_estimate",
    "spend",
    "spent",
    "spend_time",
    "remove_time_spent",
    "todo",
    "done",
    "subscribe",
    "unsubscribe",
    "award",
    "react",
    "copy_metadata",
    "duplicate",
    "move",
    "clone",
    "create_merge_request",
    "relate",
    "unrelate",
    "blocks",
    "blocked_by",
    "weight",
    "clear_weight",
    "epic",
    "remove_epic",
    "iteration",
    "remove_iteration",
    "health_status",
    "clear_health_status",
    "promote",
    "promote_to_incident",
    "zoom",
    "remove_zoom",
    "severity",
    "type",
    "page",
    "add_contacts",
    "remove_contacts",
    "timeline",
    "invite_email",
    "remove_email",
    "convert_to_ticket",
    "set_parent",
    "remove_parent",
    "add_child",
    "remove_child",
    "board_move",
    "merge",
    "draft",
    "ready",
    "approve",
    "unapprove",
    "rebase",
    "target_branch",
    "assign_reviewer",
    "request_review",
    "reviewer",
    "unassign_reviewer",
    "remove_reviewer",
    "submit_review",
    "reassign",
    "reassign_reviewer",
    "status",
]
_SUBSTITUTIONS = {"shrug": "¯\\＿(ツ)＿/¯", "tableflip": "(╯°□°)╯︵ ┻━┻"}

_NAMES = sorted({*_ALIASES, *_STRIPPED_ONLY}, key=len, reverse=True)


def _command_regex(names: list[str], substitutions: list[str]) -> re.Pattern[str]:
    skipped = r"(?P<inline_code>`.+?`)|(?P<html>^<[^>]+?>\n.+?\n</[^>]+?>$)"
    tail = r"(?: (?P<{arg}>[^\n]*))?(?:\s*\n|$)"
    command = r"^/(?P<cmd>" + "|".join(map(re.escape, names)) + ")" + tail.format(arg="arg")
    substitution = (
        r"^/(?P<sub>" + "|".join(map(re.escape, substitutions)) + ")" + tail.format(arg="sub_arg")
    )
    return re.compile(
        f"{skipped}|(?:{command})|(?:{substitution})",
        re.MULTILINE | re.DOTALL | re.IGNORECASE,
    )


_COMMANDS = _command_regex(_NAMES, sorted(_SUBSTITUTIONS))
_MAYBE_COMMAND = re.compile(r"^/[A-Za-z]", re.MULTILINE)
_QUOTE_FENCE = re.compile(r" {0,3}>{3,}[ \t]*")
_CODE_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_PARSER = MarkdownIt("commonmark").enable("table")
# Ruby's String#rstrip: ASCII whitespace and NUL only.
_RSTRIP = " \t\n\v\f\r\x00"


@dataclass(frozen=True)
class Command:
    name: str  # canonical name, lower case
    arg: str


def extract(text: str) -> tuple[str, list[Command]]:
    """The text without its command lines, and the commands in order."""
    text = text.replace("\r", "")
    if not _MAYBE_COMMAND.search(text):
        return text.rstrip(_RSTRIP), []
    lines = _lines(text)
    commands: list[Command] = []

    def take(match: re.Match[str]) -> str:
        name, substitution = match.group("cmd"), match.group("sub")
        if substitution is not None:
            arg = (match.group("sub_arg") or "").strip()
            _, newline, rest = match.group(0).partition("\n")
            replaced = f"{arg} {_SUBSTITUTIONS[substitution.lower()]}".strip()
            return replaced + newline + rest
        if name is None:
            return match.group(0)
        canonical = _ALIASES.get(name.lower(), name.lower())
        commands.append(Command(canonical, (match.group("arg") or "").strip()))
        return ""

    for start, end in _command_paragraphs(lines):
        if end + 1 < len(lines) and lines[end + 1] == "\n":
            end += 1
        paragraph = _COMMANDS.sub(take, "".join(lines[start : end + 1]))
        lines[start : end + 1] = [paragraph] + [""] * (end - start)
    return "".join(lines).rstrip(_RSTRIP), commands


def _lines(text: str) -> list[str]:
    """Ruby's String#lines: split after every newline, keeping it."""
    parts = text.split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    return [*lines, parts[-1]] if parts[-1] else lines


def _command_paragraphs(lines: list[str]) -> list[tuple[int, int]]:
    """(first, last) line of each top-level paragraph with a line starting
    with `/` (Banzai::Filter::QuickActionFilter)."""
    source = "".join(_without_multiline_quotes(lines))
    found: list[tuple[int, int]] = []
    for token in _PARSER.parse(source):
        if token.type != "paragraph_open" or token.level != 0 or token.map is None:
            continue
        first, stop = token.map
        if any(lines[i].startswith("/") for i in range(first, min(stop, len(lines)))):
            found.append((first, stop - 1))
    return found


def _without_multiline_quotes(lines: list[str]) -> list[str]:
    """GLFM's `>>>` ... `>>>` quote, blanked line for line: CommonMark has no
    such block, and nothing inside one is a command."""
    result: list[str] = []
    fence: str | None = None
    quoted = False
    for line in lines:
        bare = line.rstrip("\n")
        code = _CODE_FENCE.match(bare)
        if fence is not None:
            if code and code.group(1)[0] == fence[0] and len(code.group(1)) >= len(fence):
                fence = None
        elif _QUOTE_FENCE.fullmatch(bare):
            quoted = not quoted
            result.append("\n" if line.endswith("\n") else "")
            continue
        elif code and not quoted:
            fence = code.group(1)
        result.append(("\n" if line.endswith("\n") else "") if quoted else line)
    return result


# -- argument parsing ----------------------------------------------------------

_LABEL_REF = re.compile(r'~(?:"([^"]+)"|([A-Za-z0-9_\-?.&:]+))')
_BARE_LABEL = re.compile(r'"([^"]+)"|([^ ]+)')


def label_names(arg: str) -> list[str]:
    """`~a ~"b c" ~3` -> ["a", "b c", "3"]; without any `~`, bare names."""
    if "~" in arg:
        names = []
        for quoted, plain in _LABEL_REF.findall(arg):
            names.append(quoted or plain.rstrip(".?"))
        return names
    return [quoted or plain for quoted, plain in _BARE_LABEL.findall(arg)]


def usernames(arg: str) -> list[str]:
    """`@a @b, me and @c` -> ["a", "b", "me", "c"] (GitLab splits on spaces and
    commas and drops the word "and")."""
    seen: list[str] = []
    for word in re.split(r"[\s,]", arg):
        if word and word != "and" and word not in seen:
            seen.append(word)
    return [w if w == "me" else w.removeprefix("@") for w in seen]


_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_RELATIVE = re.compile(r"in (\d+) (day|week|month)s?")


def parse_due(arg: str, today: date) -> date | None:
    """The dates GitLab's Chronic parser understands that people actually use."""
    text = arg.strip().lower()
    fixed = {"today": 0, "tomorrow": 1, "yesterday": -1, "next week": 7}
    if text in fixed:
        return today + timedelta(days=fixed[text])
    match = _RELATIVE.fullmatch(text)
    if match:
        amount, unit = int(match.group(1)), match.group(2)
        return today + timedelta(days=amount * {"day": 1, "week": 7, "month": 30}[unit])
    if text in _WEEKDAYS:
        ahead = (_WEEKDAYS.index(text) - today.weekday()) % 7 or 7
        return today + timedelta(days=ahead)
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


# -- interpretation ------------------------------------------------------------


class Target(Protocol):
    """What the commands need to know about the issue and its project."""

    persisted: bool
    is_open: bool
    confidential: bool
    locked: bool
    has_due_date: bool
    has_labels: bool
    has_assignees: bool
    premium: bool
    actor_id: int
    actor_username: str
    today: date

    def project_has_labels(self) -> bool: ...

    def find_label(self, name: str) -> tuple[int, str] | None: ...

    def find_user(self, username: str) -> tuple[int, str] | None: ...


@dataclass
class Interpretation:
    updates: dict[str, Any] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)


def interpret(commands: list[Command], target: Target) -> Interpretation:
    """The updates and summary messages of `commands`, in order."""
    result = Interpretation()
    for command in commands:
        handler = _HANDLERS.get(command.name)
        if handler is not None:
            handler(command.arg, target, result)
    return result


def _labels(arg: str, target: Target) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for name in label_names(arg):
        label = target.find_label(name)
        if label is not None and label not in found:
            found.append(label)
    return found


def _refs(labels: list[tuple[int, str]]) -> str:
    return " ".join(f'~"{name}"' for _, name in labels)


def _plural(word: str, count: int) -> str:
    return word if count == 1 else f"{word}s"


def _sentence(words: list[str]) -> str:
    if len(words) <= 2:
        return " and ".join(words)
    return ", ".join(words[:-1]) + f", and {words[-1]}"


def _users(arg: str, target: Target) -> list[tuple[int, str]] | None:
    """The users named, or None when any is unknown (GitLab then fails the command)."""
    found: list[tuple[int, str]] = []
    for name in usernames(arg):
        user = target.find_user(target.actor_username if name == "me" else name)
        if user is None:
            return None
        if user[0] not in [u[0] for u in found]:
            found.append(user)
    return found


def _add_ids(result: Interpretation, key: str, ids: list[int]) -> None:
    current: list[int] = result.updates.setdefault(key, [])
    current.extend(i for i in ids if i not in current)


def _assign(arg: str, target: Target, result: Interpretation) -> None:
    users = _users(arg, target)
    if not users:
        result.messages.append("Failed to assign a user because no user was found.")
        return
    if target.premium:
        _add_ids(result, "add_assignee_ids", [u[0] for u in users])
    else:
        users = users[:1]
        result.updates["assignee_ids"] = [users[0][0]]
    result.messages.append(f"Assigned {_sentence(['@' + u[1] for u in users])}.")


def _unassign(arg: str, target: Target, result: Interpretation) -> None:
    if not (target.persisted and target.has_assignees):
        return
    users = _users(arg, target) if target.premium and arg else None
    if users:
        _add_ids(result, "remove_assignee_ids", [u[0] for u in users])
        result.messages.append(f"Removed assignee {_sentence(['@' + u[1] for u in users])}.")
    else:
        result.updates["assignee_ids"] = []
        result.messages.append("Removed all assignees.")


def _label(arg: str, target: Target, result: Interpretation) -> None:
    if not target.project_has_labels():
        return
    labels = _labels(arg, target)
    if labels:
        _add_ids(result, "add_label_ids", [label[0] for label in labels])
        result.messages.append(f"Added {_refs(labels)} {_plural('label', len(labels))}.")


def _unlabel(arg: str, target: Target, result: Interpretation) -> None:
    if not (target.persisted and target.has_labels):
        return
    if not arg:
        result.updates["label_ids"] = []
        result.messages.append("Removed all labels.")
        return
    labels = _labels(arg, target)
    if labels:
        _add_ids(result, "remove_label_ids", [label[0] for label in labels])
        result.messages.append(f"Removed {_refs(labels)} {_plural('label', len(labels))}.")


def _relabel(arg: str, target: Target, result: Interpretation) -> None:
    if not (target.persisted and target.has_labels):
        return
    labels = _labels(arg, target)
    if labels:
        result.updates["label_ids"] = [label[0] for label in labels]
        result.messages.append(
            f"Replaced all labels with {_refs(labels)} {_plural('label', len(labels))}."
        )


def _due(arg: str, target: Target, result: Interpretation) -> None:
    due = parse_due(arg, target.today)
    if due is None:
        result.messages.append("Failed to set due date because the date format is invalid.")
        return
    result.updates["due_date"] = due.isoformat()
    result.messages.append(f"Set the due date to {due.strftime('%b')} {due.day}, {due.year}.")


def _remove_due_date(arg: str, target: Target, result: Interpretation) -> None:
    if target.persisted and target.has_due_date:
        result.updates["due_date"] = None
        result.messages.append("Removed the due date.")


def _confidential(arg: str, target: Target, result: Interpretation) -> None:
    if not target.confidential:
        result.updates["confidential"] = True
        result.messages.append("Made this issue confidential.")


def _close(arg: str, target: Target, result: Interpretation) -> None:
    if target.persisted and target.is_open:
        result.updates["state_event"] = "close"
        result.messages.append("Closed this issue.")


def _reopen(arg: str, target: Target, result: Interpretation) -> None:
    if target.persisted and not target.is_open:
        result.updates["state_event"] = "reopen"
        result.messages.append("Reopened this issue.")


def _title(arg: str, target: Target, result: Interpretation) -> None:
    if target.persisted and arg:
        result.updates["title"] = arg
        result.messages.append(f'Changed the title to "{arg}".')


def _lock(arg: str, target: Target, result: Interpretation) -> None:
    if target.persisted and not target.locked:
        result.updates["discussion_locked"] = True
        result.messages.append("Locked the discussion.")


def _unlock(arg: str, target: Target, result: Interpretation) -> None:
    if target.persisted and target.locked:
        result.updates["discussion_locked"] = False
        result.messages.append("Unlocked the discussion.")


_HANDLERS: dict[str, Callable[[str, Target, Interpretation], None]] = {
    "assign": _assign,
    "unassign": _unassign,
    "label": _label,
    "unlabel": _unlabel,
    "relabel": _relabel,
    "due": _due,
    "remove_due_date": _remove_due_date,
    "confidential": _confidential,
    "close": _close,
    "reopen": _reopen,
    "title": _title,
    "lock": _lock,
    "unlock": _unlock,
}


def new_updates(new: dict[str, Any], old: dict[str, Any]) -> dict[str, Any]:
    """The updates of the new text that the old text did not already produce
    (`InterpretService#execute_with_original_text`: a PUT re-sending a
    description runs only its new commands)."""
    return {key: value for key, value in new.items() if key not in old or old[key] != value}
