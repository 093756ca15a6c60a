"""The checklist reader follows GitLab's task-list rules (reference §1)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from automation.checklist import Checklist, Section, TaskItem, parse, progress_bar, render_text
from automation.checklist import to_json as checklist_json
from automation.cli import main
from automation.errors import InputError
from automation.sandbox.markdown import summarize


def counts(description: str | None) -> tuple[int, int]:
    checklist = parse(description)
    return checklist.count, checklist.completed_count


def section_of(checklist: Checklist, title: str) -> Section:
    section = checklist.section(title)
    assert section is not None, f"no section {title!r}"
    return section


def texts(description: str) -> list[str]:
    return [item.text for item in parse(description).items]


# --- markers and boxes --------------------------------------------------------


@pytest.mark.parametrize("marker", ["-", "*", "+", "1.", "1)", "7.", "123456789)"])
def test_every_list_marker_makes_a_task(marker: str) -> None:
    assert counts(f"{marker} [ ] open\n\n{marker} [x] done\n") == (2, 1)


@pytest.mark.parametrize("marker", ["1234567890.", "a.", "-[ ] x", "1.[ ] x"])
def test_what_is_not_a_list_marker_makes_no_task(marker: str) -> None:
    description = marker if "[" in marker else f"{marker} [ ] x"
    assert counts(description) == (0, 0)


@pytest.mark.parametrize("box", ["[ ]", "[\t]"])
def test_a_space_or_tab_in_the_box_makes_an_open_box(box: str) -> None:
    checklist = parse(f"- {box} call the customer")
    assert (checklist.count, checklist.completed_count) == (1, 0)
    assert checklist.items[0].text == "call the customer"


# --- where GitLab (comrak) differs from the old line scanner: issue 11 ---------


def test_a_link_reference_definition_turns_the_box_into_a_link() -> None:
    # `[x]` matches the definition, so comrak renders a link and no checkbox.
    description = "[x]: https://example.com\n\n- [x] linked, no task\n- [ ] still a task\n"
    assert counts(description) == (1, 0)
    assert texts(description) == ["still a task"]


def test_an_undefined_reference_leaves_the_box_a_box() -> None:
    assert counts("[y]: https://example.com\n\n- [x] a task\n") == (1, 1)


@pytest.mark.parametrize(
    "line",
    [
        "- [ ]\u00a0call",  # no-break space after the box
        "- [ ]\u2003call",  # em space after the box
        "- [\u00a0] call",  # no-break space inside
        "- [\u2003] call",  # em space inside
        "- [\u3000] call",  # ideographic space inside
    ],
)
def test_non_ascii_whitespace_in_or_after_the_box_is_not_whitespace(line: str) -> None:
    assert counts(line) == (0, 0)


def test_non_ascii_whitespace_after_the_separating_space_is_text() -> None:
    assert counts("- [ ] \u2003call") == (1, 0)


def test_a_type_7_html_block_after_a_lazy_line_swallows_what_follows() -> None:
    # CommonMark: `<span>` cannot interrupt a paragraph, so it would be lazy
    # text and `- [ ] b` a second task. comrak (so GitLab) starts an HTML block
    # at `<span>` that runs to the next blank line: one task.
    assert counts("- [ ] a\nlazy\n<span>\n- [ ] b\n") == (1, 0)
    assert counts("> - [ ] a\nlazy\n<span>\n- [ ] b\n") == (1, 0)
    # After a blank line the HTML block has ended.
    assert counts("- [ ] a\nlazy\n<span>\n\n- [ ] b\n") == (2, 0)


def test_a_whitespace_only_second_blank_line_does_not_end_an_empty_item() -> None:
    # CommonMark: an item starts with at most one blank line, so the box is
    # a paragraph after an empty item. comrak keeps the item open when the
    # second line holds 2+ spaces and reads the box as its task.
    assert counts("-\n   \n  [ ] call\n") == (1, 0)
    assert counts("-\n\n  [ ] call\n") == (0, 0)


def test_glfm_multiline_blockquotes_hold_tasks() -> None:
    assert counts(">>>\n- [ ] quoted\n- [x] done\n>>>\n") == (2, 1)


def test_a_description_with_a_lone_surrogate_is_read() -> None:
    assert counts("- [ ] call \ud800 now\n") == (1, 0)


@pytest.mark.parametrize(
    "description",
    [
        ">" * 400_000 + "\n- [ ] after the quotes\n",
        "\n".join("\t" * depth + "- [ ] t" for depth in range(300)) * 3,
        "\n".join(" " * (2 * depth) + "- [ ] nested" for depth in range(800)),
        "- [ ] a" + " <!-- task:k -->" * 20_000 + "\n",
        "# a" + " " * 200_000 + "#x\n- [ ] under a hostile heading\n",
        "a\n---\n" * 50_000 + "- [ ] after many headings\n",
    ],
    ids=["quotes", "tabs", "nesting", "many-keys", "heading-blanks", "many-headings"],
)
def test_hostile_descriptions_are_read(description: str) -> None:
    # Timing is `make bench`'s business; here they must only finish.
    assert parse(description).count >= 1


@pytest.mark.parametrize("box", ["[x]", "[X]"])
def test_x_in_either_case_makes_a_checked_box(box: str) -> None:
    assert counts(f"- {box} sent the deck") == (1, 1)


@pytest.mark.parametrize("box", ["[]", "[  ]", "[y]", "[xx]", "[-]", "[*]"])
def test_other_boxes_are_plain_list_items(box: str) -> None:
    assert counts(f"- {box} nothing") == (0, 0)


def test_inapplicable_items_are_read_but_left_out_of_both_counts() -> None:
    checklist = parse("- [~] not for this region\n- [x] done\n- [ ] open\n")
    assert (checklist.count, checklist.completed_count) == (2, 1)
    inapplicable = checklist.items[0]
    assert inapplicable.inapplicable and not inapplicable.checked
    assert inapplicable.text == "not for this region"


@pytest.mark.parametrize("line", ["- [ ]", "- [x]", "- [ ]   ", "- [ ]\t", "- [x]done"])
def test_a_box_needs_whitespace_and_text_after_it(line: str) -> None:
    assert counts(line) == (0, 0)


def test_a_box_with_its_text_on_the_next_line_is_not_a_task() -> None:
    assert counts("- [ ]\n  call the customer") == (0, 0)


def test_a_box_that_does_not_start_the_item_is_not_a_task() -> None:
    assert counts("- call [ ] the customer\n- **[ ] bold first**") == (0, 0)


def test_a_box_outside_a_list_is_not_a_task() -> None:
    assert counts("[ ] not in a list\n\n# [x] a heading") == (0, 0)


# --- code, comments and other blocks that hide tasks -----------------------------


@pytest.mark.parametrize("fence", ["```", "~~~", "````", "``` markdown", "~~~ yaml"])
def test_items_inside_a_fenced_code_block_do_not_count(fence: str) -> None:
    closing = fence.split(" ")[0]
    description = f"- [ ] before\n\n{fence}\n- [ ] example\n- [x] example\n{closing}\n\n- [x] after"
    assert counts(description) == (2, 1)
    assert texts(description) == ["before", "after"]


def test_a_fence_closes_only_with_the_same_character() -> None:
    description = "```\n- [ ] hidden\n~~~\n- [ ] still hidden\n```\n- [ ] counted\n"
    assert texts(description) == ["counted"]


def test_a_fence_closes_only_with_at_least_as_many_characters() -> None:
    description = "````\n- [ ] hidden\n```\n- [ ] still hidden\n`````\n- [ ] counted\n"
    assert texts(description) == ["counted"]


def test_a_closing_fence_takes_no_info_string() -> None:
    assert texts("```\n- [ ] hidden\n``` python\n- [ ] still hidden\n") == []


def test_an_unclosed_fence_runs_to_the_end_of_the_description() -> None:
    assert counts("- [x] done\n\n~~~\n- [ ] hidden\n\n# Later\n- [ ] hidden too\n") == (1, 1)


def test_an_unclosed_fence_in_a_blockquote_ends_with_the_quote() -> None:
    assert texts("> ```\n> - [ ] hidden\n\n- [ ] counted\n") == ["counted"]


def test_backticks_in_the_info_string_make_no_fence() -> None:
    assert texts("``` a`b\n- [ ] counted\n") == ["counted"]


def test_items_in_an_indented_code_block_do_not_count() -> None:
    description = "Example:\n\n    - [ ] hidden\n    - [x] hidden\n\n- [ ] counted\n"
    assert texts(description) == ["counted"]


def test_an_indented_line_after_a_paragraph_is_text_not_code() -> None:
    # Indented code cannot interrupt a paragraph, so this is continuation text.
    assert counts("- [ ] call\n      - [ ] not an item\n") == (1, 0)
    assert texts("- [ ] call\n      - [ ] not an item\n") == ["call - [ ] not an item"]


def test_items_in_a_multi_line_html_comment_do_not_count() -> None:
    description = "<!--\n- [ ] hidden\n- [x] hidden\n-->\n- [ ] counted\n"
    assert texts(description) == ["counted"]


def test_an_html_comment_ends_at_the_first_closing_marker() -> None:
    description = (
        "<!-- note -->\n- [ ] counted\n\n<!-- a\n- [ ] hidden --> tail\n- [ ] counted too\n"
    )
    assert texts(description) == ["counted", "counted too"]


def test_items_in_an_html_block_count_only_after_its_blank_line() -> None:
    description = "<details>\n- [ ] raw html\n\n- [ ] counted\n\n</details>\n"
    assert texts(description) == ["counted"]


def test_a_trailing_comment_on_an_item_line_is_not_a_comment_block() -> None:
    checklist = parse("- [ ] Do X <!-- task:handover.intro-call -->\n- [x] Do Y\n")
    assert (checklist.count, checklist.completed_count) == (2, 1)
    assert checklist.items[0].text == "Do X"
    assert checklist.items[0].key == "handover.intro-call"


def test_an_unclosed_inline_comment_does_not_swallow_the_next_items() -> None:
    assert counts("- [ ] Do X <!-- starts here\n- [ ] Do Y -->\n") == (2, 0)


# --- blockquotes and nesting ----------------------------------------------------


def test_items_in_a_blockquote_count() -> None:
    assert counts("> - [ ] quoted\n> - [x] quoted done\n") == (2, 1)


def test_items_in_nested_blockquotes_count() -> None:
    description = "> > - [x] deep\n> > > 1. [ ] deeper\n>>- [ ] no spaces\n"
    assert counts(description) == (3, 1)


def test_a_lazy_line_continues_a_quoted_item() -> None:
    assert texts("> - [ ] call the\ncustomer\n") == ["call the customer"]


def test_nested_items_each_count() -> None:
    description = (
        "- [ ] parent\n  - [x] child\n    - [ ] grandchild\n1. [x] ordered\n   * [ ] in it\n"
    )
    checklist = parse(description)
    assert (checklist.count, checklist.completed_count) == (5, 2)
    assert [item.line for item in checklist.items] == [1, 2, 3, 4, 5]


def test_a_list_inside_a_list_item_is_not_its_box() -> None:
    # The outer item's first block is a list, so only the inner item is a task.
    assert counts("- - [ ] inner\n") == (1, 0)


def test_an_item_whose_first_block_is_not_a_paragraph_is_no_task() -> None:
    assert counts("- # [ ] heading\n- > [ ] quote\n-\n  ```\n  [ ] x\n  ```\n") == (0, 0)


def test_an_item_may_start_with_one_blank_line() -> None:
    assert counts("-\n  [ ] late box\n") == (1, 0)


def test_an_ordered_item_not_starting_at_one_cannot_interrupt_a_paragraph() -> None:
    assert counts("Some text\n2. [ ] not an item\n") == (0, 0)
    assert counts("Some text\n1. [ ] an item\n") == (1, 0)
    assert counts("Some text\n- [ ] an item\n") == (1, 0)


def test_content_five_columns_after_the_marker_is_code() -> None:
    assert counts("-      [ ] code in the item\n") == (0, 0)


def test_tabs_count_as_four_column_stops() -> None:
    assert counts("-\t[ ] tab after marker\n\t- [x] nested by a tab\n") == (2, 1)
    assert counts("Text\n\n\t- [ ] code, not an item\n") == (0, 0)


def test_a_setext_underline_turns_the_item_text_into_a_heading() -> None:
    checklist = parse("- [ ] looks like a task\n  ---\n- [ ] a task\n")
    assert [item.text for item in checklist.items] == ["a task"]
    assert checklist.items[0].section == "[ ] looks like a task"


# --- line endings and unicode --------------------------------------------------


@pytest.mark.parametrize("newline", ["\r\n", "\r", "\n"])
def test_every_line_ending_reads_the_same(newline: str) -> None:
    description = newline.join(["# Day 30", "- [x] a", "```", "- [ ] hidden", "```", "- [ ] b"])
    checklist = parse(description)
    assert (checklist.count, checklist.completed_count) == (2, 1)
    assert [(item.text, item.line) for item in checklist.items] == [("a", 2), ("b", 6)]
    assert checklist.sections[0].title == "Day 30"


def test_unicode_text_is_kept_whole() -> None:
    checklist = parse("## Über uns 🚀\n- [ ] Café mit 顧客 ✅\n- [x] ünïcödé\n")
    assert texts("- [ ] Café mit 顧客 ✅") == ["Café mit 顧客 ✅"]
    assert checklist.sections[0].title == "Über uns 🚀"
    assert (checklist.count, checklist.completed_count) == (2, 1)


def test_blank_and_missing_descriptions_have_no_tasks() -> None:
    for description in (None, "", "   ", "\n\n", "Just text, no list."):
        checklist = parse(description)
        assert (checklist.count, checklist.completed_count) == (0, 0)
        assert checklist.sections == ()


# --- sections --------------------------------------------------------------------

PLAN = """\
Welcome! Before you start:

- [x] 🔴 Read this issue <!-- task:onboarding.read -->

# 30/60/90 plan

## Day 30

- [x] 🔴 Meet your manager <!-- task:d30.manager -->
- [ ] 🔴 Finish sales training <!-- task:d30.training -->
- [ ] Shadow 3 calls

## Day 60

- [x] Build a territory plan
- [~] Regional kickoff (not held this year)

## Day 90

### Pipeline

- [ ] 🔴 Close first deal <!-- task:d90.first-deal -->
"""


def test_items_are_grouped_by_their_nearest_heading_with_its_level() -> None:
    checklist = parse(PLAN)
    assert [(s.title, s.level, s.count) for s in checklist.sections] == [
        ("", 0, 1),
        ("Day 30", 2, 3),
        ("Day 60", 2, 1),
        ("Pipeline", 3, 1),
    ]
    assert [item.section for item in section_of(checklist, "Day 30").items] == ["Day 30"] * 3


def test_headings_without_items_make_no_section() -> None:
    checklist = parse(PLAN)
    assert checklist.section("30/60/90 plan") is None
    assert checklist.section("Day 90") is None
    assert checklist.section("Day 60") is not None


def test_atx_heading_syntax_is_stripped_from_titles() -> None:
    description = "#   Spaced   #\n- [ ] a\n###### Six ######\n- [ ] b\n\n####### Seven\n- [ ] c\n"
    checklist = parse(description)
    assert [(s.title, s.level) for s in checklist.sections] == [("Spaced", 1), ("Six", 6)]
    # Seven #s are no heading, so its item stays under "Six".
    assert [item.text for item in section_of(checklist, "Six").items] == ["b", "c"]


def test_a_hash_without_a_space_is_no_heading() -> None:
    checklist = parse("# Real\n#hashtag\n\n- [ ] a\n")
    assert [s.title for s in checklist.sections] == ["Real"]


def test_headings_in_code_blocks_start_no_section() -> None:
    checklist = parse("# Real\n```\n# Fake\n```\n- [ ] a\n")
    assert checklist.items[0].section == "Real"


def test_setext_headings_start_sections() -> None:
    checklist = parse("Day 30\n======\n- [ ] a\n\nDay 60\n------\n- [ ] b\n")
    assert [(s.title, s.level) for s in checklist.sections] == [("Day 30", 1), ("Day 60", 2)]


def test_two_headings_with_the_same_title_stay_two_sections() -> None:
    checklist = parse("## Notes\n- [ ] a\n## Other\n- [ ] b\n## Notes\n- [ ] c\n")
    assert [s.title for s in checklist.sections] == ["Notes", "Other", "Notes"]
    assert checklist.section("Notes") == checklist.sections[0]


# --- required items and keys ----------------------------------------------------------


def test_a_leading_red_dot_marks_a_required_item_and_is_dropped_from_its_text() -> None:
    checklist = parse(
        "- [ ] 🔴 Meet your manager\n- [ ] Optional 🔴 later\n- [ ] 🔴\ufe0f Selector\n"
    )
    assert [(i.text, i.required) for i in checklist.items] == [
        ("Meet your manager", True),
        ("Optional 🔴 later", False),
        ("Selector", True),
    ]


def test_the_red_circle_shortcode_also_marks_a_required_item() -> None:
    item = parse("- [ ] :red_circle: Sign the NDA").items[0]
    assert (item.text, item.required) == ("Sign the NDA", True)


def test_a_key_comment_names_an_item_and_is_dropped_from_its_text() -> None:
    checklist = parse(PLAN)
    item = checklist.item("d30.training")
    assert item is not None
    assert (item.text, item.required, item.checked, item.line) == (
        "Finish sales training",
        True,
        False,
        10,
    )
    assert checklist.item("no.such.key") is None
    assert parse("- [ ] Shadow 3 calls").items[0].key is None


def test_a_key_may_sit_anywhere_on_the_item_and_the_first_one_wins() -> None:
    item = parse("- [ ] <!-- task:a.1 --> 🔴 Do <!--task:b_2--> it").items[0]
    assert (item.key, item.text, item.required) == ("a.1", "Do it", True)


def test_a_comment_that_is_not_a_key_stays_in_the_text() -> None:
    item = parse("- [ ] Do it <!-- task:has space --> <!-- note -->").items[0]
    assert item.key is None
    assert item.text == "Do it <!-- task:has space --> <!-- note -->"


def test_continuation_lines_join_the_item_text() -> None:
    item = parse("- [ ] Call the customer\n  about the renewal <!-- task:renewal.call -->").items[0]
    assert (item.text, item.key) == ("Call the customer about the renewal", "renewal.call")


# --- completion and progress ------------------------------------------------------------


def test_open_required_lists_unchecked_applicable_required_items() -> None:
    checklist = parse(PLAN + "- [~] 🔴 Not applicable\n")
    assert [item.key for item in checklist.open_required] == ["d30.training", "d90.first-deal"]
    assert [i.text for i in section_of(checklist, "Day 30").open_required] == [
        "Finish sales training"
    ]
    assert len(section_of(checklist, "Day 30").required_items) == 2


def test_a_section_with_required_items_is_complete_when_they_are_checked() -> None:
    section = parse("- [x] 🔴 must\n- [ ] optional\n- [~] 🔴 skipped\n").sections[0]
    assert section.is_complete
    assert section.progress == pytest.approx(0.5)


def test_a_section_without_required_items_needs_every_applicable_item() -> None:
    assert not parse("- [x] a\n- [ ] b\n").sections[0].is_complete
    assert parse("- [x] a\n- [~] b\n").sections[0].is_complete


def test_the_checklist_is_complete_when_all_red_dot_tasks_are_done() -> None:
    # Handbook: new AEs "complete all 'red dot' tasks" of the onboarding issue.
    done = PLAN.replace("[ ] 🔴", "[x] 🔴")
    assert not parse(PLAN).is_complete
    assert parse(done).is_complete
    # Optional items stay open in a section that has red-dot items...
    assert section_of(parse(done), "Day 30").is_complete
    # ...while a section without any needs all of its applicable items.
    assert not section_of(parse("## Extra\n- [x] a\n- [ ] b\n"), "Extra").is_complete


def test_progress_is_over_applicable_items_and_full_without_any() -> None:
    checklist = parse(PLAN)
    assert (checklist.count, checklist.completed_count) == (6, 3)
    assert checklist.progress == pytest.approx(0.5)
    only_inapplicable = parse("- [~] a")
    assert only_inapplicable.progress == 1.0 and only_inapplicable.is_complete
    assert Checklist(()).progress == 1.0
    assert Section("x", 1, ()).progress == 1.0


# --- reports ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fraction", "bar"),
    [
        (0.0, "░░░░░░░░ 0%"),
        (0.5, "▓▓▓▓░░░░ 50%"),
        (2 / 3, "▓▓▓▓▓░░░ 66%"),
        (29 / 100, "▓▓░░░░░░ 29%"),
        (57 / 100, "▓▓▓▓░░░░ 57%"),
        (0.999, "▓▓▓▓▓▓▓░ 99%"),
        (1.0, "▓▓▓▓▓▓▓▓ 100%"),
        (1.7, "▓▓▓▓▓▓▓▓ 100%"),
        (-1.0, "░░░░░░░░ 0%"),
        (float("nan"), "░░░░░░░░ 0%"),
    ],
)
def test_progress_bar_rounds_down_so_full_means_done(fraction: float, bar: str) -> None:
    assert progress_bar(fraction) == bar


def test_progress_bar_width_is_adjustable_and_must_be_positive() -> None:
    assert progress_bar(0.25, width=4) == "▓░░░ 25%"
    with pytest.raises(InputError):
        progress_bar(0.5, width=0)


def test_to_json_has_the_stable_cli_shape() -> None:
    data = checklist_json(parse(PLAN))
    assert data["count"] == 6 and data["completed_count"] == 3 and data["progress"] == 0.5
    sections = data["sections"]
    assert isinstance(sections, list)
    assert [s["title"] for s in sections] == ["", "Day 30", "Day 60", "Pipeline"]
    day30 = sections[1]
    assert day30 == {
        "title": "Day 30",
        "level": 2,
        "count": 3,
        "completed_count": 1,
        "required_open": ["Finish sales training"],
        "items": [
            {
                "text": "Meet your manager",
                "checked": True,
                "inapplicable": False,
                "required": True,
                "key": "d30.manager",
                "line": 9,
            },
            {
                "text": "Finish sales training",
                "checked": False,
                "inapplicable": False,
                "required": True,
                "key": "d30.training",
                "line": 10,
            },
            {
                "text": "Shadow 3 calls",
                "checked": False,
                "inapplicable": False,
                "required": False,
                "key": None,
                "line": 11,
            },
        ],
    }
    assert sections[2]["items"][1]["inapplicable"] is True
    assert checklist_json(parse("")) == {
        "count": 0,
        "completed_count": 0,
        "progress": 1.0,
        "sections": [],
    }


def test_render_text_shows_each_section_a_total_and_the_open_required_items() -> None:
    assert render_text(parse(PLAN)).splitlines() == [
        "(no heading)  ▓▓▓▓▓▓▓▓ 100%  1/1",
        "Day 30        ▓▓░░░░░░ 33%   1/3",
        "Day 60        ▓▓▓▓▓▓▓▓ 100%  1/1",
        "Pipeline      ░░░░░░░░ 0%    0/1",
        "Total         ▓▓▓▓░░░░ 50%   3/6",
        "Open required items (2):",
        "  - Finish sales training [Day 30, line 10]",
        "  - Close first deal [Pipeline, line 22]",
    ]


def test_render_text_says_so_when_there_is_no_checklist() -> None:
    assert render_text(parse("No tasks here.")) == "No checklist items."


# --- data and speed -------------------------------------------------------------------------


def test_items_and_sections_are_immutable_values() -> None:
    first, second = parse(PLAN), parse(PLAN)
    assert first == second
    assert hash(first.items[0]) == hash(second.items[0])
    item = first.items[0]
    assert isinstance(item, TaskItem)
    with pytest.raises(AttributeError):
        item.checked = False  # type: ignore[misc]


def _template_description(rng: random.Random, number: int) -> str:
    lines = [f"Onboarding for rep {number}.", ""]
    for phase in ("Day 30", "Day 60", "Day 90"):
        lines += [f"## {phase}", ""]
        for index in range(20):
            box = rng.choice(["[ ]", "[x]", "[~]"])
            red = "🔴 " if index % 4 == 0 else ""
            indent = "  " if index % 5 == 4 else ""
            lines.append(f"{indent}- {box} {red}Step {number}.{index} <!-- task:s{index} -->")
        lines.append("")
    return "\n".join(lines)


def test_template_sized_descriptions_read_every_item() -> None:
    # speed is measured by `make bench`, not here; this checks the fast path's answers
    rng = random.Random(7)
    descriptions = [_template_description(rng, number) for number in range(200)]
    parsed = [parse(description) for description in descriptions]
    assert all(len(checklist.items) == 60 for checklist in parsed)


def test_checklist_json_of_a_1_mb_description_is_plain_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Plain json.dumps, not rich's pretty-printer (5-7 s on this input before).
    lines = [f"- [{'x' if n % 2 else ' '}] Café item {n} <!-- task:k{n} -->" for n in range(30_000)]
    description = tmp_path / "big.md"
    description.write_text("## Day 30\n" + "\n".join(lines) + "\n", encoding="utf-8")
    assert description.stat().st_size > 1_000_000
    assert main(["checklist", str(description), "--json"]) == 0
    out = capsys.readouterr().out
    assert "\x1b[" not in out  # no terminal colour codes
    data = json.loads(out)
    assert (data["count"], data["completed_count"]) == (30_000, 15_000)
    assert data["sections"][0]["items"][1] == {
        "text": "Café item 1",
        "checked": True,
        "inapplicable": False,
        "required": False,
        "key": "k1",
        "line": 3,
    }


def test_the_reader_benchmark_reports_every_input_of_the_issue() -> None:
    from benchmarks.checklist import bench, table

    figures = bench(repeat=1)
    names = [figure.name for figure in figures]
    for needed in (
        "400,000 '>'",
        "tab nesting 300 deep x3",
        "526 KB nested 800 deep",
        "1 MB ordinary",
    ):
        assert any(name.startswith(needed) for name in names), needed
    assert all(figure.tasks > 0 for figure in figures if "ordinary" in figure.name)
    assert "CPU s/MB" in table(figures)


@pytest.mark.parametrize(
    "description",
    [
        "[x]: https://example.com\n\n- [x] linked, no task\n- [ ] still a task\n",
        "- [ ]\u00a0a\n- [\u2003] b\n- [ ] \u2003c\n- [x] d\n",
    ],
    ids=["link-reference", "non-ascii-space"],
)
def test_the_sandbox_counts_these_like_gitlab_too(description: str) -> None:
    sandbox = summarize(description)
    checklist = parse(description)
    assert (sandbox.count, sandbox.completed_count) == (checklist.count, checklist.completed_count)


def test_a_wide_table_over_many_lines_does_not_stall_the_reader() -> None:
    # GFM pads each row to the header's width: 1,000 columns over 10,000 short
    # lines took comrak 22 s for 24 KB. Past 20,000 cells tables are not rendered.
    description = "|" + "a|" * 1000 + "\n|" + "-|" * 1000 + "\n" + "x\n" * 10_000
    assert counts(description + "\n- [ ] after the table\n") == (1, 0)


def test_a_task_whose_line_is_a_table_header_is_no_task() -> None:
    # comrak reads `[ ] a | b` over `--|--` as a table inside the item.
    assert counts("- [ ] a | b\n  --|--\n- [ ] c\n") == (1, 0)
    assert counts("| a | b |\n|---|---|\n| - [ ] x | y |\n\n- [ ] after\n") == (1, 0)
