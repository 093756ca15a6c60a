from __future__ import annotations

from automation.marker import Marker
from tests.factories import index_of, issue


def test_only_the_bots_own_issues_with_a_marker_are_tracked() -> None:
    marker = Marker("handover", "acme@2026-12-01")
    index = index_of(
        issue(1, marker),
        issue(2, Marker("handover", "forged@2026-12-01"), author="mallory"),
        issue(3, None),
    )
    assert [t.issue.iid for t in index] == [1]
    assert index.get("handover", "forged@2026-12-01") is None


def test_the_oldest_issue_keeps_a_key_and_the_others_are_duplicates() -> None:
    marker = Marker("onboarding", "bob@2026-12-01")
    index = index_of(
        issue(7, marker, created_at="2026-11-02T10:00:00Z"),
        issue(5, marker, created_at="2026-11-02T09:00:00Z"),
        issue(9, marker, created_at="2026-11-03T09:00:00Z"),
    )
    kept = index.get("onboarding", "bob@2026-12-01")
    assert kept is not None and kept.issue.iid == 5
    assert sorted(d.extra.issue.iid for d in index.duplicates) == [7, 9]
    assert len(index) == 1


def test_lookup_finds_the_exact_key_first_then_a_legacy_key_its_claim_accepts() -> None:
    index = index_of(
        issue(1, Marker("handover", "Acme-Inc@2026-12-01")),
        issue(2, Marker("handover", "name:Acme_Inc@2026-12-01")),
    )
    found = index.lookup("handover", "name:Acme_Inc@2026-12-01", "Acme-Inc@2026-12-01")
    assert found is not None and found.issue.iid == 2
    old = index.lookup("handover", "name:Acme+2C_Inc.@2026-12-01", "Acme-Inc@2026-12-01")
    assert old is not None and old.issue.iid == 1
    refused = index.lookup(
        "handover", "name:Acme+2C_Inc.@2026-12-01", "Acme-Inc@2026-12-01", claims=lambda _: False
    )
    assert refused is None
    # a "legacy" key in the new form is never used as one
    assert index.lookup("handover", "name:x@2026-12-01", "name:Acme_Inc@2026-12-01") is None
