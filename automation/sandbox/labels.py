"""Labels: creating them, and the labels an issue ends with after an update.

`labels` replaces, then `add_labels`, then `remove_labels`, in one update;
`labels`/`add_labels` create missing labels, `remove_labels` does not
(IssuableBaseService#process_label_ids). A quick action's label update wins
over the same kind of API parameter (`label_ids_to_filter`). Premium only:
when labels are added, a scope `key::value` keeps only the label added last
(EE IssuableBaseService#filter_mutually_exclusive_labels).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from automation.sandbox.access import Access
from automation.sandbox.params import ApiError, missing
from automation.sandbox.store import Issue, Label, Project

DEFAULT_LABEL_COLOR = "#6699cc"  # Label::DEFAULT_COLOR
_COLOR = re.compile(r"#(?:[0-9A-Fa-f]{3}|[0-9A-Fa-f]{6})")
_CSS_COLORS = frozenset(
    [
        "black",
        "white",
        "red",
        "green",
        "blue",
        "yellow",
        "orange",
        "purple",
        "pink",
        "gray",
        "grey",
        "brown",
        "cyan",
        "magenta",
        "navy",
        "teal",
        "olive",
        "maroon",
        "lime",
        "aqua",
        "fuchsia",
        "silver",
        "gold",
        "indigo",
        "violet",
    ]
)


class LabelRules(Access):
    """GitLab's label rules over one store. Callers hold `store.lock`."""

    def create_label(self, project: Project, params: Mapping[str, Any]) -> Label:
        name = params.get("name")
        if name is None:
            raise missing("name")
        color = params.get("color")
        if color is None:
            raise missing("color")
        name = str(name).strip()
        if not name:
            raise ApiError(400, {"message": {"title": ["can't be blank"]}})
        if "," in name:
            raise ApiError(400, {"message": {"title": ["is invalid"]}})
        color = str(color).strip()
        if not (_COLOR.fullmatch(color) or color.lower() in _CSS_COLORS):
            raise ApiError(400, {"message": {"color": ["must be a valid color code"]}})
        if self.store.label_by_name(project.id, name) is not None:
            raise ApiError(409, {"message": "Label already exists"})
        description = params.get("description")
        return self._new_label(project, name, color, str(description) if description else None)

    def _new_label(self, project: Project, name: str, color: str, description: str | None) -> Label:
        label = Label(
            id=self.store.new_id(Label),
            project_id=project.id,
            name=name,
            color=color,
            description=description,
            created_at=self._now(),
        )
        return self.store.put(label)

    def _find_or_create_labels(self, project: Project, names: Iterable[str]) -> list[int]:
        ids: list[int] = []
        for name in names:
            label = self.store.label_by_name(project.id, name)
            if label is None:
                label = self._new_label(project, name, DEFAULT_LABEL_COLOR, None)
            if label.id not in ids:
                ids.append(label.id)
        return ids

    def _find_labels(self, project: Project, names: Iterable[str]) -> list[int]:
        found = (self.store.label_by_name(project.id, name) for name in names)
        return [label.id for label in found if label is not None]

    def _label_ids(
        self, project: Project, issue: Issue, api: dict[str, Any], updates: dict[str, Any]
    ) -> list[int]:
        existing = list(issue.label_ids)
        if "label_ids" in updates:
            base = list(updates["label_ids"])
        elif "labels" in api:
            base = self._find_or_create_labels(project, api["labels"])
        else:
            base = list(existing)
        if "add_label_ids" in updates:
            add = list(updates["add_label_ids"])
        else:
            add = self._find_or_create_labels(project, api.get("add_labels", []))
        if "remove_label_ids" in updates:
            remove = set(updates["remove_label_ids"])
        else:
            remove = set(self._find_labels(project, api.get("remove_labels", [])))
        ids: list[int] = []
        for label_id in base + add:
            if label_id not in ids and label_id not in remove:
                ids.append(label_id)
        return self._exclusive_scopes(ids, existing) if self._premium() else ids

    def _exclusive_scopes(self, ids: list[int], existing: list[int]) -> list[int]:
        """Premium: in a scope that gained a label, only the last one added stays."""
        added = [i for i in ids if i not in existing]
        if not added:
            return ids
        scopes: dict[str, list[int]] = {}
        for label_id in ids:
            name = self.store.labels[label_id].name
            if "::" in name:
                scopes.setdefault(name[: name.rindex("::")], []).append(label_id)
        dropped: set[int] = set()
        for members in scopes.values():
            newly = [i for i in added if i in members]
            if len(members) > 1 and newly:
                dropped.update(i for i in members if i != newly[-1])
        return [i for i in ids if i not in dropped]
