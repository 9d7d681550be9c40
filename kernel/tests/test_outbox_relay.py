"""The transactional outbox and its relay, against the real embedded log bus on SQLite."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import MetaData, select, update

from alac_kernel.bus import BusError, OutgoingRecord
from alac_kernel.bus.log import LogBus
from alac_kernel.db import make_engine, make_session_factory, session_scope, utcnow
from alac_kernel.events import ContractViolation, Event, default_registry, new_event
from alac_kernel.events.binding import event_from_record
from alac_kernel.outbox import Outbox, OutboxRelay
from alac_kernel.tables import add_kernel_tables

TOPIC = "alac.complaint"


class FlakyLogBus(LogBus):
    """The real LogBus, made to fail its next `fail_next` publishes with BusError (fault
    injection: everything else, including successful publishes, is the real bus)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fail_next = 0
        self.publish_calls = 0
        self.hold: threading.Event | None = None  # set: publish waits until it is set
        self.holding = threading.Event()

    def publish(self, records) -> None:
        self.publish_calls += 1
        if self.hold is not None:
            # A broker that takes its time to answer (or to time out).
            self.holding.set()
            self.hold.wait(30)
        if self.fail_next > 0:
            self.fail_next -= 1
            raise BusError("broker unavailable (injected)")
        super().publish(records)


class World:
    def __init__(self, tmp: Path, max_backoff_s: float = 30.0) -> None:
        metadata = MetaData()
        self.tables = add_kernel_tables(metadata)
        self.engine = make_engine(f"sqlite:///{tmp / 'svc.db'}")
        metadata.create_all(self.engine)
        self.factory = make_session_factory(self.engine)
        self.outbox = Outbox(self.tables.outbox, default_registry(), "alac.")
        self.bus = FlakyLogBus(f"sqlite:///{tmp / 'bus.db'}", partitions=2)
        self.relay = OutboxRelay(
            self.factory, self.tables.outbox, self.bus, service="test", max_backoff_s=max_backoff_s
        )
        self._reader = None

    def write(self, *events: Event) -> None:
        with session_scope(self.factory, tenant="tk") as session:
            for event in events:
                self.outbox.record(session, event)

    def rows(self) -> list[dict]:
        with session_scope(self.factory, all_tenants=True) as session:
            t = self.tables.outbox
            return [dict(r) for r in session.execute(select(t).order_by(t.c.seq)).mappings()]

    def make_due(self) -> None:
        """Move every retry time into the past, instead of waiting for it."""
        with session_scope(self.factory, all_tenants=True) as session:
            t = self.tables.outbox
            session.execute(
                update(t)
                .where(t.c.next_attempt_at.is_not(None))
                .values(next_attempt_at=utcnow() - timedelta(seconds=1))
            )

    def published(self) -> list[Event]:
        """Everything on the topic so far (a fresh consumer group each time)."""
        with self.bus.consumer(f"reader-{uuid.uuid4().hex[:6]}", [TOPIC]) as consumer:
            records = consumer.poll(1000, 0.0)
        return [event_from_record(r.value, r.headers, r.key) for r in records]

    def close(self) -> None:
        self.bus.close()
        self.engine.dispose()


@pytest.fixture
def world(tmp_path: Path):
    w = World(tmp_path, max_backoff_s=0.5)
    yield w
    w.close()


def received(aggregate: str, version: int = 1, crux: str = "crux") -> Event:
    data = {
        "complaint_id": aggregate,
        "office": "almaty",
        "received_at": "2026-01-01T10:00:00+00:00",
        "channel": "hotline",
        "anonymous": False,
        "crux": crux,
        "complainant": {"pseudonym": "p-1"},
    }
    return new_event(
        type="complaint.received",
        source="/test",
        subject=aggregate,
        tenant="tk",
        version=version,
        data=data,
    )


def test_events_of_a_rolled_back_transaction_are_never_published(world):
    event = received(str(uuid.uuid4()))
    with pytest.raises(RuntimeError, match="business rule"):
        with session_scope(world.factory, tenant="tk") as session:
            world.outbox.record(session, event)
            raise RuntimeError("business rule broken after the event was recorded")
    assert world.rows() == []
    assert world.relay.backlog() == 0
    assert world.relay.run_once() == 0
    assert world.published() == []


def test_an_event_breaking_its_contract_is_refused_before_it_is_written(world):
    bad = received(str(uuid.uuid4()))
    bad = bad.model_copy(update={"data": {k: v for k, v in bad.data.items() if k != "crux"}})
    with pytest.raises(ContractViolation) as err:
        with session_scope(world.factory, tenant="tk") as session:
            world.outbox.record(session, bad)
    assert any(e["reason"].startswith("'crux' is a required property") for e in err.value.errors)
    assert world.rows() == []


def test_published_rows_are_marked_and_the_backlog_shrinks(world):
    a, b = received(str(uuid.uuid4())), received(str(uuid.uuid4()))
    world.write(a, b)
    assert world.relay.backlog() == 2
    assert [r["state"] for r in world.rows()] == ["pending", "pending"]
    before = utcnow()
    assert world.relay.run_once() == 2
    after = utcnow()
    assert world.relay.backlog() == 0
    for row in world.rows():
        assert row["state"] == "published"
        assert before <= row["published_at"] <= after
        assert row["attempts"] == 0
    assert {e.id for e in world.published()} == {a.id, b.id}
    # Nothing is published twice.
    assert world.relay.run_once() == 0
    assert len(world.published()) == 2


def test_publish_failures_are_counted_from_zero(world):
    """The failures series exists at 0 from the relay's start ("none in the last hour" is
    read from it); a failed publish counts in it."""
    from prometheus_client import REGISTRY

    def failures() -> float | None:
        return REGISTRY.get_sample_value("alac_events_publish_failures_total", {"service": "test"})

    before = failures()
    assert before is not None
    world.write(received(str(uuid.uuid4())))
    world.bus.fail_next = 1
    assert world.relay.run_once() == 0
    assert failures() == before + 1


def test_publish_failures_back_off_exponentially_up_to_the_cap_then_recover(world):
    event = received(str(uuid.uuid4()))
    world.write(event)
    world.bus.fail_next = 5
    expected_backoffs = [0.2, 0.4, 0.5, 0.5, 0.5]  # 0.1 * 2**attempts, capped at 0.5
    for attempt, backoff in enumerate(expected_backoffs, start=1):
        before = utcnow()
        assert world.relay.run_once() == 0
        after = utcnow()
        [row] = world.rows()
        assert row["state"] == "pending"
        assert row["published_at"] is None
        assert row["attempts"] == attempt
        assert "broker unavailable" in row["last_error"]
        assert (
            before + timedelta(seconds=backoff)
            <= row["next_attempt_at"]
            <= after + timedelta(seconds=backoff)
        )
        assert world.relay.backlog() == 1
        # Not due yet: the relay does not even try.
        calls = world.bus.publish_calls
        assert world.relay.run_once() == 0
        assert world.bus.publish_calls == calls
        world.make_due()
    assert world.published() == []
    assert world.bus.fail_next == 0
    assert world.relay.run_once() == 1
    [row] = world.rows()
    assert row["state"] == "published" and row["published_at"] is not None
    assert [e.id for e in world.published()] == [event.id]
    assert world.relay.backlog() == 0


def test_an_aggregate_waiting_for_a_retry_keeps_its_order(world):
    agg_a, agg_b = str(uuid.uuid4()), str(uuid.uuid4())
    a1 = received(agg_a, 1, "first")
    world.write(a1)
    world.bus.fail_next = 1
    assert world.relay.run_once() == 0

    a2, b1 = received(agg_a, 2, "second"), received(agg_b, 1)
    world.write(a2, b1)
    # a1 waits for its retry, so a2 waits too; the other aggregate is not held up.
    assert world.relay.run_once() == 1
    assert [e.id for e in world.published()] == [b1.id]
    states = {r["id"]: r["state"] for r in world.rows()}
    assert states == {a1.id: "pending", a2.id: "pending", b1.id: "published"}
    assert world.relay.backlog() == 2

    world.make_due()
    assert world.relay.run_once() == 2
    of_a = [e for e in world.published() if e.subject == agg_a]
    assert [(e.id, e.aggregateversion) for e in of_a] == [(a1.id, 1), (a2.id, 2)]
    assert world.relay.backlog() == 0


def test_records_follow_the_cloudevents_kafka_binding(world):
    event = received(str(uuid.uuid4()))
    world.write(event)
    world.relay.run_once()
    with world.bus.consumer("headers", [TOPIC]) as consumer:
        [record] = consumer.poll(10, 0.0)
    # CloudEvents Kafka binding, structured mode: the key is the partitionkey, the value the
    # whole event, and no ce_* header (those would make readers take it for binary mode).
    assert record.key == event.subject == event.partitionkey
    assert dict(record.headers) == {"content-type": "application/cloudevents+json"}
    assert Event.from_json(record.value) == event


def test_a_failed_append_leaves_no_partial_batch_on_the_log(world):
    """A batch is all-or-nothing on the log: a failed publish leaves no half batch behind."""
    events = [received(str(uuid.uuid4())) for _ in range(3)]
    world.write(*events)
    # A record the log cannot take (value is not bytes) makes the whole append fail.
    with pytest.raises((BusError, TypeError)):
        world.bus.publish([OutgoingRecord(TOPIC, "k", b"ok"), OutgoingRecord(TOPIC, "k", None)])  # type: ignore[arg-type]
    assert world.published() == []
    assert world.relay.run_once() == 3
    assert len(world.published()) == 3


def test_writes_do_not_wait_for_a_slow_broker(world):
    """The relay talks to the broker outside any database transaction: while a publish
    hangs, the service's write requests (SQLite BEGIN IMMEDIATE) still go through."""
    first = received(str(uuid.uuid4()))
    world.write(first)
    world.bus.hold = threading.Event()
    passes: list[int] = []
    relay = threading.Thread(target=lambda: passes.append(world.relay.run_once()))
    relay.start()
    try:
        assert world.bus.holding.wait(10), "the relay reached the broker"
        started = time.monotonic()
        second = received(str(uuid.uuid4()))
        world.write(second)  # would wait for the write lock if the relay held it
        assert time.monotonic() - started < 2.0
    finally:
        world.bus.hold.set()
        relay.join(30)
    assert passes == [1]
    world.bus.hold = None
    assert world.relay.run_once() == 1
    assert {e.id for e in world.published()} == {first.id, second.id}
    assert world.relay.backlog() == 0
