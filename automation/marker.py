"""The hidden marker that makes an issue the bot's.

Every issue salesbot opens carries exactly one line

    <!-- salesbot:marker workflow=handover key=acct-0042@2026-12-01 version=1 -->

at the end of its description. GitLab renders HTML comments as nothing, so
people never see it, but a run can find every bot issue and its business key
from the list responses alone. A marker only counts when the issue's author
is the bot's own user (see `automation.index`), so a person cannot forge one;
untrusted text is neutralised so it can never contain `<!--` either.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PREFIX = "salesbot:marker"
# Keys and workflow names are restricted so the marker can be parsed back
# unambiguously and never contains `-->` or whitespace.
_TOKEN = r"[A-Za-z0-9][A-Za-z0-9._:@/+-]*"
_MARKER_RE = re.compile(
    rf"<!-- {re.escape(PREFIX)} workflow=(?P<workflow>{_TOKEN}) key=(?P<key>{_TOKEN})"
    rf" version=(?P<version>\d+) -->"
)
_TOKEN_RE = re.compile(rf"^{_TOKEN}$")


@dataclass(frozen=True, order=True)
class Marker:
    """Which workflow an issue belongs to, its business key and template version."""

    workflow: str
    key: str
    version: int = 1

    def __post_init__(self) -> None:
        for field, value in (("workflow", self.workflow), ("key", self.key)):
            if not _TOKEN_RE.match(value) or "--" in value:
                raise ValueError(f"marker {field} {value!r} has characters a marker cannot hold")

    def render(self) -> str:
        return f"<!-- {PREFIX} workflow={self.workflow} key={self.key} version={self.version} -->"


def find(description: str | None) -> Marker | None:
    """The marker in a description, or None. With several, the last one wins
    (the bot appends its marker as the description's final line)."""
    if not description:
        return None
    found = None
    for match in _MARKER_RE.finditer(description):
        found = match
    if found is None:
        return None
    return Marker(found["workflow"], found["key"], int(found["version"]))


def slug(text: str) -> str:
    """A marker-safe form of a free-text key part (account ids, opportunity ids)."""
    cleaned = re.sub(r"[^A-Za-z0-9._@+-]+", "-", text.strip()).strip("-.")
    cleaned = re.sub(r"-{2,}", "-", cleaned)
    return cleaned or "none"
