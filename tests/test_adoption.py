"""Invariants of the Give Back adoption figures (`automation.adoption`, pure)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from automation import adoption
from automation.adoption import Ledger, Month, Project, Seen

USERNAMES = st.from_regex(r"[a-z][a-z0-9_.-]{0,12}", fullmatch=True)
STAMPS = st.from_regex(
    r"20[0-9]{2}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9]Z", fullmatch=True
)
KEYS = st.builds(
    lambda u, m: f"{u}@2026-12-01@{m}", USERNAMES, st.sampled_from(["2026-12", "2027-01"])
)


@given(
    st.dictionaries(
        st.integers(1, 10_000),
        st.builds(Seen, STAMPS, st.lists(USERNAMES, max_size=5).map(tuple), st.booleans()),
        max_size=20,
    ),
    st.frozensets(KEYS, max_size=5),
    st.text(max_size=50),
)
def test_the_ledger_survives_the_dashboard_and_cannot_mention_anyone(
    seen: dict[int, Seen], flagged: frozenset[str], around: str
) -> None:
    ledger = Ledger(seen, flagged)
    record = ledger.record()
    assert "@" not in record and record.count("-->") == 1  # no mention, one comment
    description = f"{around.replace('<!--', '')}\n{record}\n"
    assert Ledger.read(description) == ledger


def test_a_mangled_ledger_reads_as_empty_so_the_notes_are_read_again() -> None:
    assert Ledger.read('<!-- salesbot:roll-call {"seen": 3} -->') == Ledger()
    assert Ledger.read("no record") == Ledger()


MONTHS = [f"{2026 + (n // 12)}-{n % 12 + 1:02d}" for n in range(24)]


@given(st.lists(st.tuples(st.integers(0, 5), st.booleans()), min_size=0, max_size=24))
def test_a_flag_is_raised_once_per_run_of_two_or_more_months_under_target(
    shape: list[tuple[int, bool]],
) -> None:
    # each month: how many of 5 used it, and whether the bot ran that month
    months = tuple(
        Month(MONTHS[n], n + 1, "", 5, tuple(f"u{i}" for i in range(used)), complete=True)
        for n, (used, ran) in enumerate(shape)
        if ran
    )
    project = Project("grace@2026-12-01", 1, "p", "", "grace", "alice", months)
    flags = project.flags()
    assert len(flags) == len(set(flags))
    by_month = {m.month: m for m in months}
    for flag in flags:
        month = by_month[flag.rpartition("@")[2]]
        before = MONTHS[MONTHS.index(month.month) - 1]
        assert month.under and before in by_month and by_month[before].under
    # one flag per maximal run of consecutive months under target (70%: 4 of 5 is on target)
    runs, length = 0, 0
    for n in range(len(shape)):
        month = by_month.get(MONTHS[n])
        length = length + 1 if month is not None and month.rate < adoption.TARGET else 0
        runs += length == 2
    assert len(flags) == runs
