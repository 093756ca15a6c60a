"""Every hidden HTML comment salesbot writes or reads, defined in one place.

GitLab renders `<!-- ... -->` as nothing, so these carry the bot's state in
issues and notes without people seeing it. Each kind has its pattern, the
function that writes it and the one that reads it back here (the marker's
are in `automation.marker`, with the key encoding, and re-exported here);
no other module spells one.

- `<!-- salesbot:marker workflow=W key=K version=N -->`, a bot issue's last
  line: its workflow and business key;
- `<!-- task:KEY -->` on a checklist item: its stable key (a keyed box line,
  `KEYED_BOX_LINE_RE`, is how the applier keeps a person's ticks);
- `<!-- offered:GEN -->` before a dashboard box's task key
  (`dashboard.<extend|waive|reassign|escalate>.<iid>`): which offer of the box a tick
  answers;
- `<!-- salesbot:nudge date=D -->` in a bot note: a reminder sent (or, with
  `waived`, skipped) on D;
- `<!-- salesbot:waived by=USER -->`: a manager waived the nudge from the
  dashboard, which counts as activity, not as a nudge;
- `<!-- salesbot:complete fp=FP -->`: the completion summary written for
  checklist fingerprint FP;
- `<!-- salesbot:dashboard-action id=.. kind=.. -->`: a dashboard request
  already carried out;
- `<!-- salesbot:unattributed key=.. date=D done=yes|no -->` on the dashboard:
  a tick GitLab did not credit, explained until it expires;
- `<!-- salesbot:attention {JSON} -->` on the dashboard: the last run's
  failures (`automation.attention`);
- `<!-- salesbot:history {JSON} -->` on the dashboard: weekly figures and
  what later runs cannot recover (`automation.report.history`);
- `<!-- salesbot:roll-call {JSON} -->` on the dashboard: what the bot last
  read of each Give Back roll-call issue (when, and who ticked their own box)
  and the adoption flags already posted (`automation.adoption`);
- `<!-- salesbot:adoption-flag id=KEY@YYYY-MM -->` in a note on a Give Back
  issue: the manager was told it is under target two months running;
- `<!-- owner:USER -->` on its own line under a checklist heading: who owns
  that section's items (nudges for them go to USER); at the end of one
  checklist item's line, who owns that item.

A completion, nudge or dashboard-action note is posted once (`automation.once`):
`once_markers` names what it says.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from typing import Any

from automation.marker import Marker, find

__all__ = ["Marker", "find"]  # the issue marker lives in automation.marker

# Any HTML comment (to strip them from text shown or compared).
COMMENT_RE = re.compile(r"<!--.*?-->", re.DOTALL)

# -- task keys -------------------------------------------------------------------

_TASK_KEY_CHARS = r"[A-Za-z0-9._-]+"
TASK_KEY_RE = re.compile(rf"<!--\s*task:({_TASK_KEY_CHARS})\s*-->")
# A keyed checklist line: its box (`head`, the mark, `tail`) and its task key.
KEYED_BOX_LINE_RE = re.compile(
    rf"^(?P<head>\s*[-*+] \[)[ xX](?P<tail>\] .*<!--\s*task:(?P<key>{_TASK_KEY_CHARS})\s*-->.*)$"
)


def task_key(key: str) -> str:
    return f"<!-- task:{key} -->"


# -- dashboard boxes ---------------------------------------------------------------

OFFERED_BOX_RE = re.compile(
    r"<!-- offered:(?P<offered>[0-9.-]+) --> <!-- task:(?P<key>dashboard\.\w+\.\d+) -->"
)
# A box's hidden comments at the end of a tick note's text, with or without
# their delimiters (GitLab.com keeps only a comment's inner text).
HIDDEN_AT_END_RE = re.compile(
    r"\s*(?:<!--\s*)?(?P<name>task|offered):(?P<value>[A-Za-z0-9._:-]+)(?:\s*-->)?\s*$"
)


# A dashboard action box's task key: `dashboard.<kind>.<iid>`.
DASHBOARD_BOX_KEY_RE = re.compile(r"^dashboard\.(extend|waive|reassign|escalate)\.(\d+)$")


def offered_box(offered: str, key: str) -> str:
    """The trailer of a dashboard box: `OFFERED_BOX_RE` reads it back."""
    return f"<!-- offered:{offered} --> {task_key(key)}"


def offered_boxes(description: str) -> dict[str, str]:
    """The offer of each dashboard box in `description`, by task key."""
    return {m["key"]: m["offered"] for m in OFFERED_BOX_RE.finditer(description)}


def hidden_at_end(text: str) -> re.Match[str] | None:
    """The last `task:`/`offered:` comment ending `text` (see `HIDDEN_AT_END_RE`)."""
    return HIDDEN_AT_END_RE.search(text)


# -- nudges and waivers -------------------------------------------------------------

NUDGE_RE = re.compile(r"<!-- salesbot:nudge date=(\d{4}-\d{2}-\d{2}) -->")
WAIVED_RE = re.compile(r"<!-- salesbot:waived by=")


def nudge(day: date) -> str:
    return f"<!-- salesbot:nudge date={day.isoformat()} -->"


def nudge_date(body: str) -> date | None:
    """The date of the nudge a note records, or None."""
    match = NUDGE_RE.search(body)
    return date.fromisoformat(match[1]) if match else None


def waived(by: str) -> str:
    return f"<!-- salesbot:waived by={by} -->"


def is_waived(body: str) -> bool:
    return WAIVED_RE.search(body) is not None


# -- completion ----------------------------------------------------------------------

COMPLETE_RE = re.compile(r"<!-- salesbot:complete fp=([0-9a-f]{12}) -->")


def completion(fingerprint: str) -> str:
    return f"<!-- salesbot:complete fp={fingerprint} -->"


def completion_fingerprint(body: str) -> str | None:
    match = COMPLETE_RE.search(body)
    return match[1] if match else None


# -- dashboard actions and notices ----------------------------------------------------

DASHBOARD_ACTION_RE = re.compile(r"<!-- salesbot:dashboard-action (?P<fields>[^>]*?) -->")
UNATTRIBUTED_RE = re.compile(
    r"<!-- salesbot:unattributed key=(?P<key>dashboard\.\w+\.\d+) "
    r"date=(?P<date>\d{4}-\d{2}-\d{2}) done=(?P<done>yes|no) -->"
)


def dashboard_action(**fields: str) -> str:
    """`<!-- salesbot:dashboard-action id=.. kind=.. ... -->`, fields in the given order."""
    return f"<!-- salesbot:dashboard-action {' '.join(f'{k}={v}' for k, v in fields.items())} -->"


def dashboard_actions(body: str) -> Iterator[dict[str, str]]:
    """The fields of every dashboard-action trailer in `body`."""
    for match in DASHBOARD_ACTION_RE.finditer(body):
        yield dict(part.split("=", 1) for part in match["fields"].split() if "=" in part)


def unattributed(key: str, day: date, done: bool) -> str:
    return (
        f"<!-- salesbot:unattributed key={key} date={day.isoformat()} "
        f"done={'yes' if done else 'no'} -->"
    )


def unattributed_notices(description: str) -> Iterator[tuple[str, date, bool]]:
    """(key, date, done) of every unattributed-tick notice in `description`."""
    for m in UNATTRIBUTED_RE.finditer(description):
        yield m["key"], date.fromisoformat(m["date"]), m["done"] == "yes"


# -- notes that must exist once (automation.once) -----------------------------------

# The prefix of a completion, nudge or dashboard-action comment, with its
# identifying field: two notes with the same ones say the same thing.
ONCE_RE = re.compile(
    r"<!-- salesbot:(?:complete fp=[0-9a-f]+|nudge date=[^ >]+|dashboard-action id=[^ >]+"
    r"|adoption-flag id=[^ >]+)"
)


def once_markers(body: str) -> tuple[str, ...]:
    """`body`'s once-markers, in order; empty for an ordinary note."""
    return tuple(ONCE_RE.findall(body))


# -- the dashboard's history ----------------------------------------------------------

HISTORY_START = "<!-- salesbot:history "
HISTORY_RE = re.compile(r"<!-- salesbot:history (.*?) -->", re.DOTALL)


def history(payload: str) -> str:
    """The history block around its JSON; the caller escapes `<`, `>` and `@`."""
    return f"{HISTORY_START}{payload} -->"


def history_text(description: str) -> str | None:
    """The JSON text of the history block; None without one, "" for a block a
    person left unclosed."""
    if HISTORY_START not in description:
        return None
    match = HISTORY_RE.search(description)
    return match[1] if match else ""


# -- the attention section's data ------------------------------------------------------

ATTENTION_RE = re.compile(r"<!-- salesbot:attention (\{.*?\}) -->")


def _json_comment(kind: str, payload: Mapping[str, Any], escaped: str = "<>@", **dumps: Any) -> str:
    """`payload` as one `<!-- salesbot:KIND {JSON} -->` comment. `<`, `>` and `@`
    (and any other `escaped`) are JSON-escaped, so no text in it can close the
    comment early, open markup or mention anyone."""
    text = json.dumps(payload, ensure_ascii=False, sort_keys=True, **dumps)
    for char in escaped:
        text = text.replace(char, f"\\u{ord(char):04x}")
    return f"<!-- salesbot:{kind} {text} -->"


def _json_payload(pattern: re.Pattern[str], description: str) -> Any:
    """The JSON the first comment `pattern` finds carries, or None (none there, or mangled)."""
    match = pattern.search(description)
    if match is None:
        return None
    try:
        return json.loads(match[1])
    except ValueError:
        return None


def attention(payload: Mapping[str, Any]) -> str:
    return _json_comment("attention", payload)


def attention_payload(description: str) -> Any:
    """The JSON an attention comment carries, or None (none there, or mangled)."""
    return _json_payload(ATTENTION_RE, description)


# -- section owners ---------------------------------------------------------------------

# A template renders it on the line after a section's heading. The sweep reads
# only the issue listing, so the owner must live in the description itself.
SECTION_OWNER_RE = re.compile(r"^[ \t]*<!--\s*owner:([A-Za-z0-9_.][A-Za-z0-9_.-]*)\s*-->[ \t]*$")
HEADING_RE = re.compile(r"^ {0,3}#{1,6}(?:[ \t]|$)")


def section_owner(username: str) -> str:
    return f"<!-- owner:{username} -->"


def section_owners(description: str) -> dict[int, str]:
    """{1-based line of a heading: its owner}, for headings followed (before
    any other heading) by an owner comment line."""
    found: dict[int, str] = {}
    heading: int | None = None
    for number, line in enumerate(_lines(description), start=1):
        if HEADING_RE.match(line):
            heading = number
            continue
        match = SECTION_OWNER_RE.match(line)
        if match and heading is not None and heading not in found:
            found[heading] = match[1]
    return found


ITEM_OWNER_RE = re.compile(r"<!--\s*owner:([A-Za-z0-9_.][A-Za-z0-9_.-]*)\s*-->")


def owners_of_lines(description: str, lines: Iterable[int]) -> dict[int, str]:
    """{line: owner} for the given 1-based lines of checklist items: the owner
    comment on the item's own line, else its section's (the nearest heading
    above it). Lines with neither are left out (the caller falls back to the
    issue's assignees). One pass over the description."""
    text = _lines(description)
    sections = section_owners(description)
    found: dict[int, str] = {}
    wanted = sorted(set(lines))
    heading: int | None = None
    position = 0
    for number in wanted:
        while position < min(number - 1, len(text)):
            position += 1
            if HEADING_RE.match(text[position - 1]):
                heading = position
        if not 1 <= number <= len(text):
            continue
        own = ITEM_OWNER_RE.search(text[number - 1])
        owner = own[1] if own else sections.get(heading) if heading is not None else None
        if owner:
            found[number] = owner
    return found


def _lines(description: str) -> list[str]:
    # line numbers as the checklist reader counts them (`TaskItem.line`): only
    # "\n" ends a line (str.splitlines also splits at U+2028 and others)
    return [line.removesuffix("\r") for line in description.split("\n")]


# -- an opportunity's facts from the CRM export ------------------------------------------

# On a consult or LDR, the line before the marker: the deal's iACV, segment,
# close date and stage as the export had them, so the report needs no CSV.
# The listing keeps this line with the marker (`automation.index.Listing`).
FACTS_RE = re.compile(r"^<!-- salesbot:facts (\{[^\n]*?\}) -->$", re.MULTILINE)


def facts(payload: Mapping[str, Any]) -> str:
    """`payload` as one HTML comment line, escaped as `attention` is (an export
    cell cannot close the comment, open markup or mention anyone)."""
    return _json_comment("facts", payload, escaped="<>@\n\r")


def facts_comment(description: str) -> str | None:
    """The last facts line of `description` as written, or None."""
    if "salesbot:facts" not in description:  # most issues: no regex scan
        return None
    lines = FACTS_RE.findall(description)
    return f"<!-- salesbot:facts {lines[-1]} -->" if lines else None


def facts_payload(description: str) -> dict[str, Any] | None:
    """The JSON the last facts line carries, or None (none there, or mangled)."""
    line = facts_comment(description)
    if line is None:
        return None
    match = FACTS_RE.match(line)
    assert match is not None
    try:
        found = json.loads(match[1])
    except ValueError:
        return None
    return found if isinstance(found, dict) else None


def with_facts(description: str, payload: Mapping[str, Any]) -> str:
    """`description` carrying `payload` as its facts line: the old line
    replaced in place, else a new one right before the marker (the last line)."""
    line = facts(payload)
    old = facts_comment(description)
    if old is not None:
        at = description.rfind(old)
        return description[:at] + line + description[at + len(old) :]
    marker = find(description)
    if marker is None:
        return description.rstrip("\n") + "\n" + line + "\n"
    at = description.rfind(marker.render())
    if at < 0:  # a marker spelt with other spacing: the facts go last
        return description.rstrip("\n") + "\n" + line + "\n"
    return description[:at] + line + "\n" + description[at:]


# -- Give Back roll-calls (automation.adoption) ---------------------------------------

ROLL_CALL_RE = re.compile(r"<!-- salesbot:roll-call (\{.*?\}) -->")
ADOPTION_FLAG_RE = re.compile(r"<!-- salesbot:adoption-flag id=(?P<id>[^ >]+) -->")


def roll_call_record(payload: Mapping[str, Any]) -> str:
    """What the bot read of the roll-call issues, as one HTML comment (escaped
    as `attention` is: no `<`, `>` or `@` in it)."""
    return _json_comment("roll-call", payload, separators=(",", ":"))


def roll_call_payload(description: str) -> Any:
    """The JSON a roll-call record carries, or None (none there, or mangled)."""
    return _json_payload(ROLL_CALL_RE, description)


def adoption_flag(flag_id: str) -> str:
    return f"<!-- salesbot:adoption-flag id={flag_id} -->"
