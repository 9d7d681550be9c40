"""alac_kernel.fair_gate: at most `slots` inside, and the waiting threads enter in the order
they came (a thread arriving as a slot frees does not jump the queue)."""

from __future__ import annotations

import threading
import time

import pytest

from alac_kernel.fair_gate import FairGate


def _wait_until(condition, timeout_s: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        time.sleep(0.001)


def test_waiting_threads_enter_in_arrival_order() -> None:
    gate = FairGate(1)
    entered: list[int] = []
    release = threading.Event()

    def visit(n: int) -> None:
        with gate:
            entered.append(n)
            if n == 0:
                release.wait(10)  # holds the slot until every other thread waits

    threads = [threading.Thread(target=visit, args=(0,))]
    threads[0].start()
    _wait_until(lambda: entered == [0])
    for n in range(1, 11):  # queued one after the other, in this order
        t = threading.Thread(target=visit, args=(n,))
        t.start()
        threads.append(t)
        _wait_until(lambda n=n: gate.waiting == n)
    release.set()
    for t in threads:
        t.join(10)
    assert entered == list(range(11))
    assert gate.waiting == 0


def test_never_more_inside_than_the_slots() -> None:
    gate = FairGate(2)
    inside = 0
    most_inside = 0
    guard = threading.Lock()

    def visit() -> None:
        nonlocal inside, most_inside
        for _ in range(20):
            with gate:
                with guard:
                    inside += 1
                    most_inside = max(most_inside, inside)
                time.sleep(0.001)
                with guard:
                    inside -= 1

    threads = [threading.Thread(target=visit) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert most_inside == 2
    assert inside == 0


def test_a_slot_is_freed_when_the_body_raises() -> None:
    gate = FairGate(1)
    with pytest.raises(RuntimeError), gate:
        raise RuntimeError("boom")
    entered = threading.Event()

    def visit() -> None:
        with gate:
            entered.set()

    t = threading.Thread(target=visit)
    t.start()
    t.join(10)
    assert entered.is_set()


def test_a_gate_needs_a_slot() -> None:
    with pytest.raises(ValueError):
        FairGate(0)
