"""The receiver's parts on their own: ordering per issue, bounded memory."""

from __future__ import annotations

import threading
import time

from hypothesis import given, settings
from hypothesis import strategies as st

from automation.receiver.dedupe import Seen, delivery_key
from automation.receiver.dispatch import Dispatcher, Job


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=6), min_size=1, max_size=60))
def test_one_issues_events_are_never_processed_at_once_nor_out_of_order(
    iids: list[int],
) -> None:
    lock = threading.Lock()
    busy: set[int] = set()
    seen: dict[int, list[int]] = {}
    overlaps: list[int] = []

    def handle(job: Job) -> None:
        with lock:
            if job.iid in busy:
                overlaps.append(job.iid)
            busy.add(job.iid)
        time.sleep(0.0005)
        with lock:
            busy.discard(job.iid)
            seen.setdefault(job.iid, []).extend(int(str(e["n"])) for e in job.events)

    dispatcher = Dispatcher(handle, workers=3, capacity=1000).start()
    for n, iid in enumerate(iids):
        assert dispatcher.submit(iid, {"n": n}) in ("queued", "coalesced")
    assert dispatcher.stop(timeout=10) == 0
    assert overlaps == []
    for iid, numbers in seen.items():
        assert numbers == sorted(numbers)  # in the order they arrived
        assert numbers == [n for n, i in enumerate(iids) if i == iid]  # none lost


def test_a_full_queue_drops_without_blocking() -> None:
    release = threading.Event()
    dispatcher = Dispatcher(lambda job: release.wait(5), workers=1, capacity=2).start()
    outcomes = [dispatcher.submit(iid, {}) for iid in range(1, 6)]
    release.set()
    dispatcher.stop()
    assert outcomes.count("dropped") >= 2 and dispatcher.dropped == outcomes.count("dropped")
    assert dispatcher.submit(9, {}) == "stopping"


def test_remembered_deliveries_are_bounded_in_number_and_age() -> None:
    now = [0.0]
    seen = Seen(size=3, ttl=60, clock=lambda: now[0])
    assert seen.first_time("a") and not seen.first_time("a")
    for key in "bcd":
        assert seen.first_time(key)
    assert len(seen) == 3 and seen.first_time("a")  # "a" was the oldest: forgotten
    now[0] = 120
    assert seen.first_time("b") and len(seen) == 1  # the rest expired


def test_a_delivery_is_keyed_by_idempotency_key_else_by_its_body() -> None:
    assert delivery_key("k1", b"x") == delivery_key("k1", b"y")
    assert delivery_key(None, b"x") == delivery_key("", b"x") != delivery_key(None, b"y")


def test_the_intake_is_bounded_and_a_failing_delivery_does_not_stop_it() -> None:
    from automation.receiver.intake import Accepted, Intake

    read: list[bytes] = []
    gate = threading.Event()

    def handle(accepted: Accepted) -> None:
        gate.wait(5)
        if accepted.body == b"boom":
            raise RuntimeError("a bug")
        read.append(accepted.body)

    intake = Intake(handle, capacity=3, max_bytes=1000).start()
    assert not intake.offer(Accepted({}, None, b"x" * 2000))  # more bytes than allowed
    offered = [intake.offer(Accepted({}, None, body)) for body in (b"boom", b"a", b"b", b"c")]
    # one may already be taken off the queue by the thread: at most one more fits
    assert offered[:3] == [True, True, True] and intake.dropped == 1 + offered.count(False)
    gate.set()
    assert intake.stop(timeout=5) == 0
    assert read[:2] == [b"a", b"b"]
