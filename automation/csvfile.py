"""Reading the CSV files people export (CRM reports, realignment sheets).

Each file's rows are validated by a pydantic model (`validate_row`), built
from the field types the config uses (`automation.fields`); a bad row is
reported as `FILE:LINE: field: why`.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from automation.errors import InputError

M = TypeVar("M", bound=BaseModel)
# A problem of the whole row (not of one field): its message stands alone.
ROW_ERROR = "row"


def validate_row(
    model: type[M], values: Mapping[str, object], context: Mapping[str, Any] | None = None
) -> M:
    """`values` as `model`; InputError `field: why` naming the first bad field
    (in the model's field order)."""
    try:
        return model.model_validate(values, context=dict(context or {}))
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        why = "missing" if error["type"] == "missing" else error["msg"]
        if error["type"] == ROW_ERROR or not error["loc"]:
            raise InputError(why) from None
        raise InputError(f"{error['loc'][0]}: {why}") from None


def read_text(path: Path) -> str:
    """The file's text; a BOM (as Excel writes one) is dropped."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read ({exc})") from None


def rows(reader: csv.DictReader[str], source: str) -> Iterator[dict[str, str | None]]:
    """The rows, with a malformed file (an unclosed quote, a field over the csv
    module's limit) reported by file and line instead of a traceback."""
    try:
        yield from reader
    except csv.Error as exc:
        # the row being read when it failed starts after the last line read whole
        raise InputError(f"{source}:{reader.line_num + 1}: unreadable CSV ({exc})") from None


def unknown_columns_warning(source: str, header: list[str], known: Iterable[str]) -> str | None:
    """A warning naming the header's columns salesbot does not read, or None.

    CRM reports grow extra columns; refusing the file for them would stop a
    scheduled run for nothing, but a misspelt column ("efective_date") must
    not go unnoticed either: it is named, and its values are ignored."""
    wanted = set(known)
    unknown = [h for h in header if h and h not in wanted]
    if not unknown:
        return None
    return f"{source}:1: warning: ignoring unknown column(s) {', '.join(unknown)}"
