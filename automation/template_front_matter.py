"""A template's YAML front matter, validated by a pydantic model.

    ---
    title: "Give Back Project: {{ name }}"   # Jinja, rendered with the same data
    labels: [Give Back Project]
    due_days: 90                             # from the workflow's anchor date
    sections_due: {}                         # optional: section heading -> days
    items_due: {}                            # optional: task key -> days (earlier than its section)
    version: 1                               # goes into the bot marker
    description: One line for humans.
    ---

A problem is reported as `FILE: front matter 'FIELD' must be ...` (a YAML
syntax error as `FILE:LINE: front matter: ...`), as `config validate` does
for the config.
"""

from __future__ import annotations

from typing import Annotated, Any

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictInt, ValidationError
from pydantic_core import ErrorDetails

from automation.errors import TemplateError


def _keys_as_text(value: object) -> object:
    # None (an empty `sections_due:`) means none; YAML may read a heading as a number
    if value is None:
        return {}
    return {str(k): v for k, v in value.items()} if isinstance(value, dict) else value


def _non_blank(value: object) -> object:
    if isinstance(value, str) and not value.strip():
        raise ValueError("blank")
    return value


Whole = Annotated[StrictInt, Field(ge=0)]
NonEmptyText = Annotated[str, BeforeValidator(_non_blank), Field(strict=True, min_length=1)]
Label = Annotated[str, Field(strict=True, min_length=1)]


class FrontMatter(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    title: NonEmptyText
    sections_due: Annotated[dict[str, Whole], BeforeValidator(_keys_as_text)] = {}
    items_due: Annotated[dict[str, Whole], BeforeValidator(_keys_as_text)] = {}
    labels: Annotated[list[Label], Field(strict=True)] = []
    due_days: Whole
    version: Whole
    description: NonEmptyText


# What each field must be, as the message says it.
_MUST = {
    "title": "must be non-empty text",
    "description": "must be non-empty text",
    "labels": "must be a list of text",
    "due_days": "must be a whole number",
    "version": "must be a whole number",
    "sections_due": "must be a mapping",
    "items_due": "must be a mapping",
}


def parse(display: str, text: str) -> FrontMatter:
    """The front matter `text` of the template shown as `display` (its first
    line is the file's line 2); TemplateError for the first problem."""
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 2}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise TemplateError(f"{display}{line}: front matter: {problem}") from None
    if not isinstance(loaded, dict):
        raise TemplateError(f"{display}: front matter must be a mapping")
    raw: dict[str, Any] = {str(k): v for k, v in loaded.items()}
    try:
        return FrontMatter.model_validate(raw)
    except ValidationError as exc:
        raise TemplateError(_message(display, exc.errors()[0])) from None


def _message(display: str, error: ErrorDetails) -> str:
    field, *rest = (str(part) for part in error["loc"])
    if field in ("sections_due", "items_due") and rest:
        return f"{display}: front matter '{field}.{rest[0]}' must be a whole number"
    return f"{display}: front matter '{field}' {_MUST[field]}"
