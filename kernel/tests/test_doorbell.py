"""Doorbells with names: a consumer of the embedded log wakes for rings of its own topics
(or rings that name nothing), and sleeps through the others; in the process and between
processes sharing an SQLite file (two FileDoorbells on one file stand for two processes:
each has its own socket)."""

from __future__ import annotations

import threading

import pytest

from alac_kernel.doorbell import Doorbell, FileDoorbell


def woken(bell: Doorbell, names, ring, timeout_s: float = 0.3) -> bool:
    """Whether a waiter for `names` wakes when `ring()` is called (from another thread)."""
    seen = bell.generation_for(names)
    bell.listen()
    threading.Timer(0.05, ring).start()
    return bell.wait(seen, timeout_s, names)


def test_a_waiter_wakes_for_its_names_and_for_rings_naming_nothing():
    bell = Doorbell()
    assert woken(bell, ["alac.complaint"], lambda: bell.ring(["alac.complaint"]))
    assert woken(bell, ["alac.complaint"], lambda: bell.ring(["alac.case", "alac.complaint"]))
    assert woken(bell, ["alac.complaint"], bell.ring_local)
    assert not woken(bell, ["alac.complaint"], lambda: bell.ring(["alac.case"]))
    # A waiter naming nothing wakes for every ring, as the outbox relay's does.
    assert woken(bell, None, lambda: bell.ring(["alac.case"]))


@pytest.fixture
def two_processes(tmp_path):
    database = str(tmp_path / "bus.db.alac_bus")
    return FileDoorbell(database), FileDoorbell(database)


def test_rings_carry_their_names_to_other_processes(two_processes):
    here, there = two_processes
    there.listen()
    assert woken(there, ["alac.complaint"], lambda: here.ring(["alac.complaint"]))
    assert not woken(there, ["alac.complaint"], lambda: here.ring(["alac.tenant"]))
    assert woken(there, ["alac.tenant"], lambda: here.ring(["alac.tenant"]))


def test_a_ring_without_names_from_another_process_wakes_every_waiter(two_processes):
    here, there = two_processes
    there.listen()
    assert woken(there, ["alac.complaint"], here.ring)


def test_a_ring_with_more_names_than_a_datagram_holds_wakes_every_waiter(two_processes):
    here, there = two_processes
    there.listen()
    many = [f"alac.topic-{i:05d}-{'x' * 40}" for i in range(200)]
    assert woken(there, ["alac.complaint"], lambda: here.ring(many))


def test_no_ring_no_wake(two_processes):
    _, there = two_processes
    there.listen()
    assert not there.wait(there.generation_for(["alac.complaint"]), 0.2, ["alac.complaint"])
