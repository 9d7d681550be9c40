"""The embedded log with several processes producing and consuming at once, on SQLite (WAL)
and on PostgreSQL: nothing is lost and each key keeps its order."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from alac_kernel.bus.log import LogBus

WORKER = Path(__file__).with_name("log_worker.py")
PRODUCERS, PER_PRODUCER = 3, 200
TOTAL = PRODUCERS * PER_PRODUCER


def _lease_holders(bus: LogBus) -> list[int]:
    """Partitions held per member of the group, e.g. [2, 2]."""
    with bus.reader.connect() as conn:
        rows = conn.execute(
            text("SELECT count(*) FROM bus_leases WHERE group_id = 'multi' GROUP BY member_id")
        ).scalars()
        return sorted(rows)


@pytest.mark.long
@pytest.mark.timeout(180)
def test_processes_produce_and_consume_at_once(log_url: str) -> None:
    LogBus(log_url, partitions=4).close()  # the schema exists before the race starts

    def run(*args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, str(WORKER), *args], stdout=subprocess.PIPE, text=True
        )

    consumers = [run("consume", log_url, str(TOTAL), "1.5") for _ in range(2)]
    # Let the group settle (each member holding its share of partitions) before the load,
    # so the test shows the sharing, not only a single member racing through everything.
    bus = LogBus(log_url, partitions=4)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and _lease_holders(bus) != [2, 2]:
        time.sleep(0.1)
    assert _lease_holders(bus) == [2, 2], "two members share the four partitions"
    bus.close()
    producers = [run("produce", log_url, str(n)) for n in range(PRODUCERS)]
    for proc in producers:
        assert proc.wait(timeout=120) == 0
    streams = []
    for proc in consumers:
        stdout, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0
        streams.append(json.loads(stdout))

    received = {value for stream in streams for _, value in stream}
    expected = {f"{p}:{n:04d}" for p in range(PRODUCERS) for n in range(PER_PRODUCER)}
    assert received == expected, "every record of every producer arrived"
    assert all(streams), "both members of the group got work"
    for stream in streams:
        by_key: dict[str, list[str]] = {}
        for key, value in stream:
            by_key.setdefault(key, []).append(value)
        for key, values in by_key.items():
            assert values == sorted(values), f"order kept for {key} within one consumer"
