"""The REST v4 endpoints: routing, parameters, list filters and pagination.

Paths are matched on the raw request URI, segment by segment, so a project
given as a URL-encoded path (`sales%2Fsalesbot`) is one segment, as in GitLab
(`NAMESPACE_OR_PROJECT_REQUIREMENTS`). Query and body parameters are merged
(body wins), as Grape does; bodies may be JSON (python-gitlab) or form-encoded.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import parse_qsl, unquote, urlencode

from werkzeug.wrappers import Request

from automation.sandbox import search
from automation.sandbox.render import Renderer
from automation.sandbox.service import (
    ApiError,
    Service,
    not_found,
    to_bool,
    to_int,
    to_int_list,
    to_names,
    to_time,
)
from automation.sandbox.store import Issue, Note, Project, Store, User

T = TypeVar("T")
MAX_PER_PAGE = 100
COUNT_LIMIT = 10_000  # Gitlab::Pagination::OffsetPagination::MAX_COUNT_LIMIT
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


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Call:
    """One request as a handler sees it."""

    request: Request
    path: str  # raw path, e.g. /api/v4/projects/sales%2Fsalesbot/issues
    query: list[tuple[str, str]]
    params: dict[str, Any]
    args: dict[str, str]
    user: User | None
    store: Store
    service: Service
    render: Renderer

    def project(self) -> Project:
        return self.service.find_project(self.args["id"], self.user)

    def issue(self, project: Project) -> Issue:
        return self.service.find_issue(project, self.args["iid"])

    def actor(self) -> User:
        if self.user is None:
            raise ApiError(401, {"message": "401 Unauthorized"})
        return self.user


Handler = Callable[[Call], Reply]


@dataclass(frozen=True)
class Route:
    method: str
    segments: tuple[str, ...]
    handler: Handler
    auth: bool  # True: a token is required (Grape `authenticate!`)

    @property
    def kind(self) -> str:
        return f"{self.method} /" + "/".join(self.segments)

    def match(self, segments: list[str]) -> dict[str, str] | None:
        if len(segments) != len(self.segments):
            return None
        args: dict[str, str] = {}
        for pattern, value in zip(self.segments, segments, strict=True):
            if pattern.startswith(":"):
                args[pattern[1:]] = value
            elif pattern != value:
                return None
        return args


# -- parameters ----------------------------------------------------------------


def split_path(raw_uri: str) -> tuple[str, str, list[str] | None]:
    """(raw path, raw query, decoded segments after /api/v4) of a request URI."""
    if raw_uri.startswith(("http://", "https://")):  # absolute-form request target
        raw_uri = "/" + raw_uri.split("/", 3)[3] if raw_uri.count("/") >= 3 else "/"
    path, _, query = raw_uri.partition("?")
    parts = path.split("/")
    if len(parts) < 3 or parts[1:3] != ["api", "v4"]:
        return path, query, None
    return path, query, [unquote(p) for p in parts[3:] if p != ""]


def parse_params(request: Request, query: list[tuple[str, str]]) -> dict[str, Any]:
    """Query and body parameters as one dict; `x[]` keys become lists."""
    params = _pairs_to_dict(query)
    body = request.get_data(cache=True)
    if not body:
        return params
    content_type = request.mimetype or ""
    if content_type == "application/json":
        try:
            data = json.loads(body)
        except ValueError:
            raise ApiError(
                400, {"error": "The provided content-type 'application/json' is not valid JSON"}
            ) from None
        if isinstance(data, dict):
            params.update(data)
    elif content_type in ("application/x-www-form-urlencoded", ""):
        params.update(_pairs_to_dict(parse_qsl(body.decode("utf-8", "replace"), True)))
    return params


def _pairs_to_dict(pairs: Sequence[tuple[str, str]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key.endswith("[]"):
            result.setdefault(key[:-2], []).append(value)
        elif key in result:
            existing = result[key]
            result[key] = [*existing, value] if isinstance(existing, list) else [existing, value]
        else:
            result[key] = value
    return result


def json_reply(status: int, body: Any, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, body, headers or {})


# -- pagination ----------------------------------------------------------------


def paginate(call: Call, items: Sequence[T]) -> tuple[Sequence[T], dict[str, str]]:
    """Offset pagination with GitLab's headers (lib/gitlab/pagination/
    offset_header_builder.rb). Over 10,000 rows the counts and rel="last" go."""
    per_page = _int_param(call, "per_page", 20)
    per_page = 20 if per_page < 1 else min(per_page, MAX_PER_PAGE)
    page = max(_int_param(call, "page", 1), 1)
    total = len(items)
    total_pages = max(-(-total // per_page), 1)
    start = (page - 1) * per_page
    chunk = items[start : start + per_page]
    counted = total <= COUNT_LIMIT
    in_range = start < total or page == 1
    next_page = page + 1 if start + per_page < total else None
    prev_page = page - 1 if page > 1 and start < total else None
    if not in_range:
        next_page = prev_page = None
    requested = call.params.get("per_page", 20)
    links = []
    if prev_page:
        links.append(f'<{_page_url(call, prev_page, requested)}>; rel="prev"')
    if next_page:
        links.append(f'<{_page_url(call, next_page, requested)}>; rel="next"')
    links.append(f'<{_page_url(call, 1, requested)}>; rel="first"')
    if counted:
        links.append(f'<{_page_url(call, total_pages, requested)}>; rel="last"')
    headers = {
        "X-Per-Page": str(per_page),
        "X-Page": str(page),
        "X-Next-Page": str(next_page or ""),
        "X-Prev-Page": str(prev_page or ""),
        "Link": ", ".join(links),
    }
    if counted:
        headers["X-Total"] = str(total)
        headers["X-Total-Pages"] = str(total_pages)
    return chunk, headers


def _int_param(call: Call, name: str, default: int) -> int:
    value = call.params.get(name)
    if value is None or value == "":
        return default
    return to_int(value, name)


def _page_url(call: Call, page: int, per_page: Any) -> str:
    """An absolute URL on the host the client used, so python-gitlab sees its
    own base URL in `Link` (it warns otherwise)."""
    pairs = [(k, v) for k, v in call.query if k not in ("page", "per_page")]
    pairs += [("page", str(page)), ("per_page", str(per_page))]
    pairs.sort(key=lambda pair: pair[0])
    return f"{call.request.scheme}://{call.request.host}{call.path}?{urlencode(pairs)}"


def page_reply(call: Call, items: Sequence[T], render: Callable[[T], Any]) -> Reply:
    chunk, headers = paginate(call, items)
    return Reply(200, [render(item) for item in chunk], headers)


# -- users and projects ----------------------------------------------------------


def get_current_user(call: Call) -> Reply:
    return json_reply(200, call.render.user_detail(call.actor(), me=True))


def list_users(call: Call) -> Reply:
    users = sorted(call.store.users.values(), key=lambda u: u.id, reverse=True)
    username = call.params.get("username")
    if username:
        users = [u for u in users if u.username.lower() == str(username).lower()]
    search = str(call.params.get("search") or "").lower()
    if search:
        users = [u for u in users if search in u.username.lower() or search in u.name.lower()]
    return page_reply(call, users, call.render.user)


def get_user(call: Call) -> Reply:
    user_id = call.args["user_id"]
    user = call.store.users.get(int(user_id)) if user_id.isdigit() else None
    if user is None:
        raise not_found("User")
    return json_reply(200, call.render.user_detail(user))


def get_project(call: Call) -> Reply:
    project = call.project()
    level = call.service.access_level(project, call.user)
    return json_reply(200, call.render.project(project, level))


def list_members(call: Call) -> Reply:
    project = call.project()
    members = sorted(call.store.members_of(project.id), key=lambda m: m.user_id)
    query = str(call.params.get("query") or "").lower()
    if query:
        users = call.store.users
        members = [
            m
            for m in members
            if query in users[m.user_id].username.lower() or query in users[m.user_id].name.lower()
        ]
    return page_reply(call, members, call.render.member)


def get_member(call: Call) -> Reply:
    project = call.project()
    user_id = call.args["user_id"]
    member = call.store.member(project.id, int(user_id)) if user_id.isdigit() else None
    if member is None:
        raise not_found("Member")
    return json_reply(200, call.render.member(member))


# -- labels ------------------------------------------------------------------------


def list_labels(call: Call) -> Reply:
    project = call.project()
    labels = sorted(call.store.labels_of(project.id), key=lambda lb: lb.name.lower())
    search = str(call.params.get("search") or "").lower()
    if search:
        labels = [lb for lb in labels if search in lb.name.lower()]
    with_counts = to_bool(call.params.get("with_counts", False), "with_counts")
    return page_reply(call, labels, lambda lb: call.render.label(lb, with_counts=with_counts))


def create_label(call: Call) -> Reply:
    label = call.service.create_label(call.project(), call.params)
    return json_reply(201, call.render.label(label))


def get_label(call: Call) -> Reply:
    project = call.project()
    ref = call.args["label_id"]
    label = call.store.label_by_name(project.id, ref)
    if label is None and ref.isdigit():
        candidate = call.store.labels.get(int(ref))
        label = candidate if candidate and candidate.project_id == project.id else None
    if label is None:
        raise not_found("Label")
    return json_reply(200, call.render.label(label))


# -- issues ------------------------------------------------------------------------


def list_issues(call: Call) -> Reply:
    project = call.project()
    issues = filter_issues(call, project, call.store.issues_of(project.id))
    details = to_bool(call.params.get("with_labels_details", False), "with_labels_details")
    return page_reply(call, issues, lambda i: call.render.issue(i, labels_details=details))


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


def create_issue(call: Call) -> Reply:
    issue = call.service.create_issue(call.project(), call.actor(), call.params)
    return json_reply(201, call.render.issue(issue, single=True))


def get_issue(call: Call) -> Reply:
    issue = call.issue(call.project())
    return json_reply(200, call.render.issue(issue, single=True))


def update_issue(call: Call) -> Reply:
    project = call.project()
    issue = call.service.update_issue(project, call.actor(), call.issue(project), call.params)
    return json_reply(200, call.render.issue(issue, single=True))


def delete_issue(call: Call) -> Reply:
    project = call.project()
    call.issue(project)
    # Only owners and administrators may delete issues (doc/api/issues.md).
    raise ApiError(403, {"message": "403 Forbidden"})


# -- notes and events --------------------------------------------------------------


def list_notes(call: Call) -> Reply:
    project = call.project()
    notes = call.store.notes_of(call.issue(project).id)
    activity = str(call.params.get("activity_filter") or "all_notes")
    if activity == "only_comments":
        notes = [n for n in notes if not n.system]
    elif activity == "only_activity":
        notes = [n for n in notes if n.system]
    order_by = str(call.params.get("order_by") or "created_at")
    if order_by not in ("created_at", "updated_at"):
        raise ApiError(400, {"error": "order_by does not have a valid value"})
    sort = str(call.params.get("sort") or "desc")
    if sort not in ("asc", "desc"):
        raise ApiError(400, {"error": "sort does not have a valid value"})
    notes = sorted(notes, key=lambda n: (getattr(n, order_by), n.id), reverse=sort == "desc")
    return page_reply(call, notes, call.render.note)


def _find_note(call: Call) -> Note:
    project = call.project()
    issue = call.issue(project)
    note_id = call.args["note_id"]
    note = call.store.notes.get(int(note_id)) if note_id.isdigit() else None
    if note is None or note.issue_id != issue.id:
        raise not_found()
    return note


def get_note(call: Call) -> Reply:
    return json_reply(200, call.render.note(_find_note(call)))


def create_note(call: Call) -> Reply:
    project = call.project()
    note, commands = call.service.create_note(
        project, call.actor(), call.issue(project), call.params
    )
    if note is None:
        # Entities::NoteCommands: `summary` is the note's one `commands_only`
        # error, the messages joined by a space (Notes::QuickActionsService).
        summary = [" ".join(commands.messages)]
        return json_reply(202, {"commands_changes": commands.updates, "summary": summary})
    return json_reply(201, call.render.note(note, commands_changes=commands.updates))


def update_note(call: Call) -> Reply:
    note = _find_note(call)
    if note.system or note.author_id != call.actor().id:
        raise ApiError(403, {"message": "403 Forbidden"})
    return json_reply(200, call.render.note(call.service.update_note(note, call.params)))


def delete_note(call: Call) -> Reply:
    note = _find_note(call)
    call.service.delete_note(call.project(), call.actor(), note)
    return Reply(204, None)


def list_participants(call: Call) -> Reply:
    project = call.project()
    users = call.service.participants(project, call.issue(project))
    return page_reply(call, users, call.render.user)


def list_merge_requests(call: Call) -> Reply:
    """`closed_by` and `related_merge_requests`: the sandbox has no merge
    requests, and GitLab answers an empty page for an issue without any."""
    project = call.project()
    call.issue(project)
    none: list[dict[str, Any]] = []
    return page_reply(call, none, lambda item: item)


def list_label_events(call: Call) -> Reply:
    project = call.project()
    events = call.store.label_events_of(call.issue(project).id)
    return page_reply(call, events, call.render.label_event)


def get_label_event(call: Call) -> Reply:
    project = call.project()
    issue = call.issue(project)
    event_id = call.args["event_id"]
    event = call.store.label_events.get(int(event_id)) if event_id.isdigit() else None
    if event is None or event.issue_id != issue.id:
        raise not_found()
    return json_reply(200, call.render.label_event(event))


def list_state_events(call: Call) -> Reply:
    project = call.project()
    events = call.store.state_events_of(call.issue(project).id)
    return page_reply(call, events, call.render.state_event)


# -- links -------------------------------------------------------------------------


def list_links(call: Call) -> Reply:
    project = call.project()
    issue = call.issue(project)
    related = []
    for link in call.store.links_of(issue.id):
        outgoing = link.source_id == issue.id
        other = call.store.issues[link.target_id if outgoing else link.source_id]
        if not call.service.can_read(call.store.projects[other.project_id], call.user):
            continue
        kind = link.link_type
        if kind == "blocks" and not outgoing:
            kind = "is_blocked_by"
        data = call.render.issue_basic(other)
        data.update(
            {
                "issue_link_id": link.id,
                "link_type": kind,
                "link_created_at": link.created_at,
                "link_updated_at": link.updated_at,
            }
        )
        related.append(data)
    return json_reply(200, related)


def create_link(call: Call) -> Reply:
    project = call.project()
    issue = call.issue(project)
    target_ref = call.params.get("target_project_id")
    if target_ref is None:
        raise ApiError(400, {"error": "target_project_id is missing"})
    target_iid = call.params.get("target_issue_iid")
    if target_iid is None:
        raise ApiError(400, {"error": "target_issue_iid is missing"})
    target_project = call.service.find_project(str(target_ref), call.user)
    target = call.service.find_issue(target_project, str(target_iid))
    link_type = call.params.get("link_type")
    link = call.service.link_issues(
        call.actor(), issue, target, str(link_type) if link_type else None
    )
    return json_reply(201, _link_body(call, link.source_id, link.target_id, link.link_type))


def delete_link(call: Call) -> Reply:
    project = call.project()
    link = call.service.unlink_issues(call.actor(), call.issue(project), call.args["link_id"])
    return json_reply(200, _link_body(call, link.source_id, link.target_id, link.link_type))


def _link_body(call: Call, source_id: int, target_id: int, link_type: str) -> dict[str, Any]:
    return {
        "source_issue": call.render.issue_basic(call.store.issues[source_id]),
        "target_issue": call.render.issue_basic(call.store.issues[target_id]),
        "link_type": link_type,
    }


# -- the table ---------------------------------------------------------------------


def _route(method: str, path: str, handler: Handler, *, auth: bool = True) -> Route:
    return Route(method, tuple(path.strip("/").split("/")), handler, auth)


_ISSUE = "projects/:id/issues/:iid"
ROUTES: tuple[Route, ...] = (
    _route("GET", "user", get_current_user),
    _route("GET", "users", list_users, auth=False),
    _route("GET", "users/:user_id", get_user, auth=False),
    _route("GET", "projects/:id", get_project, auth=False),
    _route("GET", "projects/:id/members", list_members),
    _route("GET", "projects/:id/members/all", list_members),
    _route("GET", "projects/:id/members/:user_id", get_member),
    _route("GET", "projects/:id/members/all/:user_id", get_member),
    _route("GET", "projects/:id/labels", list_labels),
    _route("POST", "projects/:id/labels", create_label),
    _route("GET", "projects/:id/labels/:label_id", get_label),
    _route("GET", "projects/:id/issues", list_issues, auth=False),
    _route("POST", "projects/:id/issues", create_issue),
    _route("GET", _ISSUE, get_issue, auth=False),
    _route("PUT", _ISSUE, update_issue),
    _route("DELETE", _ISSUE, delete_issue),
    _route("GET", f"{_ISSUE}/notes", list_notes),
    _route("POST", f"{_ISSUE}/notes", create_note),
    _route("GET", f"{_ISSUE}/notes/:note_id", get_note),
    _route("PUT", f"{_ISSUE}/notes/:note_id", update_note),
    _route("DELETE", f"{_ISSUE}/notes/:note_id", delete_note),
    _route("GET", f"{_ISSUE}/participants", list_participants, auth=False),
    _route("GET", f"{_ISSUE}/closed_by", list_merge_requests, auth=False),
    _route("GET", f"{_ISSUE}/related_merge_requests", list_merge_requests, auth=False),
    _route("GET", f"{_ISSUE}/links", list_links),
    _route("POST", f"{_ISSUE}/links", create_link),
    _route("DELETE", f"{_ISSUE}/links/:link_id", delete_link),
    _route("GET", f"{_ISSUE}/resource_label_events", list_label_events),
    _route("GET", f"{_ISSUE}/resource_label_events/:event_id", get_label_event),
    _route("GET", f"{_ISSUE}/resource_state_events", list_state_events),
)


def find_route(method: str, segments: list[str]) -> tuple[Route | None, dict[str, str], bool]:
    """(route, path arguments, whether the path exists for another method)."""
    path_exists = False
    wanted = "GET" if method == "HEAD" else method
    for route in ROUTES:
        args = route.match(segments)
        if args is None:
            continue
        if route.method == wanted:
            return route, args, True
        path_exists = True
    return None, {}, path_exists


# The project hooks API lives in its own module, which builds on this one.
from automation.sandbox import hooks  # noqa: E402

ROUTES = (*ROUTES, *hooks.routes(_route))
