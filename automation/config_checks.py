"""salesbot.yml's checks across fields.

They read plain data (the YAML as parsed, or a model dump) so that the loader
reports them even when other keys of the same file are invalid."""

from __future__ import annotations

from collections.abc import Mapping

from automation.fields import Loc, Problem, is_int


def config_problems(data: object) -> list[Problem]:
    if not isinstance(data, Mapping):
        return []
    return _threshold_problems(data.get("thresholds")) + _scope_problems(data.get("labels"))


def _threshold_problems(thresholds: object) -> list[Problem]:
    if not isinstance(thresholds, Mapping):
        return []
    problems: list[Problem] = []
    for segment, values in thresholds.items():
        if not isinstance(values, Mapping):
            continue
        consult, ldr = values.get("consult"), values.get("ldr")
        if is_int(consult) and is_int(ldr) and ldr >= consult:
            loc: Loc = ("thresholds", str(segment), "ldr")
            problems.append((loc, f"must be below consult ({consult})"))
    return problems


def _scope_problems(labels: object) -> list[Problem]:
    """Two scopes with one name would make each other's labels mutually exclusive."""
    if not isinstance(labels, Mapping):
        return []
    seen: dict[str, str] = {}
    problems: list[Problem] = []
    for key in ("progress", "status", "phase", "segment"):
        scope = labels.get(key)
        if not isinstance(scope, str):
            continue
        if scope in seen:
            problems.append((("labels", key), f"same scope as labels.{seen[scope]}"))
        else:
            seen[scope] = key
    return problems
