"""The embedded log when nothing happens: leases renewed cheaply while the group does not
change (and shared again when a member joins, taken over when one stops polling: Kafka's
session timeout), and no read of the log at every wake when nothing was published."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import event

from alac_kernel.bus.base import BusConsumer, OutgoingRecord
from alac_kernel.bus.log import LogBus

TOPIC, GROUP, PARTITIONS = "orders", "g", 4
EVERY = {(TOPIC, p) for p in range(PARTITIONS)}


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'bus.db'}"


@pytest.fixture
def buses(url: str) -> Iterator[list[LogBus]]:
    made: list[LogBus] = []
    yield made
    for bus in made:
        bus.close()


def held(consumer: BusConsumer) -> set[tuple[str, int]]:
    return set(consumer.lag())


def poll_until(condition, *members: BusConsumer, within_s: float = 20) -> None:  # type: ignore[no-untyped-def]
    """Each member polls in turn (as its own worker would) until `condition()` holds."""
    deadline = time.monotonic() + within_s
    while not condition() and time.monotonic() < deadline:
        for member in members:
            member.poll(max_records=10, timeout_s=0.05)


def test_an_idle_member_renews_with_two_updates_and_nothing_else(buses, url):
    buses.append(bus := LogBus(url, partitions=PARTITIONS, session_timeout_s=0.6))
    member = bus.consumer(GROUP, [TOPIC], client_id="alone")
    assert member.poll(max_records=10, timeout_s=0.0) == []
    assert held(member) == EVERY
    written: list[str] = []

    @event.listens_for(bus.writer, "before_cursor_execute")
    def _seen(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        written.append(" ".join(statement.split()[:3]).upper())

    with bus.reader.connect() as conn:
        before = conn.exec_driver_sql("SELECT max(expires_at) FROM bus_leases").scalar_one()
    # A second of idle polling: several heartbeats (every 0.2 s).
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline:
        assert member.poll(max_records=10, timeout_s=0.1) == []
    with bus.reader.connect() as conn:
        after = conn.exec_driver_sql("SELECT max(expires_at) FROM bus_leases").scalar_one()
    assert after > before, "the leases were renewed"
    assert held(member) == EVERY
    statements = {s for s in written if not s.startswith(("BEGIN", "COMMIT", "ROLLBACK"))}
    assert statements == {"UPDATE BUS_MEMBERS SET", "UPDATE BUS_LEASES SET"}, written
    member.close()


def test_a_new_member_gets_its_share_and_a_silent_one_is_taken_over(buses, url):
    buses.extend(LogBus(url, partitions=PARTITIONS, session_timeout_s=1.5) for _ in range(2))
    first = buses[0].consumer(GROUP, [TOPIC], client_id="first")
    first.poll(max_records=10, timeout_s=0.0)
    assert held(first) == EVERY
    second = buses[1].consumer(GROUP, [TOPIC], client_id="second")

    # The first gives half back at a heartbeat; the second takes it.
    poll_until(lambda: len(held(first)) == len(held(second)) == 2, first, second)
    assert len(held(first)) == len(held(second)) == 2
    assert held(first) | held(second) == EVERY

    # The first stops polling (a crashed worker): after the session timeout its leases expire
    # and the second takes every partition.
    poll_until(lambda: held(second) == EVERY, second)
    assert held(second) == EVERY
    second.close()

    # The first polls again: its leases are gone, and it takes the partitions left free.
    poll_until(lambda: held(first) == EVERY, first)
    assert held(first) == EVERY
    first.close()


def test_an_idle_consumer_reads_the_log_again_only_when_rung(buses, url):
    buses.append(bus := LogBus(url, partitions=PARTITIONS))
    member = bus.consumer(GROUP, [TOPIC], client_id="reader")
    assert member.poll(max_records=10, timeout_s=0.0) == []
    read: list[str] = []

    @event.listens_for(bus.reader, "before_cursor_execute")
    def _seen(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if threading.current_thread() is threading.main_thread():  # not the process heartbeat
            read.append(statement)

    for _ in range(10):
        assert member.poll(max_records=10, timeout_s=0.0) == []
    assert not [s for s in read if "bus_records" in s or "bus_partitions" in s], read

    # A publish rings: the next poll reads the log and finds it.
    buses.append(publisher := LogBus(url, partitions=PARTITIONS))
    publisher.publish([OutgoingRecord(topic=TOPIC, key="k", value=b"v", headers={})])
    assert [r.value for r in member.poll(max_records=10, timeout_s=5.0)] == [b"v"]
    member.close()
