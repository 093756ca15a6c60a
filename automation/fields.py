"""The value types salesbot's inputs share, and how their errors are worded.

The config, the roster, CSV rows and template front matter are pydantic
models built from these types, so a rule (what a GitLab username is, what a
date looks like) is written once. `message` turns a pydantic error into the
words `FILE:LINE: field: why` ends with.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal, TypeGuard
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import ErrorDetails, PydanticCustomError

SUPPORTED_VERSIONS = (1,)
USERNAME_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$"
COLOR_PATTERN = r"^#[0-9A-Fa-f]{6}$"
# GitLab takes labels as a comma-separated list, and the bot names them in
# `/label ~"..."` quick actions: a comma or a double quote cannot survive both.
LABEL_PATTERN = r'^[^\s,"](?:[^,"]*[^\s,"])?$'
DATE_MESSAGE = "not a date (YYYY-MM-DD)"
SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

Loc = tuple[str | int, ...]
Problem = tuple[Loc, str]


class Segment(StrEnum):
    SMB = "SMB"
    MID_MARKET = "Mid-Market"
    ENTERPRISE = "Enterprise"
    PUBLIC_SECTOR = "Public Sector"


class Department(StrEnum):
    COMMERCIAL = "Commercial"
    ENTERPRISE = "Enterprise"


# -- field types ---------------------------------------------------------------


def _check_version(value: int) -> int:
    if value not in SUPPORTED_VERSIONS:
        raise PydanticCustomError(
            "version",
            "unsupported version {version}; supported versions: {supported}",
            {"version": value, "supported": ", ".join(map(str, SUPPORTED_VERSIONS))},
        )
    return value


def _iso_date(value: object) -> object:
    """Only YYYY-MM-DD: `date.fromisoformat` would also take 20240201 or 2024-W05."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise PydanticCustomError("date_format", DATE_MESSAGE)


def known_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise PydanticCustomError(
            "timezone",
            "unknown timezone '{zone}' (expected an IANA name like America/Los_Angeles)",
            {"zone": value},
        ) from None
    return value


def id_as_text(value: object) -> object:
    """A numeric project id is written as a YAML number; keep it as text."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def _lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


Version = Annotated[
    int,
    Field(
        strict=True,
        description="Format version of this file.",
        json_schema_extra={"enum": list(SUPPORTED_VERSIONS)},
    ),
    AfterValidator(_check_version),
]
Text = Annotated[str, Field(min_length=1)]
WholeNumber = Annotated[int, Field(strict=True, ge=0)]
Flag = Annotated[bool, Field(strict=True)]
IsoDate = Annotated[date, BeforeValidator(_iso_date)]
Username = Annotated[str, Field(pattern=USERNAME_PATTERN)]
USERNAME_RE = re.compile(USERNAME_PATTERN)


def _username_or_mention(value: object) -> object:
    """`alice` or `@alice` (as people write them in a spreadsheet) -> `alice`."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    name = text.removeprefix("@")
    if not USERNAME_RE.match(name):
        # repr: a line break in a spreadsheet cell must not break the one-line error
        shown = repr(text) if len(text) <= 60 else f"{repr(text)[:57]}..."
        raise PydanticCustomError("username", "{value} is not a GitLab username", {"value": shown})
    return name


# A username in a CSV row or on the command line: the same rule, `@` allowed.
UsernameOrMention = Annotated[str, BeforeValidator(_username_or_mention)]
Color = Annotated[str, Field(pattern=COLOR_PATTERN)]
LabelName = Annotated[str, Field(pattern=LABEL_PATTERN)]
Weekday = Annotated[
    Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"],
    BeforeValidator(_lower),
]


class Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def raise_cross(problems: list[Problem]) -> None:
    if problems:
        summary = "; ".join(f"{dotted(loc)}: {message}" for loc, message in problems)
        raise PydanticCustomError("cross_field", "{summary}", {"summary": summary})


# -- messages ------------------------------------------------------------------

_PATTERN_MESSAGES = {
    USERNAME_PATTERN: "not a GitLab username (letters, digits, _ . -)",
    COLOR_PATTERN: "not a colour (#rrggbb)",
    LABEL_PATTERN: "not a label name GitLab can take (no commas, no double quotes, "
    "no spaces at either end)",
}


def dotted(loc: Sequence[object]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _choices(expected: str) -> str:
    """pydantic says "'a', 'b' or 'c'"; people read "a, b, c"."""
    quoted = re.findall(r"'([^']*)'", expected)
    return ", ".join(quoted) if quoted else expected


def message(error: ErrorDetails) -> str:
    kind = error["type"]
    ctx: dict[str, Any] = dict(error.get("ctx") or {})
    for prefix, text in _PREFIX_MESSAGES:
        if kind.startswith(prefix):
            return text
    render = _MESSAGES.get(kind)
    return render(error, ctx) if render else error["msg"]


_PREFIX_MESSAGES = (
    ("int_", "not a whole number"),
    ("date_", DATE_MESSAGE),
    ("bool_", "expected true or false"),
)

_Render = Callable[[ErrorDetails, dict[str, Any]], str]
_MESSAGES: dict[str, _Render] = {
    "missing": lambda e, c: "required key missing",
    "extra_forbidden": lambda e, c: "unknown key",
    "enum": lambda e, c: f"expected one of: {_choices(str(c.get('expected', '')))}",
    "literal_error": lambda e, c: f"expected one of: {_choices(str(c.get('expected', '')))}",
    "string_type": lambda e, c: (
        "expected text"
        + (" (put it in quotes)" if isinstance(e.get("input"), bool | int | float) else "")
    ),
    "string_too_short": lambda e, c: "must not be empty",
    "string_pattern_mismatch": lambda e, c: _PATTERN_MESSAGES.get(
        str(c.get("pattern")), f"does not match {c.get('pattern')}"
    ),
    "greater_than_equal": lambda e, c: f"must be at least {c.get('ge')}",
    "list_type": lambda e, c: "expected a list",
    "tuple_type": lambda e, c: "expected a list",
    "dict_type": lambda e, c: "expected a mapping (key: value)",
    "model_type": lambda e, c: "expected a mapping (key: value)",
    "model_attributes_type": lambda e, c: "expected a mapping (key: value)",
}
