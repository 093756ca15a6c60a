from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from automation.marker import (
    Marker,
    decode,
    encode,
    find,
    is_legacy,
    key_part,
    legacy_key,
    parse_part,
    slug,
)


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


@pytest.mark.parametrize(
    ("text", "part"),
    [
        ("Acme, Inc.", "name:Acme+2C_Inc."),
        ("Acme Inc", "name:Acme_Inc"),
        ("@Home", "name:+40Home"),
        ("+Plus", "name:+2BPlus"),
        ("a--b", "name:a-+2Db"),
        ("a---b", "name:a-+2D-b"),
        ("ACC-1", "name:ACC-1"),
        ("Café", "name:Caf+C3+A9"),
        ("  padded  ", "name:padded"),
    ],
)
def test_names_are_encoded_readably_and_without_loss(text: str, part: str) -> None:
    assert key_part("name", text) == part
    assert parse_part(part) == ("name", text.strip())
    assert find(Marker("handover", f"{part}@2026-12-07").render()) is not None


def test_ids_and_names_never_share_a_key() -> None:
    assert key_part("id", "Acme") != key_part("name", "Acme")


def test_a_decomposed_accent_is_the_same_name_as_a_precomposed_one() -> None:
    assert key_part("name", "Cafe\u0301") == key_part("name", "Caf\u00e9")


@pytest.mark.parametrize("bad", ["a b", "+4", "+zz", "a--b", "+FF", "x@y"])
def test_decode_refuses_what_encode_never_writes(bad: str) -> None:
    with pytest.raises(ValueError):
        decode(bad)


def test_legacy_keys_are_what_the_old_code_wrote() -> None:
    assert legacy_key("Acme, Inc.", "@2026-12-07") == "Acme-Inc@2026-12-07"
    assert legacy_key("0065e00000ABCD") == "0065e00000ABCD"
    assert legacy_key("@Home", "@2026-12-07") is None  # the old code crashed on it
    assert is_legacy("Acme-Inc@2026-12-07") and not is_legacy("name:Acme_Inc@2026-12-07")


# Any text a CSV cell or a CLI argument can carry, surrogates aside.
names = st.text(st.characters(exclude_categories=("Cs",)), min_size=1).filter(
    lambda t: unicodedata.normalize("NFC", t).strip() != ""
)


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip()


@given(names, names)
def test_distinct_names_have_distinct_keys(a: str, b: str) -> None:
    assert (key_part("name", a) == key_part("name", b)) == (nfc(a) == nfc(b))


@given(names, st.sampled_from(["id", "name"]), st.dates())
def test_every_key_fits_a_marker_and_parses_back(text: str, kind: str, day: object) -> None:
    key = f"{key_part(kind, text)}@{day}"
    marker = Marker("handover", key, 1)
    found = find(f"Body with {text!r}\n\n{marker.render()}\n")
    assert found == marker
    part, _, _ = found.key.rpartition("@")
    assert parse_part(part) == (kind, nfc(text))
    assert not is_legacy(found.key)


@given(names)
def test_encoding_only_writes_the_markers_alphabet(text: str) -> None:
    encoded = encode(text)
    assert "--" not in encoded and "@" not in encoded and ":" not in encoded
    assert decode(encoded) == nfc(text)
