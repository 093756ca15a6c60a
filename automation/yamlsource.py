"""Load YAML and remember the line of every key and list item.

Validation errors name the key path (`members[3].start_date`); this module
maps such paths back to the line a person has to edit. PyYAML's composed
nodes carry `start_mark.line` (0-based), so we compose first, record the
lines, and only then construct Python values from the same nodes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import yaml

PathPart = str | int
KeyPath = tuple[PathPart, ...]

# The merge key of YAML 1.1 (`<<: *defaults`): its entries are not keys a
# person wrote at this place, so they get no line and are not duplicates.
_MERGE_TAG = "tag:yaml.org,2002:merge"


class _Loader(yaml.SafeLoader):
    """SafeLoader that leaves timestamps as the text that was written.

    PyYAML turns `2024-13-45` into a ValueError from `datetime` (not a YAML
    error) and `2024-02-01 10:00` into a datetime; keeping the text lets the
    schema say "not a date (YYYY-MM-DD)" and matches what JSON Schema tools
    (which see YAML dates as strings) check.
    """


def _timestamp_as_text(loader: yaml.SafeLoader, node: yaml.Node) -> str:
    assert isinstance(node, yaml.ScalarNode)
    return loader.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_text)


class YamlSyntaxError(Exception):
    """The text is not valid YAML; `line` is 1-based."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"{line}: {reason}")
        self.line = line
        self.reason = reason


@dataclass(frozen=True)
class Duplicate:
    """A key written twice in one mapping (PyYAML silently keeps the last)."""

    path: KeyPath
    line: int
    first_line: int


@dataclass(frozen=True)
class Document:
    """A parsed YAML document: its data and the 1-based line of each path."""

    data: object
    lines: Mapping[KeyPath, int]
    duplicates: tuple[Duplicate, ...] = field(default=())

    def line_for(self, loc: Sequence[object]) -> int:
        """The line of `loc`, or of its nearest ancestor that exists in the file.

        `loc` may hold parts that are not in the file (a missing key, or a
        validator's marker like "[key]"): the walk stops at the first one.
        """
        best = self.lines.get((), 1)
        prefix: KeyPath = ()
        for part in loc:
            step = _step(self.lines, prefix, part)
            if step is None:
                break
            prefix = step
            best = self.lines[prefix]
        return best


def _step(lines: Mapping[KeyPath, int], prefix: KeyPath, part: object) -> KeyPath | None:
    candidates: list[PathPart] = [part] if isinstance(part, str | int) else []
    candidates.append(str(part))
    for candidate in candidates:
        if (*prefix, candidate) in lines:
            return (*prefix, candidate)
    return None


def parse(text: str) -> Document:
    """Parse one YAML document; raise YamlSyntaxError with the line at fault."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return Document(data=None, lines={})
        lines: dict[KeyPath, int] = {(): node.start_mark.line + 1}
        duplicates: list[Duplicate] = []
        _record(node, (), lines, duplicates)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        raise YamlSyntaxError(_line_of(exc), _reason(exc)) from None
    except yaml.YAMLError as exc:  # unmarked: e.g. a reader error on odd characters
        raise YamlSyntaxError(1, str(exc)) from None
    finally:
        loader.dispose()
    return Document(data=data, lines=lines, duplicates=tuple(duplicates))


def _record(
    node: yaml.Node, path: KeyPath, lines: dict[KeyPath, int], dups: list[Duplicate]
) -> None:
    """Fill `lines` for every key and item under `node` (before construction,
    which rewrites merge keys in place)."""
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == _MERGE_TAG:
                continue
            child = (*path, str(key_node.value))
            line = key_node.start_mark.line + 1
            if child in lines:
                dups.append(Duplicate(child, line, lines[child]))
                continue
            lines[child] = line
            _record(value_node, child, lines, dups)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            child = (*path, index)
            lines[child] = item.start_mark.line + 1
            _record(item, child, lines, dups)


def _line_of(exc: yaml.MarkedYAMLError) -> int:
    mark = exc.problem_mark or exc.context_mark
    return mark.line + 1 if mark is not None else 1


def _reason(exc: yaml.MarkedYAMLError) -> str:
    problem = exc.problem or "cannot parse"
    return f"{problem} ({exc.context})" if exc.context else problem
