"""One membership heartbeat per process on the embedded log (alac_kernel.bus.log_heartbeat):
it renews every consumer group of the process in one transaction while their members wait in
their polls, and a process that dies is renewed by nobody: the other members take its
partitions over after the session timeout, as before."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import event, text

from alac_kernel.bus.base import BusConsumer, OutgoingRecord
from alac_kernel.bus.log import LogBus
from alac_kernel.doorbell import Doorbell

WORKER = Path(__file__).with_name("log_worker.py")
TOPIC, PARTITIONS = "alac.multi", 4  # log_worker's topic
GROUPS = ["cases", "search", "analytics"]


def expiries(bus: LogBus) -> dict[str, object]:
    """The earliest lease expiry of each group."""
    with bus.reader.connect() as conn:
        rows = conn.execute(
            text("SELECT group_id, min(expires_at) FROM bus_leases GROUP BY group_id")
        ).all()
    return dict(rows)  # type: ignore[arg-type]


def held(member: BusConsumer) -> set[tuple[str, int]]:
    return set(member.lag())  # lag() lists the partitions the member holds


def test_one_heartbeat_renews_every_group_of_the_process_in_one_transaction(log_url):
    bus = LogBus(log_url, partitions=PARTITIONS, session_timeout_s=0.9)
    members = [bus.consumer(group, [TOPIC], client_id="one") for group in GROUPS]
    for member in members:
        assert member.poll(max_records=10, timeout_s=0.0) == []
        assert held(member) == {(TOPIC, p) for p in range(PARTITIONS)}
    renewals: list[tuple[str, ...]] = []

    @event.listens_for(bus.writer, "before_cursor_execute")
    def _seen(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("UPDATE BUS_MEMBERS"):
            values = parameters.values() if isinstance(parameters, dict) else parameters
            renewals.append(tuple(str(v) for v in values))

    before = expiries(bus)
    # Each member waits in one poll longer than the session timeout (5 heartbeats), in a thread
    # of its own, as a service's consumer threads do.
    polls = [
        threading.Thread(target=member.poll, kwargs={"max_records": 10, "timeout_s": 1.5})
        for member in members
    ]
    for poll in polls:
        poll.start()
    for poll in polls:
        poll.join()
    after = expiries(bus)
    assert set(after) == set(GROUPS)
    assert all(after[group] > before[group] for group in GROUPS), (before, after)
    everyone = {member.member_id for member in members}
    assert renewals, "the members' heartbeats were written"
    assert all(everyone <= set(values) for values in renewals), (
        "each heartbeat renews every group's member at once",
        renewals,
    )
    for member in members:
        assert held(member) == {(TOPIC, p) for p in range(PARTITIONS)}
        member.close()
    bus.close()


def test_the_heartbeat_looks_at_the_log_for_its_members_when_a_ring_is_missed(log_url):
    bus = LogBus(log_url, partitions=PARTITIONS, session_timeout_s=0.6)
    member = bus.consumer("cases", [TOPIC], client_id="one")
    # The first wait starts listening (on PostgreSQL, LISTEN rings once when connected, for
    # what was written before it: the member looks then).
    assert member.poll(max_records=10, timeout_s=1.0) == []
    member_reads: list[str] = []

    @event.listens_for(bus.reader, "before_cursor_execute")
    def _seen(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if threading.current_thread() is threading.main_thread():
            member_reads.append(statement)

    # Idle, the member waits in its polls without reading the log itself: the process's
    # heartbeat (every 0.2 s here) looks for it.
    for _ in range(3):
        assert member.poll(max_records=10, timeout_s=0.5) == []
    assert not [s for s in member_reads if "bus_partitions" in s], member_reads

    # A record whose ring never arrives (a publisher with a doorbell of its own, heard by
    # nobody): the heartbeat's look finds it and wakes the member, within a poll shorter than
    # the member's own safety net (SAFETY_NET_S, 5 s).
    publisher = LogBus(log_url, partitions=PARTITIONS)
    publisher.doorbell = Doorbell()
    publisher.publish([OutgoingRecord(topic=TOPIC, key="k", value=b"missed", headers={})])
    assert [r.value for r in member.poll(max_records=10, timeout_s=3.0)] == [b"missed"]
    member.close()
    publisher.close()
    bus.close()


@pytest.mark.timeout(180)
def test_a_dead_process_loses_every_group_after_the_session_timeout(log_url):
    timeout_s = 1.5
    LogBus(log_url, partitions=PARTITIONS).close()  # the schema exists before the worker starts
    worker = subprocess.Popen(
        [sys.executable, str(WORKER), "hold", log_url, str(timeout_s), *GROUPS],
        stdout=subprocess.PIPE,
        text=True,
    )
    bus = LogBus(log_url, partitions=PARTITIONS, session_timeout_s=timeout_s)
    try:
        assert worker.stdout is not None and worker.stdout.readline().strip() == "joined"
        members = [bus.consumer(group, [TOPIC], client_id="survivor") for group in GROUPS]

        def poll_until(condition) -> None:  # type: ignore[no-untyped-def]
            deadline = time.monotonic() + 60
            while not condition() and time.monotonic() < deadline:
                for member in members:
                    member.poll(max_records=10, timeout_s=0.05)

        # The worker's members wait in polls longer than the session timeout; its heartbeat
        # keeps their leases, so the survivors get a fair share each, and no more, even after
        # several session timeouts.
        poll_until(lambda: all(len(held(m)) == PARTITIONS // 2 for m in members))
        assert [len(held(m)) for m in members] == [PARTITIONS // 2] * len(GROUPS)
        settle = time.monotonic() + 3 * timeout_s
        poll_until(lambda: time.monotonic() > settle)
        assert [len(held(m)) for m in members] == [PARTITIONS // 2] * len(GROUPS)

        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
        everything = {(TOPIC, p) for p in range(PARTITIONS)}
        poll_until(lambda: all(held(m) == everything for m in members))
        assert [held(m) for m in members] == [everything] * len(GROUPS)
        for member in members:
            member.close()
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
        bus.close()
