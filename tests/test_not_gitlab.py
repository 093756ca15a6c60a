"""A GITLAB_URL that answers with a web page, not GitLab's API: a single sign-on
login page (status 200, often after a redirect) or a proxy's error page (nginx's
502). Every command that talks to GitLab says so in one line on stderr and
exits 2: no traceback, no page pasted into the message."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from automation.cli import main
from tests.e2e import ROOT, TEAM

LOGIN_PAGE = (
    "<!DOCTYPE html>\n<html lang='en'>\n<head>\n<meta charset='utf-8'>\n"
    "<title>Sign in · Example Corp SSO</title>\n"
    + "".join(f"<link rel='stylesheet' href='/assets/{n}.css'>\n" for n in range(20))
    + "</head>\n<body>\n<form method='post' action='/login'>\n"
    + "".join(f"<div class='field'><input name='f{n}'></div>\n" for n in range(30))
    + "</form>\n</body>\n</html>\n"
)
# nginx's own page when GitLab (Puma/Workhorse) behind it is down
NGINX_502 = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.25.3</center>\r\n"
    "</body>\r\n</html>\r\n"
)


def login_page(request: Request) -> Response:
    return Response(LOGIN_PAGE, 200, content_type="text/html; charset=utf-8")


def redirect_to_login(request: Request) -> Response:
    if request.path != "/users/sign_in":
        return Response("", 302, headers={"Location": "/users/sign_in"})
    return login_page(request)


def bad_gateway(request: Request) -> Response:
    # GitLab's client retries a 502 (python-gitlab: five times, backing off up
    # to 1.6 s); Retry-After: 0 keeps those retries but not the wait
    return Response(NGINX_502, 502, content_type="text/html", headers={"Retry-After": "0"})


def plain_text_page(request: Request) -> Response:
    # some proxies send their pages as text/plain
    return Response(LOGIN_PAGE, 200, content_type="text/plain")


@pytest.fixture(
    scope="module", params=[login_page, redirect_to_login, bad_gateway, plain_text_page]
)
def web_server(request: pytest.FixtureRequest) -> Iterator[tuple[str, str]]:
    """A web server that is not GitLab, and what the one line must say."""
    handler: Callable[[Request], Response] = request.param

    @Request.application  # type: ignore[arg-type]
    def app(http: Request) -> Response:
        return handler(http)

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    expected = (
        "answered 502 with an HTML page titled '502 Bad Gateway'"
        if handler is bad_gateway
        else "answered 200 with an HTML page titled 'Sign in · Example Corp SSO'"
    )
    yield f"http://127.0.0.1:{server.server_port}", expected
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "config" / "salesbot.yml", tmp_path / "salesbot.yml")
    (tmp_path / "team.yml").write_text(TEAM.replace("GRACE_STATUS", "active"), encoding="utf-8")
    (tmp_path / "handovers.csv").write_text(
        "account,account_id,from,to,effective_date,reason,opportunities\n"
        "Acme Corp,ACC-1,bob,carol,2026-12-03,territory realignment,\n",
        encoding="utf-8",
    )
    (tmp_path / "opportunities.csv").write_text(
        "id,name,account,owner,segment,iacv,amount,close_date,stage\n"
        "A1,Platform,Acme,bob,SMB,12000,36000,2027-02-15,3-Technical Evaluation\n",
        encoding="utf-8",
    )
    return tmp_path / "salesbot.yml"


# every command that talks to GitLab ({dir}: the config's directory)
COMMANDS = [
    ["handover", "open", "--account", "Acme", "--from", "bob", "--to", "carol"],
    ["handover", "import", "{dir}/handovers.csv"],
    ["onboard", "sync"],
    ["consults", "sync", "--opportunities", "{dir}/opportunities.csv"],
    ["sweep"],
    ["run"],
    ["run", "--dry-run"],
    ["dashboard"],
    ["report", "--format", "json"],
    ["notify", "--dry-run"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_web_page_instead_of_gitlab_is_one_line_and_exit_2(
    command: list[str],
    web_server: tuple[str, str],
    config: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, expected = web_server
    monkeypatch.setenv("GITLAB_URL", url)
    monkeypatch.setenv("GITLAB_TOKEN", "glpat-not-a-real-token")
    monkeypatch.setenv("SALESBOT_PROJECT", "sales/salesbot")
    args = [a.replace("{dir}", str(config.parent)) for a in command]
    code = main(["--config", str(config), "--today", "2026-12-03", *args])
    out, err = capsys.readouterr()
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("salesbot: error: ") and expected in lines[0]
    assert "GITLAB_URL" in lines[0]
    assert "Traceback" not in out + err and "<" not in lines[0]
    assert "glpat-not-a-real-token" not in out + err


def test_an_html_error_body_is_summarised_in_any_gitlab_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], config: Path
) -> None:
    """A 404 page from a web server at the wrong address names its title, not its HTML."""

    @Request.application  # type: ignore[arg-type]
    def app(http: Request) -> Response:
        return Response(NGINX_502.replace("502 Bad Gateway", "404 Not Found"), 404,
                        content_type="text/html")  # fmt: skip

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        monkeypatch.setenv("GITLAB_URL", f"http://127.0.0.1:{server.server_port}")
        monkeypatch.setenv("GITLAB_TOKEN", "glpat-not-a-real-token")
        code = main(["--config", str(config), "sweep"])
    finally:
        server.shutdown()
        thread.join(timeout=5)
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "answered 404 with an HTML page titled '404 Not Found'" in err
