"""Every hidden comment is written and read back by automation.hidden."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from automation import hidden
from automation.checklist import parse

days = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))
tokens = st.text(
    st.characters(whitelist_categories=("Ll", "Lu", "Nd"), max_codepoint=127),
    min_size=1,
    max_size=12,
)


@given(days)
def test_a_nudge_reads_back_its_date(day: date) -> None:
    body = f"@kim: this issue is behind plan.\n\n{hidden.nudge(day)}"
    assert hidden.nudge_date(body) == day
    assert hidden.nudge_date("no nudge here") is None


def test_a_waiver_is_recognised_and_a_plain_nudge_is_not() -> None:
    waived = f"{hidden.nudge(date(2026, 12, 1))}\n{hidden.waived('alice')}"
    assert hidden.is_waived(waived)
    assert not hidden.is_waived(hidden.nudge(date(2026, 12, 1)))


def test_a_completion_reads_back_its_fingerprint() -> None:
    body = f"All required items are done.\n\n{hidden.completion('0123456789ab')}"
    assert hidden.completion_fingerprint(body) == "0123456789ab"
    assert hidden.completion_fingerprint("done") is None


@given(st.dictionaries(tokens, tokens, max_size=4))
def test_a_dashboard_action_reads_back_its_fields_in_order(fields: dict[str, str]) -> None:
    trailer = hidden.dashboard_action(**fields)
    assert list(hidden.dashboard_actions(f"Done.\n\n{trailer}")) == [fields]


def test_an_unattributed_notice_is_read_by_its_pattern() -> None:
    text = hidden.unattributed("dashboard.extend.12", date(2026, 12, 3), True)
    found = hidden.UNATTRIBUTED_RE.search(text)
    assert found is not None
    assert (found["key"], found["date"], found["done"]) == (
        "dashboard.extend.12",
        "2026-12-03",
        "yes",
    )


def test_a_box_trailer_carries_its_offer_and_task_key() -> None:
    line = f"- [ ] Extend #2 by a week {hidden.offered_box('3.1', 'dashboard.extend.2')}"
    found = hidden.OFFERED_BOX_RE.search(line)
    assert found is not None and found["offered"] == "3.1"
    assert parse(line).items[0].key == "dashboard.extend.2"


def test_a_task_key_is_the_items_key_for_the_checklist_reader() -> None:
    item = parse(f"- [ ] Join Slack {hidden.task_key('onboarding.slack')}").items[0]
    assert item.key == "onboarding.slack"


@given(st.text(max_size=200))
def test_attention_data_reads_back_and_never_closes_its_comment_early(text: str) -> None:
    payload = {"answer": text, "who": "@all -->"}
    comment = hidden.attention(payload)
    assert comment.count("-->") == 1 and "@" not in comment.removeprefix("<!-- salesbot:")
    assert hidden.attention_payload(f"# Dashboard\n{comment}\n") == payload


def test_mangled_attention_data_is_none() -> None:
    assert hidden.attention_payload("<!-- salesbot:attention {not json} -->") is None
    assert hidden.attention_payload("nothing") is None


def test_the_marker_is_reexported_from_its_home() -> None:
    marker = hidden.Marker("handover", "name:Acme@2026-12-01")
    assert hidden.find(f"text\n\n{marker.render()}\n") == marker


def test_old_dashboard_comments_still_parse_byte_for_byte() -> None:
    # Written by salesbot before the formats moved here: they must still read.
    board = (
        "- [x] Extend #2 by a week <!-- offered:2026-12-01.2 --> "
        "<!-- task:dashboard.extend.2 -->\n"
        "- Waive: done. <!-- salesbot:unattributed key=dashboard.waive.7 "
        "date=2026-12-02 done=no -->\n"
    )
    assert hidden.offered_boxes(board) == {"dashboard.extend.2": "2026-12-01.2"}
    assert list(hidden.unattributed_notices(board)) == [
        ("dashboard.waive.7", date(2026, 12, 2), False)
    ]
    assert hidden.offered_box("2026-12-01.2", "dashboard.extend.2") in board
    assert hidden.unattributed("dashboard.waive.7", date(2026, 12, 2), False) in board
    assert hidden.DASHBOARD_BOX_KEY_RE.match("dashboard.extend.2") is not None
    line = hidden.KEYED_BOX_LINE_RE.match(board.splitlines()[0])
    assert line is not None and line["key"] == "dashboard.extend.2"


def test_once_markers_name_what_a_note_says_once() -> None:
    body = (
        f"Waived.\n{hidden.nudge(date(2026, 12, 3))}\n{hidden.waived('kim')}\n"
        f"{hidden.dashboard_action(id='5/dashboard.waive.2/2026-12-01', kind='waive')}"
    )
    assert hidden.once_markers(body) == (
        "<!-- salesbot:nudge date=2026-12-03",
        "<!-- salesbot:dashboard-action id=5/dashboard.waive.2/2026-12-01",
    )
    assert hidden.once_markers("a plain comment") == ()


def test_owners_come_from_the_item_line_or_its_sections_heading() -> None:
    description = (
        "- [ ] before any heading <!-- task:a.zero -->\n"  # line 1: no owner
        "## Outgoing seller\n"
        f"{hidden.section_owner('bob')}\n"
        "\n"
        "- [ ] 🔴 notes <!-- task:a.one -->\n"  # line 5: bob's section
        f"- [ ] 🔴 buddy {hidden.section_owner('alice')} <!-- task:a.two -->\n"  # line 6: alice
        "## Old section\n"
        "- [ ] 🔴 no owner here <!-- task:a.three -->\n"  # line 8: an issue from before
    )
    assert hidden.owners_of_lines(description, [8, 6, 5, 1]) == {5: "bob", 6: "alice"}
    assert hidden.section_owners(description) == {2: "bob"}


def test_owner_lines_count_as_the_checklist_reader_counts_them() -> None:
    description = (
        "intro\u2028still line one\r\n## Outgoing seller\r\n<!-- owner:bob -->\r\n"
        "- [ ] 🔴 notes <!-- task:a.one -->\r\n"
    )
    (item,) = parse(description).items
    assert hidden.owners_of_lines(description, [item.line]) == {item.line: "bob"}
