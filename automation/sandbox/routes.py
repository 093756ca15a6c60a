"""The REST v4 endpoints and the route table: each handler authorises, calls
the write rules (`service`) or reads the store, and renders GitLab's JSON.

Requests and parameters are in `calls`, pagination in `pagination`, the issue
list filters in `issue_filters`.
"""

from __future__ import annotations

from typing import Any

from automation.sandbox.calls import Call, Handler, Reply, Route, json_reply
from automation.sandbox.issue_filters import filter_issues
from automation.sandbox.pagination import page_reply
from automation.sandbox.params import ApiError, not_found, to_bool
from automation.sandbox.store import Note

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
