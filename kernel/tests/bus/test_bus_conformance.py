"""The bus conformance suite: the same behaviour, asserted the same way, for every backend.

Services only see the EventBus interface, so a difference between backends here is a bug in
one of them. Every loop is bounded by time; Kafka needs generous bounds because a consumer
group's (re)join waits for the broker's rebalance.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Sequence

import pytest

from alac_kernel.bus.base import (
    BusConsumer,
    BusError,
    EventBus,
    OutgoingRecord,
    Record,
    dead_letter_topic,
)

PARTITIONS = 4
JOIN_S = 20.0  # upper bound for a consumer group to (re)balance and start delivering


def out(topic: str, key: str | None, value: str, headers: dict[str, str] | None = None):
    return OutgoingRecord(topic=topic, key=key, value=value.encode(), headers=headers or {})


def drain(
    consumer: BusConsumer,
    expected: int,
    *,
    within_s: float = JOIN_S,
    commit: bool = False,
    settle_s: float = 0.5,
) -> list[Record]:
    """Poll until `expected` records arrived (or time is up), then poll `settle_s` more so
    that extra deliveries (duplicates, records that should not be there) show up too."""
    got: list[Record] = []
    deadline = time.monotonic() + within_s
    while len(got) < expected and time.monotonic() < deadline:
        batch = consumer.poll(max_records=100, timeout_s=0.2)
        if commit and batch:
            consumer.commit(batch)
        got.extend(batch)
    settle_until = time.monotonic() + settle_s
    while time.monotonic() < settle_until:
        batch = consumer.poll(max_records=100, timeout_s=0.1)
        if commit and batch:
            consumer.commit(batch)
        got.extend(batch)
    return got


def values(records: Sequence[Record]) -> list[str]:
    return [r.value.decode() for r in records]


def by_key(records: Sequence[Record]) -> dict[str | None, list[str]]:
    grouped: dict[str | None, list[str]] = defaultdict(list)
    for r in records:
        grouped[r.key].append(r.value.decode())
    return grouped


@pytest.mark.timeout(60)
def test_publish_then_consume_everything_in_order_per_key(bus, names, consumers):
    topic = names("orders")
    keys = ["case-a", "case-b", "case-c"]
    sent = [out(topic, keys[i % 3], f"{keys[i % 3]}:{i}") for i in range(30)]
    bus.publish(sent)

    consumers.append(c := bus.consumer(names("g"), [topic]))
    got = drain(c, 30)

    assert sorted(values(got)) == sorted(r.value.decode() for r in sent)
    assert len(got) == 30, "no duplicates for a single member that never rebalances"
    expected = by_key([Record(topic, 0, 0, r.key, r.value) for r in sent])
    assert by_key(got) == expected
    for r in got:
        assert r.topic == topic
        assert 0 <= r.partition < PARTITIONS
    # Within a partition, offsets grow in delivery order.
    last: dict[int, int] = {}
    for r in got:
        assert r.offset > last.get(r.partition, -1)
        last[r.partition] = r.offset


@pytest.mark.timeout(60)
def test_same_key_same_partition_and_order_across_many_publishes(bus, names, consumers):
    topic = names("keys")
    keys = [f"agg-{i}" for i in range(8)]  # 8 keys x 25 records
    sent: list[OutgoingRecord] = []
    for round_ in range(5):
        batch = [out(topic, k, f"{k}#{round_ * 5 + j}") for j in range(5) for k in keys]
        bus.publish(batch)
        sent.extend(batch)

    consumers.append(c := bus.consumer(names("g"), [topic]))
    got = drain(c, len(sent))

    assert len(got) == len(sent) == 200
    assert len({r.value for r in got}) == 200
    partitions_of: dict[str | None, set[int]] = defaultdict(set)
    for r in got:
        partitions_of[r.key].add(r.partition)
    assert all(len(p) == 1 for p in partitions_of.values()), partitions_of
    assert len({next(iter(p)) for p in partitions_of.values()}) >= 2, "keys are spread"
    assert by_key(got) == {k: [f"{k}#{n}" for n in range(25)] for k in keys}


@pytest.mark.timeout(90)
def test_commit_then_new_member_resumes_after_committed_offset(backend, bus, names, consumers):
    topic, group = names("resume"), names("g")
    bus.publish([out(topic, f"k{i % 4}", f"v{i}") for i in range(20)])

    first = bus.consumer(group, [topic])
    consumers.append(first)
    got = drain(first, 20)
    assert len(got) == 20
    done = got[:8]
    first.commit(done)
    first.close()

    # "everything before them in their partitions" is committed too.
    committed_upto = defaultdict(lambda: -1)
    for r in done:
        committed_upto[r.partition] = max(committed_upto[r.partition], r.offset)
    expected = sorted(v for r, v in zip(got, values(got)) if r.offset > committed_upto[r.partition])

    other_bus = backend.make_bus()  # as after a restart: a new process, same group
    try:
        consumers.append(second := other_bus.consumer(group, [topic]))
        again = drain(second, len(expected))
        assert sorted(values(again)) == expected
        assert len(again) == len(expected)
        second.close()
    finally:
        other_bus.close()


@pytest.mark.timeout(90)
def test_uncommitted_records_are_redelivered_to_the_next_member(bus, names, consumers):
    topic, group = names("redeliver"), names("g")
    bus.publish([out(topic, f"k{i % 3}", f"v{i}") for i in range(12)])

    consumers.append(first := bus.consumer(group, [topic]))
    got = drain(first, 12)
    assert len(got) == 12
    first.close()  # without commit: a crash after processing, before the commit

    consumers.append(second := bus.consumer(group, [topic]))
    again = drain(second, 12)
    assert sorted(values(again)) == sorted(values(got))
    assert len(again) == 12


@pytest.mark.timeout(90)
def test_two_groups_each_see_every_record(bus, names, consumers):
    topic = names("fanout")
    bus.publish([out(topic, f"k{i % 5}", f"v{i}") for i in range(25)])

    consumers.append(a := bus.consumer(names("ga"), [topic]))
    consumers.append(b := bus.consumer(names("gb"), [topic]))
    got_a = drain(a, 25, commit=True)
    got_b = drain(b, 25, commit=True)

    expected = sorted(f"v{i}" for i in range(25))
    assert sorted(values(got_a)) == expected
    assert sorted(values(got_b)) == expected


@pytest.mark.timeout(60)
def test_headers_and_keys_round_trip(bus, names, consumers):
    topic = names("headers")
    headers = {
        "event_type": "complaint.filed",
        "tenant": "Zürich-Ämter",
        "trace": "ʕ•ᴥ•ʔ 🚀",
        "empty": "",
    }
    bus.publish(
        [
            out(topic, "réclamation-42", "one", headers),
            out(topic, None, "keyless", {"only": "this"}),
            OutgoingRecord(topic=topic, key="bin", value=bytes(range(256))),
        ]
    )

    consumers.append(c := bus.consumer(names("g"), [topic]))
    got = {r.key: r for r in drain(c, 3)}

    assert set(got) == {"réclamation-42", None, "bin"}
    assert dict(got["réclamation-42"].headers) == headers
    assert got["réclamation-42"].value == b"one"
    assert dict(got[None].headers) == {"only": "this"}
    assert got[None].value == b"keyless"
    assert got["bin"].value == bytes(range(256))
    assert dict(got["bin"].headers) == {}


@pytest.mark.timeout(60)
def test_lag_counts_uncommitted_records_and_drops_to_zero_after_commit(bus, names, consumers):
    topic = names("lag")
    bus.publish([out(topic, f"k{i % 3}", f"v{i}") for i in range(10)])

    consumers.append(c := bus.consumer(names("g"), [topic]))
    got = drain(c, 10)
    assert len(got) == 10

    lag = c.lag()
    assert set(lag) == {(topic, p) for p in range(PARTITIONS)}, "a lone member holds them all"
    assert sum(lag.values()) == 10

    c.commit(got[:4])
    assert sum(c.lag().values()) == 6

    c.commit(got)
    assert c.lag() == {(topic, p): 0 for p in range(PARTITIONS)}


@pytest.mark.timeout(60)
def test_dead_letter_topic_is_named_after_its_topic_and_is_separate(bus, names, consumers):
    topic = names("work")
    dlq = dead_letter_topic(topic)
    assert dlq == f"{topic}.dlq"
    assert dead_letter_topic("alac.cases.events") == "alac.cases.events.dlq"

    bus.publish([out(topic, "k", "ok"), out(dlq, "k", "parked", {"error": "boom"})])
    consumers.append(main := bus.consumer(names("g"), [topic]))
    consumers.append(parked := bus.consumer(names("g"), [dlq]))
    assert values(drain(main, 1)) == ["ok"]
    got = drain(parked, 1)
    assert values(got) == ["parked"]
    assert got[0].topic == dlq and dict(got[0].headers) == {"error": "boom"}


@pytest.mark.timeout(60)
def test_poll_on_an_empty_topic_returns_nothing_within_the_timeout(bus, names, consumers):
    topic = names("empty")
    consumers.append(c := bus.consumer(names("g"), [topic]))

    # The first polls may include joining the group (Kafka: one rebalance).
    start = time.monotonic()
    assert c.poll(max_records=10, timeout_s=0.3) == []
    assert time.monotonic() - start < 0.3 + JOIN_S
    drain(c, 0, settle_s=0.5)

    for _ in range(3):
        start = time.monotonic()
        assert c.poll(max_records=10, timeout_s=0.3) == []
        elapsed = time.monotonic() - start
        assert elapsed < 0.3 + 1.0, f"poll overran its timeout: {elapsed:.2f}s"


@pytest.mark.timeout(120)
def test_two_members_of_a_group_together_see_every_record_once(backend, names):
    """Each member runs in its own thread with its own bus, as two worker processes would;
    a member must keep polling to take part in a rebalance, so members cannot share one
    thread. They commit as they go, so nothing is seen twice once the group is balanced."""
    topic, group = names("shared"), names("g")
    buses = [backend.make_bus() for _ in range(2)]
    members = [b.consumer(group, [topic], client_id=f"member-{i}") for i, b in enumerate(buses)]
    held: list[set[tuple[str, int]]] = [set(), set()]
    seen: list[list[Record]] = [[], []]
    published = threading.Event()
    stop = threading.Event()
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            while not stop.is_set():
                batch = members[i].poll(max_records=20, timeout_s=0.1)
                if batch:
                    assert published.is_set(), "records appeared before they were published"
                    members[i].commit(batch)
                    seen[i].extend(batch)
                held[i] = set(members[i].lag())
        except BaseException as exc:  # surfaced in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(2)]
    try:
        for t in threads:
            t.start()
        deadline = time.monotonic() + JOIN_S * 2
        all_partitions = {(topic, p) for p in range(PARTITIONS)}
        while time.monotonic() < deadline and not errors:
            a, b = held
            if a and b and not (a & b) and (a | b) == all_partitions:
                break
            time.sleep(0.05)
        assert not errors, errors
        assert held[0] and held[1], f"both members hold partitions: {held}"
        assert held[0] | held[1] == all_partitions and not held[0] & held[1], held

        sent = [out(topic, f"agg-{i % 20}", f"v{i}") for i in range(100)]
        published.set()
        buses[0].publish(sent[:50])
        buses[1].publish(sent[50:])

        deadline = time.monotonic() + JOIN_S
        while time.monotonic() < deadline and not errors and len(seen[0]) + len(seen[1]) < 100:
            time.sleep(0.05)
        time.sleep(0.5)  # let duplicates, if any, arrive
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)
        for m in members:
            m.close()
        for b in buses:
            b.close()

    assert not errors, errors
    everything = values(seen[0]) + values(seen[1])
    assert sorted(everything) == sorted(f"v{i}" for i in range(100)), "each record exactly once"
    assert seen[0] and seen[1], "the work is shared"
    # One aggregate stays with one member, in order.
    for k, vals in by_key(seen[0] + seen[1]).items():
        owners = {i for i in range(2) for r in seen[i] if r.key == k}
        assert len(owners) == 1, k
        assert vals == [f"v{n}" for n in range(100) if f"agg-{n % 20}" == k]


@pytest.mark.timeout(60)
def test_ping_answers_and_fails_when_the_store_is_unreachable(backend, bus):
    bus.ping()
    bus.ping()

    with pytest.raises(BusError):
        dead = backend.make_unreachable_bus()
        try:
            dead.ping()
        finally:
            dead.close()


@pytest.mark.timeout(90)
def test_many_records_all_arrive(bus, names, consumers):
    topic = names("bulk")
    sent = [out(topic, f"case-{i % 37}", f"v{i:04d}", {"n": str(i)}) for i in range(500)]
    bus.publish(sent)

    consumers.append(c := bus.consumer(names("g"), [topic]))
    got = drain(c, 500, commit=True)

    assert len(got) == 500
    assert sorted(values(got)) == [f"v{i:04d}" for i in range(500)]
    assert all(r.headers["n"] == str(int(r.value.decode()[1:])) for r in got)
    for k, vals in by_key(got).items():
        assert vals == sorted(vals), f"order kept for {k}"
    assert sum(c.lag().values()) == 0


def test_publishing_nothing_is_a_no_op(bus: EventBus, names, consumers):
    topic = names("empty")
    bus.publish([])
    bus.publish([out(topic, "k", "only")])
    consumers.append(c := bus.consumer(names("g"), [topic]))
    # The empty publish added nothing: the one real record is the first and only one.
    assert values(drain(c, 1)) == ["only"]
