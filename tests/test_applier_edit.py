"""The dashboard's rewrite keeps a person's ticks made between read and write
(`applier.keep_ticks`, run by `EditIssue`)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from automation.applier import keep_ticks
from automation.checklist import parse

KEYS = [f"dashboard.extend.{n}" for n in range(1, 6)]


def board(ticked: set[str]) -> str:
    lines = ["## Account handovers", "", "| a | b |", "|---|---|", ""]
    for key in KEYS:
        mark = "x" if key in ticked else " "
        lines.append(f"- [{mark}] Extend {key} <!-- offered:2026-12-01 --> <!-- task:{key} -->")
    return "\n".join(lines) + "\n"


def ticks(text: str) -> set[str]:
    return {i.key for i in parse(text).items if i.key and i.checked}


@given(
    planned=st.sets(st.sampled_from(KEYS)),
    fresh=st.sets(st.sampled_from(KEYS)),
    release=st.sets(st.sampled_from(KEYS)),
)
def test_the_rewrite_shows_what_a_person_left_ticked_except_what_it_carried_out(
    planned: set[str], fresh: set[str], release: set[str]
) -> None:
    kept = keep_ticks(board(planned), board(fresh), frozenset(release))
    assert ticks(kept) == fresh - release
    # only the boxes change: every other line is the planned body's
    plain = [line for line in kept.split("\n") if "task:" not in line]
    assert plain == [line for line in board(planned).split("\n") if "task:" not in line]
