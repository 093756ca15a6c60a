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
import unicodedata
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
    """A marker-safe form of a free-text label part. Lossy ("Acme, Inc." and
    "Acme Inc" both give `Acme-Inc`) and may start with `@` or `+`: business
    keys use `encode`; this is kept for status labels and for the keys markers
    written before keys were encoded (`legacy_key`)."""
    cleaned = re.sub(r"[^A-Za-z0-9._@+-]+", "-", text.strip()).strip("-.")
    cleaned = re.sub(r"-{2,}", "-", cleaned)
    return cleaned or "none"


# -- business keys -------------------------------------------------------------
#
# A key part is a person's free text (an account name, a CRM id). `encode`
# maps it into the marker's token alphabet without losing anything, so two
# different names never share a key and every key parses back:
#
# - the text is NFC-normalised first ("é" typed as e + combining accent is the
#   same account as the precomposed "é"), otherwise kept exactly (case, spaces
#   inside, punctuation);
# - ASCII letters, digits, `.` and `-` stand for themselves, a space is `_`,
#   every other UTF-8 byte is `+` and two upper-case hex digits ("Acme, Inc."
#   is `Acme+2C_Inc.`, the id "ACC-1" stays `ACC-1`). A `-` right after a `-`
#   is escaped too, so `--` (which would end the HTML comment early in some
#   renderers) never occurs. `@`, `:` and `/` are never emitted, so they stay
#   free as separators;
# - an encoded part carries a `KIND:` prefix (`id:` for a CRM id, `name:` for
#   an account name), so it starts with a letter, and the `:` tells a new key
#   from a legacy slug key (a slug never holds `:`).
_PLAIN = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-")
_ENCODED_RE = re.compile(r"(?:[A-Za-z0-9._]|-(?!-)|\+[0-9A-F]{2})*")
KEY_KINDS = ("id", "name")


def normal(text: str) -> str:
    """The form a key is made from: NFC, without surrounding whitespace."""
    return unicodedata.normalize("NFC", text).strip()


def encode(text: str) -> str:
    """`text` (NFC-normalised) in the marker's alphabet, reversibly; see above."""
    out: list[str] = []
    for char in normal(text):
        if char in _PLAIN and not (char == "-" and out and out[-1] == "-"):
            out.append(char)
        elif char == " ":
            out.append("_")
        else:
            out.extend(f"+{byte:02X}" for byte in char.encode("utf-8"))
    return "".join(out)


def decode(encoded: str) -> str:
    """The text `encode` made `encoded` from; ValueError when it is not one."""
    if not _ENCODED_RE.fullmatch(encoded):
        raise ValueError(f"{encoded!r} is not an encoded key part")
    data = bytearray()
    i = 0
    while i < len(encoded):
        char = encoded[i]
        if char == "+":
            data.append(int(encoded[i + 1 : i + 3], 16))
            i += 3
            continue
        data.extend(b" " if char == "_" else char.encode("ascii"))
        i += 1
    return data.decode("utf-8")


def key_part(kind: str, text: str) -> str:
    """`kind:encoded-text`, e.g. `name:Acme+2C_Inc.`; `text` must not be blank."""
    if kind not in KEY_KINDS:
        raise ValueError(f"unknown key kind {kind!r}")
    if not normal(text):
        raise ValueError("a key part must not be blank")
    return f"{kind}:{encode(text)}"


def parse_part(part: str) -> tuple[str, str]:
    """(kind, text) of a `key_part`; ValueError for anything else (a legacy slug)."""
    kind, sep, encoded = part.partition(":")
    if not sep or kind not in KEY_KINDS or not encoded:
        raise ValueError(f"{part!r} is not an encoded key part")
    return kind, decode(encoded)


def is_legacy(key: str) -> bool:
    """A key written before keys were encoded: a bare slug, which never holds `:`."""
    return ":" not in key


def legacy_key(text: str, suffix: str = "") -> str | None:
    """The key a marker written before keys were encoded holds for `text`
    (`slug(text)` + `suffix`), or None when that code could not have written
    one (it crashed on a slug starting with `@` or `+`)."""
    key = slug(text) + suffix
    return key if _TOKEN_RE.match(key) and "--" not in key else None
