"""Owners for issues opened before their template named them (issue 14,
`automation.upgrade_owners`): the upgrade reads each owner back from the
issue's own text and inserts the owner comments, nothing else."""

from __future__ import annotations

import re

from automation import hidden
from automation.marker import Marker
from automation.template_export import PLACEHOLDERS
from automation.templates import render
from automation.upgrade import load_spec, upgrade

OWNER_LINE = re.compile(r"^<!-- owner:[^>]* -->\n", re.MULTILINE)
ITEM_OWNER = re.compile(r"<!-- owner:[^>]* --> ")


def _current(kind: str, data: dict[str, object]) -> str:
    rendered = render(kind, {**PLACEHOLDERS[kind], **data}).description
    marker = Marker(kind, "k", load_spec(kind).version)
    return f"{rendered.rstrip()}\n\n{marker.render()}\n"


def _before_owners(text: str) -> str:
    """The issue as a template without owners rendered it, at version 1."""
    old = ITEM_OWNER.sub("", OWNER_LINE.sub("", text))
    return re.sub(r"version=\d+ -->", "version=1 -->", old)


HANDOVER = {"from_user": "bob", "to_user": "carol_c", "manager": "alice"}


def test_a_handover_opened_before_owners_gets_every_section_owner() -> None:
    current = _current("handover", HANDOVER)
    result = upgrade(_before_owners(current), load_spec("handover"))
    assert result.description == current
    assert result.owners == ("Outgoing seller", "Incoming seller", "Manager")
    assert "3 given their owner" in result.summary()
    assert upgrade(result.description, load_spec("handover")).description == current


def test_an_onboarding_item_gets_its_owner_on_its_own_line() -> None:
    data = {"hire": "erin", "manager": "alice", "department": "Enterprise", "segment": "SMB"}
    current = _current("onboarding", data)
    result = upgrade(_before_owners(current), load_spec("onboarding"))
    assert result.description == current and result.owners == ("onboarding.buddy",)
    buddy = next(n for n, x in enumerate(current.split("\n"), 1) if "onboarding.buddy" in x)
    assert hidden.owners_of_lines(result.description, [buddy]) == {buddy: "alice"}


def test_a_line_a_person_rewrote_leaves_that_owner_unnamed() -> None:
    current = _current("handover", HANDOVER)
    old = _before_owners(current)
    # the sellers are read from the line a person rewrote; the manager from its own
    edited = re.sub(r"moves from @bob to carol\\?_c on", "moves on", old)
    assert edited != old
    result = upgrade(edited, load_spec("handover"))
    assert result.owners == ("Manager",)  # never a wrong owner: theirs nudge the assignees
    assert "<!-- owner:bob -->" not in result.description


def test_ticks_and_windows_line_endings_are_kept() -> None:
    current = _current("handover", HANDOVER)
    old = _before_owners(current).replace("- [ ]", "- [x]", 2).replace("\n", "\r\n")
    result = upgrade(old, load_spec("handover"))
    expected = current.replace("- [ ]", "- [x]", 2).replace("\n", "\r\n")
    assert result.description == expected
