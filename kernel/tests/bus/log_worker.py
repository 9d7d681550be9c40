"""A producer or consumer process for test_log_multiprocess (run as a script, so each one is
a real separate process with its own connections)."""

from __future__ import annotations

import json
import sys
import threading
import time

from alac_kernel.bus import BusConsumer, OutgoingRecord
from alac_kernel.bus.log import LogBus

TOPIC = "alac.multi"
BATCHES, BATCH = 20, 10


def produce(url: str, producer: int) -> None:
    bus = LogBus(url, partitions=4)
    for b in range(BATCHES):
        bus.publish(
            OutgoingRecord(
                TOPIC, f"p{producer}-k{i % 5}", f"{producer}:{b * BATCH + i:04d}".encode(), {}
            )
            for i in range(BATCH)
        )
    bus.close()


def consume(url: str, total: int, quiet_s: float) -> None:
    """Consume until the group as a whole has committed `total` records and `quiet_s` passed
    with nothing new; print what this member saw, as JSON."""
    bus = LogBus(url, partitions=4, session_timeout_s=3.0)
    consumer = bus.consumer("multi", [TOPIC])
    seen: list[tuple[str, str]] = []
    last_new = time.monotonic()
    while True:
        records = consumer.poll(50, 0.1)
        if records:
            consumer.commit(records)
            seen += [(r.key or "", r.value.decode()) for r in records]
            last_new = time.monotonic()
        elif time.monotonic() - last_new > quiet_s and _committed(bus) >= total:
            break
    consumer.close()
    bus.close()
    print(json.dumps(seen))


def _committed(bus: LogBus) -> int:
    from sqlalchemy import text

    with bus.reader.connect() as conn:
        return conn.execute(
            text("SELECT coalesce(sum(committed), 0) FROM bus_offsets WHERE group_id = 'multi'")
        ).scalar_one()


def hold(url: str, session_timeout_s: float, groups: list[str]) -> None:
    """A service's consumers: one member per group, each polling in a thread of its own with a
    poll longer than the session timeout; runs until killed. Prints "joined" once every member
    holds partitions."""
    bus = LogBus(url, partitions=4, session_timeout_s=session_timeout_s)
    members = [bus.consumer(group, [TOPIC], client_id="worker") for group in groups]
    for member in members:
        while not member.lag():  # the partitions this member holds
            member.poll(10, 0.0)

    def run(member: BusConsumer) -> None:
        while True:
            member.poll(10, 5 * session_timeout_s)

    for member in members:
        threading.Thread(target=run, args=(member,), daemon=True).start()
    print("joined", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    if sys.argv[1] == "produce":
        produce(sys.argv[2], int(sys.argv[3]))
    elif sys.argv[1] == "hold":
        hold(sys.argv[2], float(sys.argv[3]), sys.argv[4:])
    else:
        consume(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
