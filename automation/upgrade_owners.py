"""Owners for issues opened before their template named them (`automation.upgrade`).

A template names a section's owner with `{{ owned_by(var) }}` on the line
after the heading, and an item's with `{{ owned_by(var) }}` on the item's
line (`automation.hidden`: `<!-- owner:USER -->`). An issue opened from an
earlier version has no such lines, so the sweep nudges its assignees, and on
GitLab Free a handover's outgoing seller (not assigned) is never nudged.

The upgrade does not have the data the issue was rendered from, but the issue
still shows the people: the template's other lines mention them (the handover
says "moves from {{ mention(from_user) }} to {{ to_user }}"). `OwnerSpec`
turns each such source line into a pattern that reads the username back from
the issue's line; `name_owners` inserts the owner comment lines where the
template has them and the issue has none. A person who rewrote the line the
name is read from leaves that owner unnamed (the sweep keeps nudging the
assignees for it, as before), never a wrong one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final

from automation.hidden import ITEM_OWNER_RE, SECTION_OWNER_RE, TASK_KEY_RE, section_owner

_EXPR: Final = re.compile(r"\{\{-?\s*(.*?)\s*-?\}\}")
_OWNED_BY: Final = re.compile(r"^owned_by\((\w+)\)$")
_HEADING: Final = re.compile(r"^ {0,3}#{1,6}[ \t]+(.*?)[ \t#]*$")
# a username as rendered: neutralised text may escape `_` or `.` with a backslash
_NAME: Final = r"(?P<user>[A-Za-z0-9_.\\][A-Za-z0-9_.\\-]*)"


@dataclass(frozen=True)
class OwnerSpec:
    """Where a template names owners, and how to read each one from an issue."""

    sections: Mapping[str, str] = field(default_factory=dict)  # heading title -> variable
    items: Mapping[str, str] = field(default_factory=dict)  # task key -> variable
    finders: Mapping[str, tuple[re.Pattern[str], ...]] = field(default_factory=dict)


def owner_spec(source: str) -> OwnerSpec:
    """The owners of a template's Jinja body `source`."""
    lines = source.split("\n")
    sections: dict[str, str] = {}
    items: dict[str, str] = {}
    for number, line in enumerate(lines):
        owner = _owner_expr(line)
        if owner is None:
            continue
        keys = TASK_KEY_RE.findall(line)
        if keys:
            items[keys[0]] = owner
            continue
        if line.strip() != f"{{{{ owned_by({owner}) }}}}" or number == 0:
            continue
        heading = _HEADING.match(lines[number - 1])
        if heading and "{{" not in heading[1]:
            sections[heading[1]] = owner
    wanted = set(sections.values()) | set(items.values())
    finders = {
        var: tuple(p for line in lines if (p := _finder(line, var)) is not None) for var in wanted
    }
    return OwnerSpec(MappingProxyType(sections), MappingProxyType(items), MappingProxyType(finders))


def _owner_expr(line: str) -> str | None:
    for expr in _EXPR.findall(line):
        found = _OWNED_BY.match(expr)
        if found:
            return found[1]
    return None


def _finder(line: str, var: str) -> re.Pattern[str] | None:
    """A pattern reading `var` back from the rendered `line`, when the line shows
    it (`mention(var)` or `{{ var }}`) and nothing else makes its shape vary."""
    if "{%" in line or "owned_by(" in line or TASK_KEY_RE.search(line):
        return None
    parts: list[str] = []
    found = False
    position = 0
    for match in _EXPR.finditer(line):
        parts.append(re.escape(line[position : match.start()]))
        expr = match[1]
        mentioned = re.match(rf"^mention\({var}\)(\s+if\s+{var}\s+else\b.*)?$", expr)
        if (mentioned or expr == var) and not found:
            parts.append(("@" if mentioned else "") + _NAME)
            found = True
        else:
            parts.append(".*?")
        position = match.end()
    parts.append(re.escape(line[position:]))
    return re.compile("^" + "".join(parts) + "$") if found else None


def _read(lines: list[str], spec: OwnerSpec, var: str) -> str | None:
    for finder in spec.finders.get(var, ()):
        for line in lines:
            match = finder.match(line.rstrip("\r"))
            if match:
                return match["user"].replace("\\", "")
    return None


def name_owners(description: str, spec: OwnerSpec) -> tuple[str, tuple[str, ...]]:
    """`description` with the owner comments its template has and it lacks, and
    what got one (section titles, item keys). Only comments are added: every
    line a person wrote stays as it is."""
    if not spec.sections and not spec.items:
        return description, ()
    lines = description.split("\n")  # a CR LF line keeps its CR
    named: list[str] = []
    people: dict[str, str | None] = {}

    def owner(var: str) -> str | None:
        if var not in people:
            people[var] = _read(lines, spec, var)
        return people[var]

    for number, line in enumerate(lines):
        keys = TASK_KEY_RE.findall(line)
        if not keys or keys[0] not in spec.items or ITEM_OWNER_RE.search(line):
            continue
        user = owner(spec.items[keys[0]])
        if user is None:
            continue
        comment = re.search(rf"<!--\s*task:{re.escape(keys[0])}\s*-->", line)
        assert comment is not None
        at = comment.start()
        lines[number] = f"{line[:at]}{section_owner(user)} {line[at:]}"
        named.append(keys[0])
    inserts: list[tuple[int, str]] = []
    for number, line in enumerate(lines):
        heading = _HEADING.match(line.rstrip("\r"))
        if heading is None or heading[1] not in spec.sections:
            continue
        following = lines[number + 1] if number + 1 < len(lines) else ""
        if SECTION_OWNER_RE.match(following.rstrip("\r")):
            continue
        user = owner(spec.sections[heading[1]])
        if user is not None:
            ending = "\r" if line.endswith("\r") else ""
            inserts.append((number + 1, section_owner(user) + ending))
            named.append(heading[1])
    for at, text in reversed(inserts):
        lines.insert(at, text)
    return "\n".join(lines), tuple(named)
