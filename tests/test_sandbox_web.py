"""The sandbox's web pages and webhooks, over plain HTTP: an issue's web URL
opens a readable page, a signed-in person ticks boxes there, and the project's
hooks receive GitLab's Issue Hook and Note Hook deliveries."""

from __future__ import annotations

import html
import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests
from gitlab.v4.objects import Project
from requests.structures import CaseInsensitiveDict

from automation.sandbox import Sandbox
from automation.sandbox.hook_sender import TEMPORARY_AFTER

DESCRIPTION = "Intro <script>alert(1)</script>\n\n- [ ] first step\n- [ ] second step\n"


class Receiver:
    """A stand-in for a webhook receiver that records what GitLab sent."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.got: list[tuple[CaseInsensitiveDict[str], dict[str, Any]]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.got.append((CaseInsensitiveDict(dict(self.headers)), json.loads(body)))
                self.send_response(outer.status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/webhook"

    def events(self) -> list[tuple[str, str]]:
        return [
            (h["X-Gitlab-Event"], b["object_attributes"].get("action", "")) for h, b in self.got
        ]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.server.shutdown()


def _signed_in(sandbox: Sandbox, username: str) -> requests.Session:
    session = requests.Session()
    answer = session.post(
        f"{sandbox.url}/-/sign_in", data={"username": username, "next": "/"}, timeout=10
    )
    assert answer.ok
    return session


def _boxes(page: str) -> list[tuple[str, str, bool]]:
    found = re.findall(
        r'<input type="checkbox" class="task" data-line="(\d+)" data-source="([^"]*)"( checked)?',
        page,
    )
    return [(line, html.unescape(source), bool(checked)) for line, source, checked in found]


def _tick(session: requests.Session, url: str, line: str, source: str, checked: bool) -> int:
    page = session.get(url, timeout=10).text
    csrf = re.search(r'const csrf = "([0-9a-f]+)"', page)
    assert csrf is not None
    data = {
        "csrf": csrf.group(1),
        "line": line,
        "source": source,
        "checked": "1" if checked else "0",
    }
    return session.post(f"{url}/toggle_task", data=data, timeout=10).status_code


def test_an_issue_web_url_opens_a_readable_page_after_sign_in(
    sandbox: Sandbox, project: Project
) -> None:
    sandbox.add_user("dana", "Dana Scully")
    issue = project.issues.create(
        {"title": "Hand over <Globex>", "description": DESCRIPTION, "labels": "handover"}
    )
    issue.notes.create({"body": "**Done** soon"})
    anonymous = requests.get(issue.web_url, timeout=10)
    assert anonymous.status_code == 401 and 'name="username"' in anonymous.text  # private project
    page = _signed_in(sandbox, "dana").get(issue.web_url, timeout=10)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    text = page.text
    assert "Hand over &lt;Globex&gt;" in text and "<Globex>" not in text
    assert "<script>alert" not in text  # raw HTML in a description is omitted, as GitLab does
    assert "handover" in text and "0 of 2 checklist items completed" in text
    assert "<strong" in text and "Done</strong>" in text  # the note, rendered
    assert "@dana" in text
    assert [(s, c) for _, s, c in _boxes(text)] == [
        ("- [ ] first step", False),
        ("- [ ] second step", False),
    ]


def test_the_project_issue_list_links_every_issue(sandbox: Sandbox, project: Project) -> None:
    first = project.issues.create({"title": "first"})
    second = project.issues.create({"title": "second"})
    second.state_event = "close"
    second.save()
    session = _signed_in(sandbox, "salesbot")
    listing = session.get(f"{sandbox.url}/{sandbox.project_path}/-/issues", timeout=10)
    assert listing.status_code == 200
    assert f"/-/issues/{first.iid}" in listing.text and "second" not in listing.text
    closed = session.get(f"{sandbox.url}/{sandbox.project_path}/-/issues?state=closed", timeout=10)
    assert "second" in closed.text and "first<" not in closed.text
    root = session.get(sandbox.url, timeout=10)
    assert root.url.endswith(f"/{sandbox.project_path}/-/issues")
    assert (
        session.get(f"{sandbox.url}/{sandbox.project_path}/-/issues/999", timeout=10).status_code
        == 404
    )


def test_ticking_a_box_updates_the_description_and_credits_the_person(
    sandbox: Sandbox, project: Project
) -> None:
    sandbox.add_user("dana", "Dana Scully")
    issue = project.issues.create({"title": "t", "description": DESCRIPTION})
    session = _signed_in(sandbox, "dana")
    line, source, _ = _boxes(session.get(issue.web_url, timeout=10).text)[1]
    assert _tick(session, issue.web_url, line, source, True) == 200
    fresh = project.issues.get(issue.iid)
    assert "- [x] second step" in fresh.description and "- [ ] first step" in fresh.description
    notes = [(n.author["username"], n.body) for n in fresh.notes.list(all=True) if n.system]
    assert ("dana", "marked the checklist item **second step** as completed") in notes
    # a stale page (the line changed since) is refused, as GitLab answers 409
    assert _tick(session, issue.web_url, line, "- [ ] second step, edited", False) == 409
    line, source, checked = _boxes(session.get(issue.web_url, timeout=10).text)[1]
    assert checked
    assert _tick(session, issue.web_url, line, source, False) == 200
    system = [n.body for n in project.issues.get(issue.iid).notes.list(all=True) if n.system]
    assert "marked the checklist item **second step** as incomplete" in system


def test_ticking_needs_a_signed_in_person_and_the_page_token(
    sandbox: Sandbox, project: Project
) -> None:
    issue = project.issues.create({"title": "t", "description": DESCRIPTION})
    data = {"line": "3", "source": "- [ ] first step", "checked": "1"}
    assert requests.post(f"{issue.web_url}/toggle_task", data=data, timeout=10).status_code == 401
    session = _signed_in(sandbox, "salesbot")
    answer = session.post(f"{issue.web_url}/toggle_task", data={**data, "csrf": "x"}, timeout=10)
    assert answer.status_code == 422
    assert project.issues.get(issue.iid).description.count("[ ]") == 2
    unknown = requests.post(f"{sandbox.url}/-/sign_in", data={"username": "nobody"}, timeout=10)
    assert unknown.status_code == 401 and "No user @nobody" in unknown.text


def test_the_sandbox_sends_issue_and_note_hooks_as_gitlab_does(
    sandbox: Sandbox, project: Project, receiver: Receiver
) -> None:
    hook = project.hooks.create(
        {"url": receiver.url, "token": "s3cret", "issues_events": True, "note_events": True}
    )
    issue = project.issues.create({"title": "t", "description": DESCRIPTION})
    issue.labels = ["urgent"]
    issue.save()
    issue.notes.create({"body": "a comment"})
    issue.state_event = "close"
    issue.save()
    assert sandbox.hooks.idle()
    assert receiver.events() == [
        ("Issue Hook", "open"),
        ("Issue Hook", "update"),
        ("Note Hook", "create"),  # the comment only touches the issue: no Issue Hook
        ("Issue Hook", "close"),
    ]
    headers, body = receiver.got[1]
    assert headers["X-Gitlab-Token"] == "s3cret" and headers["X-Gitlab-Instance"] == sandbox.url
    assert all(headers.get(k) for k in ("X-Gitlab-Webhook-UUID", "X-Gitlab-Event-UUID"))
    assert body["object_kind"] == "issue" and body["user"]["username"] == "salesbot"
    assert body["changes"]["labels"]["current"][0]["title"] == "urgent"
    assert body["changes"]["labels"]["previous"] == []
    assert body["project"]["path_with_namespace"] == sandbox.project_path
    assert len({h["Idempotency-Key"] for h, _ in receiver.got}) == 4
    # system notes send no Note Hook; a hook without note events gets none
    project.hooks.update(hook.id, {"url": receiver.url, "note_events": False})
    issue.notes.create({"body": "another"})
    assert sandbox.hooks.idle() and len(receiver.got) == 4


def test_confidential_issues_go_only_to_hooks_that_want_them(
    sandbox: Sandbox, project: Project, receiver: Receiver
) -> None:
    project.hooks.create({"url": receiver.url, "issues_events": True})
    project.issues.create({"title": "secret", "confidential": True})
    assert sandbox.hooks.idle() and receiver.got == []
    project.hooks.create(
        {"url": receiver.url + "?c", "issues_events": False, "confidential_issues_events": True}
    )
    project.issues.create({"title": "secret 2", "confidential": True})
    assert sandbox.hooks.idle()
    assert receiver.events() == [("Confidential Issue Hook", "open")]
    assert receiver.got[0][1]["event_type"] == "confidential_issue"


def test_a_failing_hook_is_retried_with_the_same_key_then_disabled(
    sandbox: Sandbox, project: Project, receiver: Receiver
) -> None:
    sandbox.hooks.retry_delays = (0.01,) * (TEMPORARY_AFTER - 1)
    receiver.status = 500
    hook = project.hooks.create({"url": receiver.url, "issues_events": True})
    project.issues.create({"title": "t"})
    assert sandbox.hooks.idle()
    assert len(receiver.got) == TEMPORARY_AFTER
    assert len({h["Idempotency-Key"] for h, _ in receiver.got}) == 1
    assert len({h["X-Gitlab-Event-UUID"] for h, _ in receiver.got}) == 1
    shown = project.hooks.get(hook.id)
    assert shown.alert_status == "temporarily_disabled" and shown.disabled_until
    project.issues.create({"title": "while disabled"})
    assert sandbox.hooks.idle() and len(receiver.got) == TEMPORARY_AFTER  # skipped


def test_a_hook_that_recovers_is_executable_again(
    sandbox: Sandbox, project: Project, receiver: Receiver
) -> None:
    sandbox.hooks.retry_delays = (0.01, 0.01)
    receiver.status = 503
    hook = project.hooks.create({"url": receiver.url, "issues_events": True})
    project.issues.create({"title": "t"})
    assert sandbox.hooks.idle() and len(receiver.got) == 3
    receiver.status = 200
    project.issues.create({"title": "u"})
    assert sandbox.hooks.idle() and len(receiver.got) == 4
    assert project.hooks.get(hook.id).alert_status == "executable"
