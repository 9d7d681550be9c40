"""The embedded log shares a poll among the held partitions in proportion to what each has
left to read, so a consumer far behind (a rebuild from offset 0) goes through every partition
at the same pace instead of one partition after the other."""

from __future__ import annotations

import itertools

from alac_kernel.bus.base import OutgoingRecord
from alac_kernel.bus.log import LogBus, partition_for


def keys_for(partition: int, partitions: int = 4) -> str:
    return next(
        k for k in (f"k{i}" for i in itertools.count()) if partition_for(k, partitions) == partition
    )


def test_a_poll_takes_from_each_partition_in_proportion_to_its_backlog(tmp_path):
    bus = LogBus(f"sqlite:///{tmp_path}/bus.db", partitions=4)
    busy, quiet = keys_for(0), keys_for(3)
    bus.publish(OutgoingRecord("t", busy, f"busy-{i}".encode()) for i in range(30))
    bus.publish(OutgoingRecord("t", quiet, f"quiet-{i}".encode()) for i in range(10))
    consumer = bus.consumer("g", ["t"])
    try:
        first = consumer.poll(max_records=8, timeout_s=1.0)
        # 8 x 30/40 = 6 from the busy partition, 8 x 10/40 = 2 from the quiet one.
        assert [r.value.decode() for r in first] == [
            *(f"busy-{i}" for i in range(6)),
            "quiet-0",
            "quiet-1",
        ]
        rest = []
        while batch := consumer.poll(max_records=8, timeout_s=0.0):
            assert len(batch) <= 8
            rest += batch
        got = [r.value.decode() for r in first + rest]
        # Everything once, in order within each partition.
        assert [v for v in got if v.startswith("busy")] == [f"busy-{i}" for i in range(30)]
        assert [v for v in got if v.startswith("quiet")] == [f"quiet-{i}" for i in range(10)]
    finally:
        consumer.close()
        bus.close()
