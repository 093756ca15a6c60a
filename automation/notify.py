"""The weekly digest, posted to a Slack incoming webhook (optional, off by default).

`salesbot notify` posts it when `SALESBOT_SLACK_WEBHOOK` is set (in CI a
masked CI/CD variable; a weekly pipeline schedule with `SALESBOT_TASK=notify`
runs it). The webhook URL is a secret: it is never printed and never part of
a message, not even the host. A failing webhook never fails the run:
`deliver` reports what went wrong instead of raising, and the CLI warns and
exits 0.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from automation.adoption import month_title
from automation.report import STATUS_TEXT, Row, Snapshot
from automation.report.markdown import days_words, more_words, overdue_rows, totals_words
from automation.report.rollups import Rollup, by_manager

WEBHOOK_VARIABLE = "SALESBOT_SLACK_WEBHOOK"
DEFAULT_TIMEOUT = 10.0
OVERDUE_LIMIT = 10
# a Slack section holds at most 3,000 characters: the managers most behind
MANAGER_LIMIT = 20


def webhook_from_env(env: Mapping[str, str]) -> str | None:
    """The webhook URL, or None when notifications are off."""
    return env.get(WEBHOOK_VARIABLE, "").strip() or None


def _slack(text: str) -> str:
    """Slack mrkdwn treats only &, < and > as control characters
    (https://api.slack.com/reference/surfaces/formatting#escaping); escaping
    them also keeps `<!channel>` and `<@U123>` mentions out of untrusted text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _link(url: str, text: str) -> str:
    if not url.startswith(("https://", "http://")):
        return _slack(text)
    return f"<{_slack(url)}|{_slack(text).replace('|', '¦')}>"


def _overdue_line(row: Row) -> str:
    owner = row.owner.name if row.owner else "unassigned"
    phase = f", {row.phase}" if row.phase else ""
    late = f", {days_words(row.days_overdue)} overdue" if row.days_overdue else ""
    return (
        f"• {_link(row.url, f'#{row.iid} {row.title}')}: {_slack(owner)}, "
        f"due {row.due}{late}{_slack(phase)}"
    )


def rollup_words(found: Rollup) -> str:
    """One manager's figures in words (plain text: the caller escapes for Slack)."""
    words = f"{found.open} open, {found.overdue} overdue"
    if found.overdue:
        words += (
            f" (oldest {days_words(found.oldest_days_overdue)}, "
            f"{days_words(found.total_days_overdue)} in all)"
        )
    share = found.on_time
    if share is not None:
        words += f", {int(share * 100)}% completed on time"
    return words


def _manager_lines(snapshot: Snapshot) -> list[str]:
    """Per manager, most behind first (mrkdwn: `*bold*`, names escaped)."""
    lines = []
    managers = by_manager(snapshot)
    for found in managers[:MANAGER_LIMIT]:
        name = found.person.name if found.person else "No manager"
        lines.append(f"• *{_slack(name)}*: {_slack(rollup_words(found))}")
    if len(managers) > MANAGER_LIMIT:
        lines.append(more_words(len(managers) - MANAGER_LIMIT))
    return lines


def _adoption_lines(snapshot: Snapshot) -> list[str]:
    """Give Back adoption, last complete month per project: under-target ones
    (two months running) first, as the dashboard flags them."""
    found = snapshot.give_back_adoption
    if found is None:
        return []
    lines = []
    for project in sorted(found.projects, key=lambda p: (not p.flagged, p.title)):
        done = [m for m in project.months if m.complete]
        if not done:
            continue
        last = done[-1]
        words = (
            f"{int(last.rate * 100)}% of {last.members} used it in {month_title(last.month)}"
            f" (target {int(found.target * 100)}%)"
        )
        flag = " :warning: under target two months running" if project.flagged else ""
        lines.append(f"• {_link(project.url, project.title)}: {_slack(words)}{flag}")
    return lines[:MANAGER_LIMIT]


def digest(
    snapshot: Snapshot, *, title: str = "salesbot weekly digest", dashboard_url: str | None = None
) -> dict[str, Any]:
    """The Slack message: per-workflow figures, then the overdue issues."""
    figures = []
    for totals in snapshot.totals():
        figures.append(f"*{_slack(totals.title)}*: {totals_words(totals)}")
    overdue = overdue_rows(snapshot)
    lines = [_overdue_line(r) for r in overdue[:OVERDUE_LIMIT]]
    if len(overdue) > OVERDUE_LIMIT:
        lines.append(more_words(len(overdue) - OVERDUE_LIMIT))
    heading = f"{title}: {snapshot.project}, {snapshot.today}"
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": heading[:150]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(figures)}},
    ]
    managers = _manager_lines(snapshot)
    if managers:
        team = "\n".join(["*By manager*", *managers])
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": team}})
    adoption = _adoption_lines(snapshot)
    if adoption:
        used = "\n".join(["*Give Back adoption*", *adoption])
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": used}})
    behind = f"*{STATUS_TEXT['overdue'].capitalize()}* ({len(overdue)})"
    if lines:
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join([behind, *lines])}}
        )
    else:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "Nothing overdue."}})
    if dashboard_url:
        blocks.append(
            {
                "type": "context",
                "elements": [
                    {"type": "mrkdwn", "text": _link(dashboard_url, "Open the dashboard")}
                ],
            }
        )
    text = "\n".join(
        [
            _slack(heading),
            *figures,
            *(["*By manager*", *managers] if managers else []),
            *(["*Give Back adoption*", *adoption] if adoption else []),
            *([behind, *lines] if lines else []),
        ]
    )
    return {"text": text, "blocks": blocks}


@dataclass(frozen=True)
class Delivery:
    """What became of a post. `detail` never contains the webhook URL."""

    ok: bool
    detail: str


def deliver(url: str, message: Mapping[str, Any], *, timeout: float = DEFAULT_TIMEOUT) -> Delivery:
    """POST the message as JSON. Never raises for a webhook problem."""
    if not url.startswith(("https://", "http://")):
        return Delivery(False, f"{WEBHOOK_VARIABLE} is not an http(s) URL")
    request = urllib.request.Request(
        url,
        data=json.dumps(message).encode(),
        headers={"Content-Type": "application/json; charset=utf-8"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status = int(response.status)
    except urllib.error.HTTPError as exc:
        return Delivery(False, f"the webhook answered {exc.code}")
    except urllib.error.URLError as exc:
        reason = exc.reason
        kind = type(reason).__name__ if isinstance(reason, BaseException) else "unreachable"
        return Delivery(False, f"could not reach the webhook ({kind})")
    except (TimeoutError, OSError) as exc:
        return Delivery(False, f"could not reach the webhook ({type(exc).__name__})")
    if not 200 <= status < 300:
        return Delivery(False, f"the webhook answered {status}")
    return Delivery(True, "delivered")
