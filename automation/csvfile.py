"""Reading the CSV files people export (CRM reports, realignment sheets).

Each file's rows are validated by a pydantic model (`validate_row`), built
from the field types the config uses (`automation.fields`); a bad row is
reported as `FILE:LINE: field: why`.

A file is read as a stream (`open_csv`): a 50 MB export is validated line by
line, never held whole in memory. Its delimiter is found on the header line
(comma, semicolon as a European Excel writes, or tab), an empty file is
refused as empty, and progress is reported while it is read.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO, TypeVar

from pydantic import BaseModel, ValidationError

from automation.errors import InputError
from automation.progress import Bar
from automation.progress import progress as report_progress

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


# What a delimiter is called in messages; the first is the default.
DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab"}


def sniff_delimiter(header: str) -> str:
    """The delimiter of a file whose header line is `header`: the candidate
    that occurs most in it (comma on a tie or when none does). csv.Sniffer
    guesses from quoting and repetition across lines and, on one line of
    plain words, can pick a letter; counting the candidates cannot."""
    counts = {d: header.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def delimiter_name(delimiter: str) -> str:
    return DELIMITERS.get(delimiter, repr(delimiter))


@dataclass(frozen=True)
class CsvStream:
    """An open CSV file: its reader (header already lower-cased, stripped),
    the delimiter it was read with, and where it came from."""

    reader: csv.DictReader[str]
    delimiter: str
    source: str
    progress: Bar | None = None

    def rows(self) -> Iterator[dict[str, str | None]]:
        """The rows (see `rows`), advancing the progress report."""
        for row in rows(self.reader, self.source):
            if self.progress is not None:
                self.progress.advance()
            yield row

    @property
    def header(self) -> list[str]:
        return list(self.reader.fieldnames or [])

    def missing(self, missing: list[str], expected: Iterable[str] = ()) -> InputError:
        """The error for a header without `missing`, naming the delimiter it
        was read with (a file split by another character has one column)."""
        wanted = f" (expected: {', '.join(expected)})" if expected else ""
        return InputError(
            f"{self.source}:1: missing column(s) {', '.join(missing)}{wanted}; "
            f"read as {delimiter_name(self.delimiter)}-separated "
            f"(the header has {len(self.header)} column(s))"
        )


def stream(lines: TextIO, source: str, *, rename: Mapping[str, str] | None = None) -> CsvStream:
    """A CSV stream over `lines` (a file open with newline=""); InputError if
    it is empty."""
    first = lines.readline()
    if not first.strip():
        rest = first + lines.read(4096)
        if not rest.strip():
            raise InputError(f"{source}: the file is empty (expected a header line and rows)")
        raise InputError(f"{source}:1: the header line is empty")
    delimiter = sniff_delimiter(first)
    reader = csv.DictReader(_chain(first, lines), delimiter=delimiter)
    names = reader.fieldnames or []
    renamed = rename or {}
    reader.fieldnames = [renamed.get(h.strip().lower(), h.strip().lower()) for h in names]
    return CsvStream(reader, delimiter, source)


def _chain(first: str, rest: TextIO) -> Iterator[str]:
    yield first
    yield from rest


@contextmanager
def open_csv(
    path: Path, *, rename: Mapping[str, str] | None = None, progress: bool = True
) -> Iterator[CsvStream]:
    """`path` as a CSV stream, read lazily (a BOM, as Excel writes one, is
    dropped), with progress on stderr while it is read."""
    source = str(path)
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc})") from None
    with handle:
        try:
            opened = stream(handle, source, rename=rename)
            if not progress:
                yield opened
                return
            with report_progress(f"reading {path.name}", None) as shown:
                yield CsvStream(opened.reader, opened.delimiter, source, shown)
        except UnicodeDecodeError as exc:
            raise InputError(f"{path}: cannot read ({exc})") from None


def text_stream(text: str, source: str, *, rename: Mapping[str, str] | None = None) -> CsvStream:
    """A CSV stream over text already in memory (tests, stdin)."""
    return stream(io.StringIO(text, newline=""), source, rename=rename)


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
