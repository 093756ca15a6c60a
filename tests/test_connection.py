"""Where GitLab is and how its answers are quoted (automation.connection)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from automation.connection import Settings, answer_text, html_summary, looks_like_html
from automation.errors import InputError

texts = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=400)


def test_settings_come_from_the_environment() -> None:
    env = {
        "GITLAB_TOKEN": "secret-value",
        "CI_SERVER_URL": "https://gl.example/",
        "CI_PROJECT_PATH": "a/b",
    }
    settings = Settings.from_env(env)
    assert (settings.url, settings.project) == ("https://gl.example", "a/b")
    assert "secret-value" not in repr(settings)
    assert Settings.from_env({**env, "SALESBOT_PROJECT": "c/d"}).project == "c/d"
    assert Settings.from_env(env, project="e/f").project == "e/f"


def test_a_missing_token_names_the_variable() -> None:
    with pytest.raises(InputError, match="GITLAB_TOKEN"):
        Settings.from_env({"GITLAB_URL": "https://gl.example"}, project="a/b")


def test_no_project_anywhere_is_an_input_error() -> None:
    with pytest.raises(InputError, match="--project"):
        Settings.from_env({"GITLAB_TOKEN": "t"})


def test_an_html_body_is_summarised_by_its_title() -> None:
    page = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>" + "x" * 5000
    assert looks_like_html(page) and looks_like_html(b"  <!DOCTYPE html><p>")
    assert looks_like_html("{}", "text/html; charset=utf-8")
    assert not looks_like_html('{"message": "404 Not Found"}', "application/json")
    assert html_summary(page) == "an HTML page titled '502 Bad Gateway'"
    assert html_summary("<html><body><p>down</p></body></html>") == "an HTML page"
    assert answer_text(page.encode()) == "an HTML page titled '502 Bad Gateway'"


@given(texts)
def test_gitlabs_answer_is_one_short_line(text: str) -> None:
    shown = answer_text(text)
    assert "\n" not in shown and len(shown) <= 300
