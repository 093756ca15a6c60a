"""Issues opened before keys were encoded (legacy `slug@date` markers): the
planners find them again and never take another account's."""

from __future__ import annotations

import unicodedata
from dataclasses import replace
from datetime import date
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from automation.actions import CreateIssue, Plan
from automation.fields import Segment
from automation.index import Index
from automation.marker import Marker, legacy_key
from automation.workflows import consults, handover
from tests.factories import environment, index_of, issue, shipped

TODAY = date(2026, 11, 27)
EFFECTIVE = date(2026, 12, 7)
CONFIG, TEAM = shipped()
ENV = environment(TODAY, CONFIG)
CONSULT = ("Opportunity Consult",)


def plan_handover(index: Index, account: str, to: str = "carol") -> Plan:
    item = handover.make(
        account=account, from_user="bob", to_user=to, effective=EFFECTIVE, today=TODAY
    )
    return handover.plan(ENV, TEAM, index, [item])


def opened_before_the_upgrade(account: str, iid: int = 1) -> Index:
    """An index holding the issue the old code opened for `account`: today's
    title and a marker in the old format (`key=slug@date`)."""
    (step,) = plan_handover(index_of(), account)
    create = step.action
    assert isinstance(create, CreateIssue)
    key = legacy_key(account, f"@{EFFECTIVE.isoformat()}")
    assert key is not None
    old = issue(iid, Marker("handover", key, create.marker.version))
    return index_of(replace(old, title=create.title))


# Names that collide under the old slug: letters, spaces, punctuation, accents.
names = st.text(alphabet="Aa ,.&-é\u0301ü", min_size=1, max_size=6).filter(
    lambda t: t.strip(" .-") != "" and legacy_key(t) is not None
)


@settings(max_examples=200)
@given(names)
def test_a_legacy_issue_is_found_not_duplicated(account: str) -> None:
    index = opened_before_the_upgrade(account)
    found = plan_handover(index, account)
    assert len(found) == 0 and "already open" in found.notes[0]
    assert len(plan_handover(index, account, to="dave")) == 0  # same account and date


@settings(max_examples=200)
@given(names, names)
def test_another_account_whose_slug_collides_opens_its_own(old: str, new: str) -> None:
    index = opened_before_the_upgrade(old)
    (legacy,) = index
    own = plan_handover(index_of(), new)
    title = own.steps[0].action.title  # type: ignore[union-attr]
    planned = plan_handover(index, new)
    if title == legacy.issue.title:
        # the title shows the two names identically (they differ only in
        # whitespace runs): the old issue is taken as this account's
        assert len(planned) == 0
    else:
        assert len(planned) == 1
        assert unicodedata.normalize("NFC", old) != unicodedata.normalize("NFC", new)


def test_a_legacy_issue_whose_title_a_person_changed_is_named_in_a_note() -> None:
    index = opened_before_the_upgrade("Acme, Inc.")
    (legacy,) = index
    edited = index_of(replace(legacy.issue, title="Acme handover (renamed)"))
    planned = plan_handover(edited, "Acme, Inc.")
    assert len(planned) == 1 and legacy.issue.web_url in planned.notes[0]


def opportunity(id_: str, line: int = 2) -> consults.Opportunity:
    return consults.Opportunity(
        id=id_, name="Deal", account="Acme", owner="bob", segment=Segment.SMB,
        iacv=Decimal(12000), amount=None, close_date=date(2027, 1, 15), stage="2-Scoping",
        line=line,
    )  # fmt: skip


def test_a_legacy_opportunity_issue_is_found_by_its_exact_id() -> None:
    index = index_of(issue(1, Marker("opportunity", "0065e00000ABCD"), labels=CONSULT))
    assert len(consults.plan(ENV, TEAM, index, [opportunity("0065e00000ABCD")])) == 0


def test_of_two_ids_sharing_a_legacy_slug_the_one_spelt_as_the_slug_takes_the_old_issue() -> None:
    index = index_of(issue(1, Marker("opportunity", "A-1"), labels=CONSULT))
    alone = consults.plan(ENV, TEAM, index, [opportunity("A 1")])
    assert len(alone) == 0  # the only row with that slug: the old issue is its own
    both = consults.plan(ENV, TEAM, index, [opportunity("A 1"), opportunity("A-1", 3)])
    (step,) = both
    assert isinstance(step.action, CreateIssue) and step.action.marker.key == "id:A_1"
