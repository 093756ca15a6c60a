"""How salesbot reaches GitLab, apart from the adapter's calls: where GitLab is
(`Settings`, from the environment), what a request costs (`RequestStats`, the
`RateLimit-*` throttle) and how an answer is quoted in an error (an HTML page
from a proxy is summarised by its title, never shown)."""

from __future__ import annotations

import html
import os
import re
import threading
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests

from automation.errors import AuthError, GitLabError, InputError, NotFoundError

DEFAULT_URL = "https://gitlab.com"
# Seconds one request may wait for GitLab's answer (SALESBOT_REQUEST_TIMEOUT).
# A timed-out request is not retried: a GitLab that accepts connections and
# never answers fails in this long, not in (retries + 1) times it.
DEFAULT_TIMEOUT = 30.0
# GitLab's answer is quoted in error messages up to this length.
MAX_ANSWER = 300
_HTML_START = re.compile(rb"^\s*(<!doctype html|<html|<head|<body|<title|<h1|<center)", re.I)
_HTML_TITLE = re.compile(r"<(title|h1)[^>]*>(.*?)</\1\s*>", re.I | re.S)
_TAG = re.compile(r"<[^>]*>")


def looks_like_html(body: bytes | str, content_type: str = "") -> bool:
    """An HTML page rather than GitLab's JSON: by Content-Type, or by how the
    body starts (some proxies send their error pages as text/plain)."""
    if "html" in content_type.lower():
        return True
    head = body[:512].encode("utf-8", "replace") if isinstance(body, str) else body[:512]
    return _HTML_START.match(head) is not None


def html_summary(body: bytes | str) -> str:
    """An HTML page in a few words: its <title> (or first <h1>), e.g. `an HTML
    page titled '502 Bad Gateway'`, never the page itself."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    found = _HTML_TITLE.search(text)
    title = " ".join(html.unescape(_TAG.sub(" ", found[2])).split()) if found else ""
    return f"an HTML page titled '{title[:80]}'" if title else "an HTML page"


def answer_text(message: object) -> str:
    """GitLab's error message as one short line; an HTML body is summarised."""
    if isinstance(message, bytes | str) and looks_like_html(message):
        return html_summary(message)
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)
    text = " ".join(text.split())
    return text if len(text) <= MAX_ANSWER else f"{text[: MAX_ANSWER - 1]}…"


@dataclass(frozen=True)
class Settings:
    """Where GitLab is and who we are there. The token is never shown in repr."""

    url: str
    project: str
    token: str = field(repr=False)
    timeout: float = DEFAULT_TIMEOUT

    @property
    def host(self) -> str:
        return urlsplit(self.url).netloc or self.url

    @classmethod
    def from_env(
        cls,
        env: Mapping[str, str] | None = None,
        *,
        project: str | None = None,
        default_project: str | None = None,
    ) -> Settings:
        """Read GITLAB_URL (default CI_SERVER_URL, then gitlab.com), GITLAB_TOKEN, the
        project (argument, SALESBOT_PROJECT, CI_PROJECT_PATH, then the config's)
        and SALESBOT_REQUEST_TIMEOUT (seconds, default 30)."""
        env = os.environ if env is None else env
        url = env.get("GITLAB_URL") or env.get("CI_SERVER_URL") or DEFAULT_URL
        token = env.get("GITLAB_TOKEN", "").strip()
        if not token:
            raise InputError(
                "GITLAB_TOKEN is not set: create a token with the 'api' scope "
                "and export it as GITLAB_TOKEN"
            )
        chosen = (
            project or env.get("SALESBOT_PROJECT") or env.get("CI_PROJECT_PATH") or default_project
        )
        if not chosen:
            raise InputError(
                "no GitLab project: pass --project, set SALESBOT_PROJECT, "
                "or set gitlab.project in the config"
            )
        return cls(url=url.rstrip("/"), project=chosen, token=token, timeout=request_timeout(env))


def request_timeout(env: Mapping[str, str]) -> float:
    """SALESBOT_REQUEST_TIMEOUT in seconds (a positive number), default 30."""
    value = env.get("SALESBOT_REQUEST_TIMEOUT", "").strip()
    if not value:
        return DEFAULT_TIMEOUT
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0.0
    if not seconds > 0:
        raise InputError(f"SALESBOT_REQUEST_TIMEOUT: '{value}' is not a positive number of seconds")
    return seconds


class RequestTimedOut(requests.RequestException):
    """GitLab did not answer within the request timeout. Deliberately not a
    `requests.Timeout`: python-gitlab retries those (with
    retry_transient_errors), which multiplied a 30 s timeout into minutes."""


class RequestStats:
    """Counts every HTTP request python-gitlab sends (retries included), by kind,
    and remembers GitLab's last `RateLimit-Remaining` so writers can slow down
    before a 429 rather than after."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.by_method: Counter[str] = Counter()
        self.statuses: Counter[int] = Counter()
        self.rate_remaining: int | None = None
        self.rate_reset: float | None = None

    def record(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        with self._lock:
            self.by_method[response.request.method or "GET"] += 1
            self.statuses[response.status_code] += 1
            remaining = response.headers.get("RateLimit-Remaining")
            if remaining is not None and remaining.isdigit():
                self.rate_remaining = int(remaining)
                reset = response.headers.get("RateLimit-Reset", "")
                self.rate_reset = float(reset) if reset.isdigit() else None

    @property
    def total(self) -> int:
        return sum(self.by_method.values())

    @property
    def writes(self) -> int:
        return sum(n for method, n in self.by_method.items() if method not in ("GET", "HEAD"))


def wait_seconds(stats: RequestStats, *, floor: int = 10) -> float:
    """How long a writer should pause before its next request so it slows down
    before GitLab answers 429: zero while more than `floor` requests remain in
    the window, else the time until the window resets."""
    if stats.rate_remaining is None or stats.rate_remaining > floor:
        return 0.0
    if stats.rate_reset is None:
        return 1.0
    return max(0.0, stats.rate_reset - time.time())


def http_error(
    settings: Settings, what: str, code: int | None, raw: object, message: str
) -> GitLabError:
    """Our error for GitLab's answer `code` (its body `raw`, quoted as
    `message`, the token already scrubbed) to the request that tried to `what`."""
    if code and code >= 400 and isinstance(raw, bytes | str) and looks_like_html(raw):
        # a web server or proxy answered, not GitLab's API (which answers JSON)
        advice = (
            "GitLab, or a proxy in front of it, is failing: try again later and check GITLAB_URL"
            if code >= 500
            else "check GITLAB_URL (it must be GitLab itself, e.g. https://gitlab.example.com)"
        )
        return GitLabError(f"{settings.host} answered {code} with {message} to {what}: {advice}")
    if code == 404 and "Project" in message:
        return NotFoundError(
            f"project '{settings.project}' was not found on {settings.host}, "
            "or the token has no access to it (check --project / SALESBOT_PROJECT)"
        )
    if code == 404:
        return NotFoundError(f"GitLab at {settings.host}: not found while trying to {what}")
    if code == 403:
        return AuthError(
            f"GitLab at {settings.host} refused to {what} (403): the token's user "
            "needs at least Reporter access (Developer to write) and the 'api' scope"
        )
    status = f"{code}" if code else "an error"
    return GitLabError(f"GitLab at {settings.host} answered {status} to {what}: {message}")
