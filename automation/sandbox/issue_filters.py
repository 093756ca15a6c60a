"""GET /projects/:id/issues: the list filters (IssuesFinder), search and order."""

from __future__ import annotations

from typing import Any

from automation.sandbox import search
from automation.sandbox.calls import Call
from automation.sandbox.params import ApiError, to_bool, to_int, to_int_list, to_names, to_time
from automation.sandbox.store import Issue, Project

_ISSUE_ORDERS = frozenset(
    [
        "created_at",
        "updated_at",
        "due_date",
        "title",
        "relative_position",
        "priority",
        "label_priority",
        "popularity",
        "milestone_due",
        "weight",
    ]
)


def filter_issues(call: Call, project: Project, issues: list[Issue]) -> list[Issue]:
    """GET /projects/:id/issues filters (IssuesFinder), then the order."""
    params = call.params
    state = str(params.get("state") or "all")
    if state not in ("opened", "closed", "all"):
        raise ApiError(400, {"error": "state does not have a valid value"})
    if state != "all":
        issues = [i for i in issues if i.state == state]
    issues = _filter_labels(call, project, issues)
    issues = _filter_people(call, issues)
    issues = _filter_times(params, issues)
    if params.get("iids") is not None:
        wanted = set(to_int_list(params["iids"], "iids"))
        issues = [i for i in issues if i.iid in wanted]
    if params.get("confidential") is not None:
        confidential = to_bool(params["confidential"], "confidential")
        issues = [i for i in issues if i.confidential == confidential]
    if params.get("search"):
        issues = _search(params, issues)
    return _order(params, issues)


def _label_ids(call: Call, project: Project, value: Any) -> list[int] | None:
    """Ids of the named labels, or None when one does not exist (no match)."""
    ids = []
    for name in to_names(value):
        label = call.store.label_by_name(project.id, name)
        if label is None:
            return None
        ids.append(label.id)
    return ids


def _filter_labels(call: Call, project: Project, issues: list[Issue]) -> list[Issue]:
    params = call.params
    wanted = params.get("labels")
    if wanted is not None and to_names(wanted):
        names = to_names(wanted)
        # Issuables::LabelFilter#by_label: `None` anywhere in the list means
        # "no labels" and `Any` "some label"; the other names are then ignored.
        lowered = {n.lower() for n in names}
        if "none" in lowered:
            issues = [i for i in issues if not i.label_ids]
        elif "any" in lowered:
            issues = [i for i in issues if i.label_ids]
        else:
            ids = _label_ids(call, project, names)
            if ids is None:
                return []
            required = set(ids)
            issues = [i for i in issues if required.issubset(i.label_ids)]
    unwanted = params.get("not[labels]")
    if unwanted is not None:
        excluded = {
            label.id
            for label in (call.store.label_by_name(project.id, n) for n in to_names(unwanted))
            if label is not None
        }
        issues = [i for i in issues if excluded.isdisjoint(i.label_ids)]
    return issues


def _filter_people(call: Call, issues: list[Issue]) -> list[Issue]:
    params = call.params
    store = call.store
    if params.get("author_id") is not None:
        author_id = to_int(params["author_id"], "author_id")
        issues = [i for i in issues if i.author_id == author_id]
    if params.get("author_username") is not None:
        author = store.user_by_username(str(params["author_username"]))
        issues = [i for i in issues if author is not None and i.author_id == author.id]
    assignee = params.get("assignee_id")
    if assignee is not None and assignee != "":
        text = str(assignee).lower()
        if text == "none":
            issues = [i for i in issues if not i.assignee_ids]
        elif text == "any":
            issues = [i for i in issues if i.assignee_ids]
        else:
            assignee_id = to_int(assignee, "assignee_id")
            issues = [i for i in issues if assignee_id in i.assignee_ids]
    names = params.get("assignee_username")
    if names is not None:
        for name in names if isinstance(names, list) else [names]:
            user = store.user_by_username(str(name))
            issues = [i for i in issues if user is not None and user.id in i.assignee_ids]
    return issues


def _filter_times(params: dict[str, Any], issues: list[Issue]) -> list[Issue]:
    bounds = (
        ("created_after", "created_at", True),
        ("created_before", "created_at", False),
        ("updated_after", "updated_at", True),
        ("updated_before", "updated_at", False),
    )
    for name, attribute, after in bounds:
        if params.get(name) is None:
            continue
        limit = to_time(params[name], name)
        if after:
            issues = [i for i in issues if getattr(i, attribute) >= limit]
        else:
            issues = [i for i in issues if getattr(i, attribute) <= limit]
    return issues


def _search(params: dict[str, Any], issues: list[Issue]) -> list[Issue]:
    """`search` over title and/or description (`in`), GitLab's way (search.py)."""
    fields = to_names(params.get("in") or "title,description")
    if any(f not in ("title", "description") for f in fields):
        raise ApiError(400, {"error": "in does not have a valid value"})
    return search.matching(issues, str(params["search"]), fields)


def _order(params: dict[str, Any], issues: list[Issue]) -> list[Issue]:
    order_by = str(params.get("order_by") or "created_at")
    if order_by not in _ISSUE_ORDERS:
        raise ApiError(400, {"error": "order_by does not have a valid value"})
    sort = str(params.get("sort") or "desc")
    if sort not in ("asc", "desc"):
        raise ApiError(400, {"error": "sort does not have a valid value"})
    descending = sort == "desc"
    if order_by == "updated_at":
        return sorted(issues, key=lambda i: (i.updated_at, i.id), reverse=descending)
    if order_by == "title":
        return sorted(issues, key=lambda i: (i.title.lower(), i.id), reverse=descending)
    if order_by == "due_date":
        # Issues without a due date come last in either direction.
        dated = sorted(
            (i for i in issues if i.due_date),
            key=lambda i: (i.due_date or "", i.id),
            reverse=descending,
        )
        return dated + [i for i in issues if not i.due_date]
    return sorted(issues, key=lambda i: (i.created_at, i.id), reverse=descending)
