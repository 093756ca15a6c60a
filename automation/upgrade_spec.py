"""What a template upgrade needs of a template (`automation.upgrade`): its
items in order, which of them are static (no variable, outside every Jinja
block), every key its source can render, and its front matter `reworded:`
texts. Also the line-level reading of a task item both sides share.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Final

import yaml

from automation import checklist
from automation.errors import TemplateError
from automation.hidden import TASK_KEY_RE
from automation.template_export import PLACEHOLDERS
from automation.templates import DEFAULT_TEMPLATES_DIR, KINDS, SUFFIX, render
from automation.upgrade_owners import OwnerSpec, owner_spec

TASK: Final = TASK_KEY_RE  # the task comment, as automation.hidden defines it
HEADING: Final = re.compile(r"^[ ]{0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t]*$")
BOX: Final = re.compile(r"^(?P<lead>[^\[]*\[)(?P<box>[ \t\x0b\x0cxX~])(?P<rest>\].*)$")
_NEWLINE = re.compile(r"(\r\n|\r|\n)")
_OPEN_BLOCK = re.compile(r"\{%-?\s*(if|for|macro|call|filter|with|block|raw)\b")
_CLOSE_BLOCK = re.compile(r"\{%-?\s*end(if|for|macro|call|filter|with|block|raw)\b")


@dataclass(frozen=True)
class TemplateItem:
    """One checklist item of a rendered template."""

    key: str
    section: str  # heading title ("" before any heading)
    heading: str  # the heading line as rendered ("" before any heading)
    line: str  # the whole rendered line, box and key comment included
    body: str  # the text between the box and the key comment
    static: bool  # no variable, outside every block: safe to insert or reword


@dataclass(frozen=True)
class TemplateSpec:
    """What an upgrade needs of a template."""

    kind: str
    version: int
    items: tuple[TemplateItem, ...]  # in template order
    source_keys: frozenset[str]  # every key the template can render, for any data
    reworded: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # key -> text of an item whose one source line has no variable, inside a
    # block or not: the text does not depend on data, so an issue holding the
    # item can take a rewording even when the upgrade could not insert it
    literal: Mapping[str, str] = field(default_factory=dict)
    # where the template names owners (`owned_by`), for issues opened before it did
    owners: OwnerSpec = field(default_factory=OwnerSpec)

    def item(self, key: str) -> TemplateItem | None:
        return next((i for i in self.items if i.key == key), None)


def load_spec(kind: str, templates_dir: Path | None = None) -> TemplateSpec:
    """`kind`'s template as an upgrade sees it: rendered with the export's
    placeholder values (the text of static items does not depend on them)."""
    if kind not in KINDS:
        raise TemplateError(f"unknown template '{kind}'; expected one of: {', '.join(KINDS)}")
    rendered = render(kind, PLACEHOLDERS[kind], templates_dir)  # validates the template
    path = (templates_dir or DEFAULT_TEMPLATES_DIR) / f"{kind}{SUFFIX}"
    front, body = _split_front_matter(path.read_text(encoding="utf-8"))
    return spec_from(kind, rendered.version, rendered.description, body, _reworded(path, front))


def spec_from(
    kind: str,
    version: int,
    rendered: str,
    source: str,
    reworded: Mapping[str, Iterable[str]] | None = None,
) -> TemplateSpec:
    """A spec from a template's rendered description and its Jinja body source."""
    static = _static_keys(source)
    lines = lines_of(rendered)[0]
    items: list[TemplateItem] = []
    for task in checklist.parse(rendered).items:
        if task.key is None or any(i.key == task.key for i in items):
            continue
        line = lines[task.line - 1]
        parts = item_line(line, task.key)
        if parts is None:  # a multi-line item: never touched
            continue
        heading = next((h for h in reversed(lines[: task.line - 1]) if HEADING.match(h)), "")
        items.append(
            TemplateItem(task.key, task.section, heading, line, parts[2], task.key in static)
        )
    return TemplateSpec(
        kind=kind,
        version=version,
        items=tuple(items),
        source_keys=frozenset(TASK.findall(source)),
        reworded=MappingProxyType(
            {k: tuple(norm(t) for t in v) for k, v in (reworded or {}).items()}
        ),
        literal=MappingProxyType(_literal_items(source)),
        owners=owner_spec(source),
    )


def _split_front_matter(text: str) -> tuple[str, str]:
    lines = text.split("\n")
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() == "---"), len(lines))
    return "\n".join(lines[1:end]), "\n".join(lines[end + 1 :])


def _reworded(path: Path, front: str) -> dict[str, list[str]]:
    raw = yaml.safe_load(front) or {}
    value = raw.get("reworded", {}) if isinstance(raw, dict) else {}
    where = f"{path.parent.name}/{path.name}: front matter 'reworded'"
    if not isinstance(value, dict):
        raise TemplateError(f"{where} must map task keys to lists of earlier texts")
    result: dict[str, list[str]] = {}
    for key, texts in value.items():
        if isinstance(texts, str):
            texts = [texts]
        if not isinstance(texts, list) or not all(isinstance(t, str) and t for t in texts):
            raise TemplateError(f"{where}: '{key}' must be a list of earlier texts")
        result[str(key)] = texts
    return result


def _static_keys(source: str) -> frozenset[str]:
    """Keys on template lines without variables, outside every Jinja block."""
    depth = 0
    found: set[str] = set()
    for line in source.split("\n"):
        keys = TASK.findall(line)
        if keys and depth == 0 and "{{" not in line and "{%" not in line:
            found.update(keys)
        depth += len(_OPEN_BLOCK.findall(line)) - len(_CLOSE_BLOCK.findall(line))
    return frozenset(found)


def _literal_items(source: str) -> dict[str, str]:
    """Key -> text of the items on one source line without `{{`/`{%`, for keys
    the source holds once (two lines with one key may render differently)."""
    seen: dict[str, int] = {}
    found: dict[str, str] = {}
    for line in source.split("\n"):
        for key in TASK.findall(line):
            seen[key] = seen.get(key, 0) + 1
            parts = item_line(line, key)
            if parts is not None and "{{" not in line and "{%" not in line:
                found[key] = parts[2]
    return {k: v for k, v in found.items() if seen[k] == 1}


def lines_of(text: str) -> tuple[list[str], list[str]]:
    """Lines as CommonMark counts them (LF, CR LF or CR) and their endings."""
    parts = _NEWLINE.split(text)
    return parts[0::2], [*parts[1::2], ""]


def norm(text: str) -> str:
    return " ".join(text.split())


def item_line(line: str, key: str) -> tuple[str, str, str, str] | None:
    """(lead up to and with `[`, box character, body, `]`-less tail from the
    key comment on) of a one-line item carrying `key`, or None."""
    box = BOX.match(line)
    if box is None:
        return None
    rest = box["rest"]
    comment = next((m for m in TASK.finditer(rest) if m.group(1) == key), None)
    if comment is None:
        return None
    after_box = rest[1:]  # without the `]`
    start = comment.start() - 1
    body = after_box[:start]
    return box["lead"], box["box"], body.strip(), after_box[start:]
