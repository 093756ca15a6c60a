"""Grape-style request parameters and GitLab's error answers.

`ApiError` carries the status and body GitLab answers with (reference §7);
the coercions accept what Grape accepts (booleans as `true`/`1`/`yes`, arrays
as JSON arrays or comma-separated strings) and answer "NAME is invalid" to
anything else.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from automation.sandbox.store import format_time

_TRUE = frozenset({"1", "true", "t", "yes", "y", "on"})
_FALSE = frozenset({"0", "false", "f", "no", "n", "off"})


class ApiError(Exception):
    """An error answer: status and JSON body (or plain text)."""

    def __init__(self, status: int, body: dict[str, Any] | str) -> None:
        super().__init__(status, body)
        self.status = status
        self.body = body


def not_found(what: str | None = None) -> ApiError:
    """`not_found!` ("404 Project Not Found"); a missing record found with
    `find_by!` answers "404 Not found" (lib/api/api.rb rescue_from)."""
    return ApiError(404, {"message": f"404 {what} Not Found" if what else "404 Not found"})


def invalid(name: str) -> ApiError:
    return ApiError(400, {"error": f"{name} is invalid"})


def missing(name: str) -> ApiError:
    return ApiError(400, {"error": f"{name} is missing"})


# -- Grape-style coercion ------------------------------------------------------


def to_bool(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise invalid(name)


def to_int(value: Any, name: str) -> int:
    if isinstance(value, bool):
        raise invalid(name)
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    raise invalid(name)


def to_int_list(value: Any, name: str) -> list[int]:
    """An array of integers, a single one, or a comma-separated string."""
    items = value if isinstance(value, list) else str(value).split(",")
    result: list[int] = []
    for item in items:
        if isinstance(item, str) and not item.strip():
            continue
        result.append(to_int(item, name))
    return result


def to_names(value: Any) -> list[str]:
    """Label names from a JSON array or a comma-separated string (each array
    item is split on commas too, as CommaSeparatedToArray does)."""
    items = value if isinstance(value, list) else [value]
    names: list[str] = []
    for item in items:
        for part in str(item).split(","):
            name = part.strip()
            if name and name not in names:
                names.append(name)
    return names


def to_date(value: Any, name: str) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return date.fromisoformat(str(value).strip()[:10]).isoformat()
    except ValueError:
        raise invalid(name) from None


def to_time(value: Any, name: str) -> str:
    """An ISO 8601 time parameter, in the stored string format for comparison."""
    text = str(value).strip().replace("Z", "+00:00").replace(" ", "+")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise invalid(name) from None
    return format_time(moment)
