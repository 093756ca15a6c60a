from __future__ import annotations

import pytest

from automation.marker import Marker, find, slug


def test_a_rendered_marker_is_found_again() -> None:
    marker = Marker("handover", "acct-42@2026-12-01", 3)
    assert find(f"Some text\n\n{marker.render()}\n") == marker


def test_the_last_marker_wins_because_the_bot_appends_its_own() -> None:
    first = Marker("handover", "a", 1).render()
    last = Marker("onboarding", "bob@2026-12-01", 1).render()
    assert find(f"{first}\n{last}") == Marker("onboarding", "bob@2026-12-01", 1)


@pytest.mark.parametrize("text", [None, "", "no marker", "<!-- salesbot:marker workflow=x -->"])
def test_descriptions_without_a_whole_marker_have_none(text: str | None) -> None:
    assert find(text) is None


@pytest.mark.parametrize("key", ["has space", "a-->b", "", "x--y", "<!--"])
def test_keys_that_could_break_the_comment_are_refused(key: str) -> None:
    with pytest.raises(ValueError):
        Marker("handover", key)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("ACME Corp / EMEA", "ACME-Corp-EMEA"), ("  ", "none"), ("0065e000001", "0065e000001")],
)
def test_slug_makes_free_text_safe_for_a_marker(text: str, expected: str) -> None:
    assert slug(text) == expected
    Marker("handover", slug(text))  # never raises
