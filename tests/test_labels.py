from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from automation.labels import (
    LabelChange,
    LabelSet,
    scope_of,
    siblings,
    status_change,
    status_rank,
)

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


# -- status precedence ---------------------------------------------------------------

STATUS_VALUES = ["duplicate", "left-company", "closed-won", "below-threshold", "overdue"]


def test_status_precedence_duplicate_then_departure_then_deal_outcome_then_overdue() -> None:
    assert [status_rank(v) for v in STATUS_VALUES] == [0, 1, 2, 2, 3]
    # overdue never goes on over a higher status: on Premium it would replace it
    assert status_change(LABELS, ["status::left-company"], "overdue") is None
    assert status_change(LABELS, ["status::closed-won"], "overdue") is None
    # a higher status replaces a lower one, and a newer deal outcome an older one
    assert status_change(LABELS, ["status::overdue", "x"], "left-company") == LabelChange(
        add=("status::left-company",), remove=("status::overdue",)
    )
    assert status_change(LABELS, ["status::below-threshold"], "closed-won") == LabelChange(
        add=("status::closed-won",), remove=("status::below-threshold",)
    )
    # already there: nothing to add, and a stale lower sibling (Free) goes
    assert status_change(
        LABELS, ["status::left-company", "status::overdue"], "left-company"
    ) == LabelChange(remove=("status::overdue",))
    assert status_change(LABELS, ["status::overdue"], "overdue") == LabelChange()


def _free(present: set[str], change: LabelChange) -> set[str]:
    """GitLab Free: add_labels, then remove_labels; scopes are not exclusive."""
    return (present | set(change.add)) - set(change.remove)


def _premium(present: set[str], change: LabelChange) -> set[str]:
    """GitLab Premium (reference §3): a scope that gains a label keeps only it."""
    result = _free(present, change)
    for label in change.add:
        result = {x for x in result if x == label or scope_of(x) != scope_of(label)}
    return result


@given(
    present=st.sets(st.sampled_from([f"status::{v}" for v in STATUS_VALUES] + ["Onboarding"])),
    value=st.sampled_from(STATUS_VALUES),
)
def test_a_status_change_ends_with_one_status_label_on_both_tiers(
    present: set[str], value: str
) -> None:
    change = status_change(LABELS, present, value)
    held = [x.rpartition("::")[2] for x in present if x.startswith("status::")]
    if change is None:
        # only refused when something stronger holds, which it then keeps
        assert any(status_rank(h) < status_rank(value) for h in held)
        return
    free, premium = _free(present, change), _premium(present, change)
    assert free == premium
    assert {x for x in free if x.startswith("status::")} == {f"status::{value}"}
    assert "Onboarding" in free or "Onboarding" not in present
