"""The field types every input shares: one username rule for config, CSV and CLI."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from automation.errors import InputError, TemplateError
from automation.fields import Username, UsernameOrMention
from automation.neutralise import mention
from automation.workflows import handover


class _Config(BaseModel):
    name: Username


class _Row(BaseModel):
    name: UsernameOrMention


def _accepted(check: Callable[[], object]) -> bool:
    try:
        check()
    except (ValidationError, TemplateError):
        return False
    return True


@given(st.text(max_size=20).filter(lambda t: t == t.strip()))
def test_the_config_the_csv_and_mentions_agree_on_what_a_username_is(text: str) -> None:
    in_config = _accepted(lambda: _Config(name=text))
    in_csv = _accepted(lambda: _Row(name=f"@{text}"))  # cells are stripped first
    assert in_config == in_csv
    assert not in_csv or _Row(name=f" @{text} ").name == text
    # mention() takes the same names, less group mentions such as @all
    assert not _accepted(lambda: mention(text)) or in_config


def test_a_handover_names_the_field_whose_username_is_bad() -> None:
    with pytest.raises(InputError, match=r"^to: 'a b' is not a GitLab username$"):
        handover.make(account="Acme", from_user="@bob", to_user="a b", effective=date(2026, 12, 1))
    made = handover.make(
        account=" Acme ", from_user="@bob", to_user="carol", effective=date(2026, 12, 1)
    )
    assert (made.account, made.from_user, made.to_user) == ("Acme", "bob", "carol")
