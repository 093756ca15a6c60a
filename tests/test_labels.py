from __future__ import annotations

from automation.labels import LabelSet, scope_of, siblings

LABELS = LabelSet("salesbot", "progress", "status", "phase", "segment")


def test_the_scope_is_everything_up_to_the_last_double_colon() -> None:
    assert scope_of("a::b::c") == "a::b"
    assert scope_of("progress::complete") == "progress"
    assert scope_of("Onboarding") is None


def test_siblings_are_the_other_labels_of_the_same_scope() -> None:
    present = ["progress::in-progress", "phase::day-30", "Onboarding", "progress::complete"]
    assert siblings(present, "progress::complete") == ("progress::in-progress",)
    assert siblings(present, "Onboarding") == ()


def test_label_names_follow_the_configured_scopes() -> None:
    assert LABELS.progress("not-started") == "progress::not-started"
    assert LABELS.phase(60) == "phase::day-60"
    assert LABELS.overdue == "status::overdue"
    assert "salesbot" in LABELS.all_static()
