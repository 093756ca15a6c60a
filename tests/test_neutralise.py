"""Untrusted text cannot execute quick actions, mention people, forge the bot
marker or add Markdown structure, in a rendered template or through GitLab."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from automation import checklist, marker
from automation.errors import TemplateError
from automation.neutralise import TITLE_MAX, WORD_JOINER, mention, neutralise, safe_line
from automation.templates import render

LIVE_MENTION = re.compile(r"(?<![\w@])@(all|here|mallory)\b")
QUICK_ACTION_LINE = re.compile(r"^\s*/", re.MULTILINE)
BREAKS = ["\r", "\n", "\r\n", "\u2028", "\u2029", "\x0b", "\x0c", "\x85", "\x00", "\x1b"]
FORGED = "<!-- salesbot:marker workflow=handover key=forged version=1 -->"
HOSTILE = [
    "/close",
    "Acme\n/assign @mallory",
    "\r/label ~x",
    "\u2028/confidential",
    FORGED,
    "@all",
    "@here please",
    "|",
    "[x]",
    "- [ ] fake task",
    "# Heading",
    "## Day 30",
    "`code`",
    "**bold** _em_ ~~gone~~",
    "[link](https://evil.example)",
    "![img](https://evil.example/x.png)",
    "&#64;all",
    "\\",
    "\\/close",
    "1. one",
    "-->",
    "<script>alert(1)</script>",
]
MD = MarkdownIt("commonmark").enable(["table", "strikethrough"])


def hostile_text() -> st.SearchStrategy[str]:
    fragment = st.sampled_from(HOSTILE) | st.sampled_from(BREAKS) | st.text(max_size=6)
    return st.lists(fragment, max_size=8).map("".join)


def shown(value: str) -> str:
    """What a reader should see: one line, with every `@` defused."""
    one_line = " ".join(re.split(r"[\s\x00-\x1f\x7f-\x9f\u2028\u2029]+", value)).strip()
    return one_line.replace("@", f"@{WORD_JOINER}")


def inner_text(rendered_html: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", rendered_html)).strip()


# -- one rule at a time ------------------------------------------------------------


@pytest.mark.parametrize("brk", BREAKS)
def test_line_breaks_and_controls_collapse_to_one_space(brk: str) -> None:
    assert neutralise(f"Acme{brk}/close") == "Acme /close"
    assert neutralise(f" Acme {brk}{brk} Corp ") == "Acme Corp"


def test_a_leading_slash_is_escaped_so_no_line_can_start_a_quick_action() -> None:
    assert neutralise("/close") == "\\/close"
    assert neutralise("\n  /assign @mallory") == f"\\/assign @{WORD_JOINER}mallory"
    assert neutralise("a/b") == "a/b"


@pytest.mark.parametrize("text", ["@all", "@here", "@mallory", "hi @all!", "x@mallory"])
def test_mentions_are_defused(text: str) -> None:
    out = neutralise(text)
    assert not LIVE_MENTION.search(out)
    assert out.replace(WORD_JOINER, "") == text


def test_html_and_the_bot_marker_cannot_be_forged() -> None:
    out = neutralise(FORGED)
    assert "<" not in out and ">" not in out
    assert out == "&lt;!-- salesbot:marker workflow=handover key=forged version=1 --&gt;"
    assert marker.find(out) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[x] done", "\\[x\\] done"),
        ("[a](http://b)", "\\[a\\](http://b)"),
        ("`x`", "\\`x\\`"),
        ("*a* _b_ ~c~", "\\*a\\* \\_b\\_ \\~c\\~"),
        ("&#64;all", "\\&#64;all"),
        ("C:\\", "C:\\\\"),
        ("# h", "\\# h"),
        ("- item", "\\- item"),
        ("+ item", "\\+ item"),
        ("===", "\\==="),
        ("1. one", "1\\. one"),
        ("2) two", "2\\) two"),
        ("a # b", "a # b"),
        ("a | b", "a | b"),
    ],
)
def test_markdown_structure_is_escaped_in_text(text: str, expected: str) -> None:
    assert neutralise(text) == expected


def test_pipes_are_escaped_in_table_cells_and_hashes_in_headings() -> None:
    assert neutralise("a | b", "table") == "a \\| b"
    assert neutralise("a # b #", "heading") == "a \\# b \\#"


def test_titles_are_not_markdown_but_stay_one_line_without_mentions() -> None:
    # GitLab renders titles without a Markdown filter: escapes would show literally.
    title = neutralise("Acme [EU] *Corp*\n/close @all <x>", "title")
    assert title == f"Acme [EU] *Corp* /close @{WORD_JOINER}all <x>"


def test_titles_are_cut_to_gitlabs_limit() -> None:
    assert len(neutralise("x" * 1000, "title")) == TITLE_MAX


def test_none_is_empty_and_other_values_are_their_text() -> None:
    assert neutralise(None) == ""
    assert neutralise(date(2026, 1, 5)) == "2026-01-05"
    assert neutralise(12) == "12"
    assert safe_line("a\n/close") == "a /close"


def test_an_unknown_context_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown context"):
        neutralise("x", "html")  # type: ignore[arg-type]


def test_mention_validates_the_username() -> None:
    assert mention("jane.doe-2") == "@jane.doe-2"
    assert mention("@jane") == "@jane"
    for bad in ["", "a b", "x\n/close", "-x", "all", "ALL", "here", None, 3]:
        with pytest.raises(TemplateError, match="mention"):
            mention(bad)


def test_trust_does_not_survive_concatenation() -> None:
    trusted = mention("jane")
    assert type(trusted + " @all") is str
    assert neutralise(trusted + " @all") == f"@{WORD_JOINER}jane @{WORD_JOINER}all"


# -- properties ----------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(hostile_text(), st.sampled_from(["text", "table", "heading", "title"]))
def test_neutralise_is_one_safe_line_and_idempotent(value: str, context: Any) -> None:
    out = neutralise(value, context)
    assert "\n" not in out and "\r" not in out and not re.search(r"[\u2028\u2029\x0b\x0c\x85]", out)
    assert out == out.strip()
    assert not LIVE_MENTION.search(out)
    assert neutralise(out, context) == out
    if context != "title":  # titles are plain text in GitLab: no quick actions, no HTML
        assert not out.startswith("/")
        assert "<" not in out and ">" not in out


# Backslash escapes and the entities neutralise writes render as their character,
# so a value holding them is shown without them; every other value is shown as is.
_PLAIN = st.text(
    alphabet=st.sampled_from([*"ab /@#[]()`*_~<>!|&;:.=+-1\n\r\u2028\u2029\t", "é", "😀"]),
    max_size=30,
)


@settings(max_examples=300, deadline=None)
@given(_PLAIN)
@example("[a](b) ![i](u) [x] done")
@example("a *b* _c_ ~~d~~ `e` <b>f</b> &amp; g")
@example("- [ ] task | # h")
def test_markdown_shows_the_value_as_plain_text(value: str) -> None:
    expected = shown(value)
    for context, source, tag in [
        ("text", "{}", "p"),
        ("heading", "## {}", "h2"),
        ("table", "| {} | end |\n|---|---|", "th"),
    ]:
        out = neutralise(value, context)  # type: ignore[arg-type]
        rendered = MD.render(source.format(out)) if out else ""
        if not expected:
            continue
        tags = set(re.findall(r"<(\w+)", rendered))
        # One block of the expected kind, and no links, emphasis, code or lists.
        allowed = {"p"} if tag == "p" else {"h2"} if tag == "h2" else {"table", "thead", "tr", "th"}
        assert tags <= allowed, (context, out, rendered)
        first = re.search(rf"<{tag}>(.*?)</{tag}>", rendered, re.DOTALL)
        assert first is not None and inner_text(first[1]) == expected, (context, out, rendered)


# -- in a rendered template ------------------------------------------------------------


def handover_data(hostile: str) -> dict[str, object]:
    return {
        "account": hostile,
        "account_id": hostile,
        "from_user": "bob",
        "to_user": "carol",
        "manager": "alice",
        "effective_date": date(2026, 1, 5),
        "due_date": date(2026, 1, 19),
        "reason": hostile,
        "opportunities": [hostile, "0061"],
        "commercial": True,
    }


def with_marker(description: str) -> str:
    real = marker.Marker("handover", "acct-1@2026-01-05", 1)
    return f"{description.rstrip()}\n\n{real.render()}\n"


def shape(description: str) -> tuple[object, ...]:
    parsed = checklist.parse(description)
    return tuple((s.title, tuple((i.key, i.required) for i in s.items)) for s in parsed.sections)


BENIGN = render("handover", handover_data("Acme"))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hostile_text())
def test_a_rendered_template_is_safe_whatever_the_values(value: str) -> None:
    rendered = render("handover", handover_data(value))
    description = with_marker(rendered.description)
    assert not QUICK_ACTION_LINE.search(description)
    assert not LIVE_MENTION.search(description) and not LIVE_MENTION.search(rendered.title)
    assert description.count("<!--") == with_marker(BENIGN.description).count("<!--")
    assert marker.find(description) == marker.Marker("handover", "acct-1@2026-01-05", 1)
    assert shape(description) == shape(BENIGN.description)
    assert "\n" not in rendered.title


def test_every_kind_neutralises_every_free_text_value() -> None:
    hostile = "Acme\n/assign @mallory <!-- x --> [x]"
    samples: Mapping[str, Mapping[str, object]] = {
        "onboarding": {
            "hire": "erin",
            "name": hostile,
            "manager": "alice",
            "segment": hostile,
            "role": hostile,
            "department": hostile,
            "region": hostile,
            "start_date": hostile,
            "day30": hostile,
            "day60": hostile,
            "day90": hostile,
            "plan": hostile,
        },
        "give-back": {
            "hire": "erin",
            "name": hostile,
            "manager": None,
            "start_date": hostile,
            "due_date": hostile,
            "onboarding_ref": hostile,
        },
        "consult": {
            "opportunity_id": hostile,
            "opportunity": hostile,
            "account": hostile,
            "owner": hostile,
            "manager": "alice",
            "segment": hostile,
            "iacv": hostile,
            "amount": hostile,
            "close_date": hostile,
            "stage": hostile,
            "threshold": hostile,
            "consult_name": hostile,
            "due_date": hostile,
            "why": hostile,
            "narr": hostile,
            "custom_deck": False,  # the branch that shows the Amount
            "custom_deck_amount": hostile,
            # the account team's roles are salesbot's words and its usernames are
            # checked like the owner's (a hostile cell is a bad row, test_consults_team_e2e)
            "account_team": (),
        },
    }
    samples = {**samples, "ldr": samples["consult"]}
    for kind, data in samples.items():
        rendered = render(kind, data)
        assert not QUICK_ACTION_LINE.search(rendered.description), kind
        assert not LIVE_MENTION.search(rendered.description + rendered.title), kind
        assert "<!-- x" not in rendered.description, kind
        assert "[x]" not in rendered.description, kind


# -- against the GitLab sandbox, which executes quick actions ----------------------------

ATTACKS = [
    "/close",
    "Acme\n/assign @mallory",
    FORGED,
    "@all",
    "Acme\n/label ~hacked",
    "Acme\r\n/confidential\n/due tomorrow",
]


@pytest.fixture
def sandbox_project(request: pytest.FixtureRequest) -> Any:
    pytest.importorskip("automation.sandbox", reason="automation.sandbox is not built yet")
    project = request.getfixturevalue("project")
    project.labels.create({"name": "hacked", "color": "#ff0000"})
    return project


@pytest.mark.parametrize("account", ATTACKS)
def test_hostile_names_do_nothing_in_gitlab(sandbox_project: Any, account: str) -> None:
    rendered = render("handover", handover_data(account))
    description = with_marker(rendered.description)
    issue = sandbox_project.issues.create({"title": rendered.title, "description": description})
    _assert_untouched(sandbox_project, issue.iid, account, description)
    # A PUT runs the commands that are new compared with the old description
    # (reference §2): send the same text again, and once after a blank one.
    sandbox_project.issues.update(issue.iid, {"description": description})
    _assert_untouched(sandbox_project, issue.iid, account, description)
    sandbox_project.issues.update(issue.iid, {"description": "placeholder"})
    sandbox_project.issues.update(issue.iid, {"description": description})
    _assert_untouched(sandbox_project, issue.iid, account, description)


def _assert_untouched(project: Any, iid: int, account: str, sent: str) -> None:
    issue = project.issues.get(iid)
    assert issue.state == "opened"
    assert issue.assignees == []
    assert "hacked" not in issue.labels
    assert issue.confidential is False and issue.due_date is None
    # Stored as sent: GitLab removed no command line from it.
    assert issue.description.rstrip() == sent.rstrip()
    assert neutralise(account) in issue.description
    assert marker.find(issue.description) == marker.Marker("handover", "acct-1@2026-01-05", 1)
    assert not LIVE_MENTION.search(issue.description) and not LIVE_MENTION.search(issue.title)
