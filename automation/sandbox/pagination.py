"""Offset pagination as GitLab answers it: `page`/`per_page`, the `X-*` headers
and `Link`, and no totals past 10,000 items (reference §4)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from urllib.parse import urlencode

from automation.sandbox.calls import Call, Reply
from automation.sandbox.params import to_int

T = TypeVar("T")
MAX_PER_PAGE = 100
COUNT_LIMIT = 10_000  # Gitlab::Pagination::OffsetPagination::MAX_COUNT_LIMIT


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
