"""The event consumer against the real embedded log bus: applied once, retried, parked."""

from __future__ import annotations

import contextlib
import uuid
from pathlib import Path

import pytest
from sqlalchemy import Column, MetaData, String, Table, create_engine, func, insert, select, text

from alac_kernel.bus import BusError, CommitRefused, OutgoingRecord
from alac_kernel.bus.log import LogBus
from alac_kernel.consumer import EventConsumer, RetryLater
from alac_kernel.db import make_engine, make_session_factory, session_scope
from alac_kernel.events import Event, default_registry, new_event
from alac_kernel.outbox import record_headers
from alac_kernel.tables import add_kernel_tables

TOPIC = "alac.complaint"
DLQ = "alac.complaint.dlq"
GROUP = "projector"


class FlakyLogBus(LogBus):
    """The real LogBus, made to fail its next `fail_next` publishes with BusError (fault
    injection only; every other call is the real bus)."""

    fail_next = 0

    def publish(self, records) -> None:
        if self.fail_next > 0:
            self.fail_next -= 1
            raise BusError("log unavailable (injected)")
        super().publish(records)


class World:
    def __init__(self, tmp: Path) -> None:
        metadata = MetaData()
        self.tables = add_kernel_tables(metadata)
        self.effects = Table(
            "effects",
            metadata,
            Column("event_id", String(64), primary_key=True),
            Column("tenant_id", String(64), nullable=False),
            Column("complaint_id", String(64), nullable=False),
        )
        self.engine = make_engine(f"sqlite:///{tmp / 'svc.db'}")
        metadata.create_all(self.engine)
        self.factory = make_session_factory(self.engine)
        self.bus = FlakyLogBus(f"sqlite:///{tmp / 'bus.db'}", partitions=2)
        self.calls: list[str] = []
        self.fail_for: set[str] = set()  # complaint ids whose handler always raises
        self._consumers: list[EventConsumer] = []

    def handler(self, session, event: Event) -> None:
        self.calls.append(event.id)
        session.execute(
            insert(self.effects).values(
                event_id=event.id, tenant_id=event.tenantid, complaint_id=event.data["complaint_id"]
            )
        )
        if event.data["complaint_id"] in self.fail_for:
            raise RuntimeError("projection store rejected the row")

    def consumer(self, max_attempts: int = 3) -> EventConsumer:
        consumer = EventConsumer(
            service="test",
            group=GROUP,
            topics=[TOPIC],
            bus=self.bus,
            session_factory=self.factory,
            inbox=self.tables.inbox,
            contracts=default_registry(),
            handlers={"complaint.received": self.handler},
            max_attempts=max_attempts,
            poll_timeout_s=0.0,
            retry_delay_s=0.0,
        )
        self._consumers.append(consumer)
        return consumer

    def publish(self, *values: bytes | Event, key: str = "k") -> None:
        records = []
        for value in values:
            if isinstance(value, Event):
                records.append(
                    OutgoingRecord(TOPIC, value.subject, value.to_json(), record_headers(value))
                )
            else:
                records.append(OutgoingRecord(TOPIC, key, value, {}))
        self.bus.publish(records)

    def effect_ids(self) -> list[str]:
        with session_scope(self.factory, all_tenants=True) as session:
            return sorted(session.execute(select(self.effects.c.event_id)).scalars())

    def inbox_count(self) -> int:
        with session_scope(self.factory, all_tenants=True) as session:
            return session.execute(select(func.count()).select_from(self.tables.inbox)).scalar_one()

    def dead_letters(self):
        with self.bus.consumer(f"dlq-reader-{uuid.uuid4().hex[:6]}", [DLQ]) as c:
            return c.poll(1000, 0.0)

    def remaining_for_group(self) -> int:
        """Records a fresh member of the group would still get (i.e. not committed)."""
        with self.bus.consumer(GROUP, [TOPIC]) as c:
            return len(c.poll(1000, 0.0))

    def close(self) -> None:
        for c in self._consumers:
            c.close()
        self.bus.close()
        self.engine.dispose()


@pytest.fixture
def world(tmp_path: Path):
    w = World(tmp_path)
    yield w
    w.close()


def received(complaint_id: str | None = None, **data_overrides) -> Event:
    cid = complaint_id or str(uuid.uuid4())
    data = {
        "complaint_id": cid,
        "office": "almaty",
        "received_at": "2026-01-01T10:00:00+00:00",
        "channel": "hotline",
        "anonymous": False,
        "crux": "crux",
        "complainant": {"pseudonym": "p-1"},
        **data_overrides,
    }
    return new_event(
        type="complaint.received", source="/test", subject=cid, tenant="tk", version=1, data=data
    )


def test_each_event_is_applied_and_committed(world):
    events = [received() for _ in range(3)]
    world.publish(*events)
    consumer = world.consumer()
    assert consumer.run_once() == 3
    assert world.effect_ids() == sorted(e.id for e in events)
    assert world.inbox_count() == 3
    consumer.close()
    assert world.remaining_for_group() == 0


def test_the_same_envelope_published_twice_is_applied_once(world):
    event = received()
    world.publish(event)
    world.publish(event)
    consumer = world.consumer()
    outcomes = [consumer.handle(r) for r in consumer.consumer.poll(10, 0.0)]
    assert outcomes == ["applied", "duplicate"]
    assert world.effect_ids() == [event.id]
    assert world.calls == [event.id]


def test_redelivery_after_a_crash_before_the_offset_commit_is_deduplicated(world):
    """The database commit happened, the offset commit did not (the member died in between):
    the next member gets the records again and the inbox recognises them."""
    events = [received() for _ in range(2)]
    world.publish(*events)
    first = world.consumer()
    records = first.consumer.poll(10, 0.0)
    assert [first.handle(r) for r in records] == ["applied", "applied"]
    first.close()  # gone without committing
    assert world.remaining_for_group() == 2  # offsets did not move

    second = world.consumer()
    again = second.consumer.poll(10, 0.0)
    assert [r.offset for r in again] == [r.offset for r in records]
    assert [second.handle(r) for r in again] == ["duplicate", "duplicate"]
    second.consumer.commit(again)
    assert world.effect_ids() == sorted(e.id for e in events)
    assert len(world.calls) == 2
    second.close()
    assert world.remaining_for_group() == 0


def test_a_commit_refused_after_a_rebalance_is_not_a_failure(world):
    """The group took the partitions away between the database commit and the offset commit
    (on Kafka: a rebalance, or a restarted broker that forgot the member). The pass ends
    normally, the member rejoins, gets the records again and the inbox skips them."""
    events = [received() for _ in range(2)]
    world.publish(*events)
    consumer = world.consumer()
    member = consumer.consumer

    def refused(records) -> None:  # fault injection: the coordinator's answer, nothing else
        raise CommitRefused("Kafka commit refused for group 'projector': UnknownMemberIdError")

    member.commit = refused
    assert consumer.run_once() == 2, "the batch was applied; only the offsets did not move"
    assert world.effect_ids() == sorted(e.id for e in events)
    assert consumer.consumer is not member, "it left the group and rejoined"
    assert world.remaining_for_group() == 2

    assert consumer.run_once() == 2  # the same records again...
    assert len(world.calls) == 2, "...skipped by the inbox, never applied twice"
    assert world.remaining_for_group() == 0


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (b"this is not json", "malformed envelope"),
        (b'{"specversion": "1.0", "type": "complaint.received"}', "malformed envelope"),
        (b"\xff\xfe\x00", "malformed envelope"),
    ],
    ids=["not-json", "missing-fields", "not-utf8"],
)
def test_a_malformed_envelope_is_dead_lettered_and_the_consumer_goes_on(world, value, reason):
    good = received()
    world.publish(value, key=good.subject)
    world.publish(good)
    consumer = world.consumer()
    assert consumer.run_once() == 2
    assert world.effect_ids() == [good.id]
    [parked] = world.dead_letters()
    assert parked.value == value
    assert parked.headers["dlq-reason"].startswith(reason)
    assert parked.headers["dlq-group"] == GROUP
    assert parked.headers["dlq-original-topic"] == TOPIC
    assert parked.headers["dlq-original-offset"] == "0"
    consumer.close()
    assert world.remaining_for_group() == 0


def test_dead_letters_are_counted_from_zero_for_every_type_handled(world):
    """The dead-letter series exist at 0 from the consumer's start, one per type it handles,
    so "none in 24 h" is read from them; a parked event counts in its type's."""
    from prometheus_client import REGISTRY

    consumer = world.consumer()

    def parked(event_type: str) -> float | None:
        labels = {"service": consumer.service, "group": consumer.group, "type": event_type,
                  "outcome": "dead_lettered"}  # fmt: skip
        return REGISTRY.get_sample_value("alac_events_consumed_total", labels)

    assert consumer.handlers and all(parked(t) is not None for t in consumer.handlers)
    before = parked("complaint.received")
    bad = received()
    world.publish(bad.model_copy(update={"data": {"complaint_id": "c-1"}}))  # breaks its contract
    assert consumer.run_once() == 1 and len(world.dead_letters()) == 1
    assert parked("complaint.received") == before + 1


def test_an_event_breaking_its_contract_is_dead_lettered_without_running_the_handler(world):
    bad = received()
    bad = bad.model_copy(update={"data": {k: v for k, v in bad.data.items() if k != "crux"}})
    good = received()
    world.publish(bad, good)
    consumer = world.consumer()
    assert consumer.run_once() == 2
    assert world.calls == [good.id]
    assert world.effect_ids() == [good.id]
    [parked] = world.dead_letters()
    assert Event.from_json(parked.value).id == bad.id
    assert "violates its contract" in parked.headers["dlq-reason"]
    assert "crux" in parked.headers["dlq-reason"]
    # The original headers travel along (structured mode: the content type).
    assert parked.headers["content-type"] == "application/cloudevents+json"


def test_a_handler_that_always_fails_is_retried_then_parked_and_never_half_applied(world):
    doomed, after = received(), received()
    world.fail_for.add(doomed.data["complaint_id"])
    world.publish(doomed, after)
    consumer = world.consumer(max_attempts=3)
    assert consumer.run_once() == 2
    # The two keys land on random partitions, and a poll returns partitions in their order.
    assert sorted(world.calls) == sorted([doomed.id] * 3 + [after.id])
    # The handler wrote its row each time before raising; every attempt was rolled back,
    # the inbox row with it.
    assert world.effect_ids() == [after.id]
    assert world.inbox_count() == 1
    [parked] = world.dead_letters()
    assert Event.from_json(parked.value).id == doomed.id
    assert parked.headers["dlq-reason"].startswith("failed 3 times")
    assert "projection store rejected the row" in parked.headers["dlq-reason"]
    consumer.close()
    assert world.remaining_for_group() == 0


def test_unknown_event_types_are_skipped_and_committed(world):
    other = new_event(
        type="complaint.archived",
        source="/test",
        subject=str(uuid.uuid4()),
        tenant="tk",
        version=2,
        data={"x": 1},
    )
    good = received()
    world.publish(other, good)
    consumer = world.consumer()
    records = consumer.consumer.poll(10, 0.0)
    assert sorted(consumer.handle(r) for r in records) == ["applied", "ignored"]
    consumer.consumer.commit(records)
    assert world.dead_letters() == []
    assert world.effect_ids() == [good.id]
    consumer.close()
    assert world.remaining_for_group() == 0


def test_a_failed_park_loses_nothing(world):
    """Parking needs the bus; if it is down the batch is not committed and the record comes
    back, to the same consumer object too (not only after a restart)."""
    good = received()
    world.publish(b"not json", key=good.subject)
    world.publish(good)
    consumer = world.consumer()
    world.bus.fail_next = 1
    with pytest.raises(BusError):
        consumer.run_once()
    assert world.dead_letters() == []
    assert consumer.run_once() == 2
    assert len(world.dead_letters()) == 1
    assert world.effect_ids() == [good.id]
    consumer.close()
    assert world.remaining_for_group() == 0


def test_a_database_that_cannot_be_reached_parks_nothing_and_the_event_is_applied_later(
    world, tmp_path
):
    """A handler whose database is away (here one that cannot be opened: SQLite's CANTOPEN;
    in `make verify`, PostgreSQL stopped) fails every attempt. That is not the event's fault:
    it must not go to the dead letters (the read model would never see it) but be taken again
    once the database is back."""
    event = received()
    world.publish(event)
    away = create_engine(f"sqlite:///{tmp_path / 'no-such-folder' / 'svc.db'}")
    reachable = [False]

    def handler(session, ev: Event) -> None:
        if not reachable[0]:
            with away.connect() as connection:
                connection.execute(text("select 1"))
        world.handler(session, ev)

    consumer = world.consumer(max_attempts=2)
    consumer.handlers = {"complaint.received": handler}
    with pytest.raises(RetryLater):
        consumer.run_once()
    assert world.dead_letters() == [] and world.effect_ids() == []
    assert world.remaining_for_group() == 1  # not committed: taken again

    reachable[0] = True
    assert consumer.run_once() == 1
    assert world.effect_ids() == [event.id] and world.dead_letters() == []


# ---------------------------------------------------------------------- batches


def commits_of(engine) -> list[int]:
    """A counter of the transactions committed on `engine` (SQLAlchemy's commit event)."""
    from sqlalchemy import event as sa_event

    count = [0]
    sa_event.listen(engine, "commit", lambda conn: count.__setitem__(0, count[0] + 1))
    return count


def test_a_polled_batch_is_applied_in_one_transaction(world):
    events = [received() for _ in range(5)]
    world.publish(*events)
    consumer = world.consumer()
    commits = commits_of(world.engine)
    assert consumer.run_once() == 5
    assert commits[0] == 1, "one commit for the batch, not one per event"
    assert world.effect_ids() == sorted(e.id for e in events)
    assert world.inbox_count() == 5
    consumer.close()
    assert world.remaining_for_group() == 0


def test_events_already_in_the_inbox_are_skipped_inside_a_batch(world):
    """Redelivered after a crash, together with new ones and twice in the same batch."""
    old, new = received(), received()
    world.publish(old)
    first = world.consumer()
    assert first.run_once() == 1
    first.close()
    world.publish(old, new, new)  # `old` again (a relay that died before marking it)
    second = world.consumer()
    assert second.run_once() == 3
    assert sorted(world.calls) == sorted([old.id, new.id])
    assert world.effect_ids() == sorted([old.id, new.id])
    assert world.inbox_count() == 2


def test_each_event_of_a_batch_runs_under_its_own_tenant(world):
    seen: list[tuple[str, str]] = []

    def handler(session, event: Event) -> None:
        seen.append((event.tenantid, session.info["tenant_id"]))
        world.handler(session, event)

    a, b, c = received(), received(), received()
    b = b.model_copy(update={"tenantid": "other"})
    world.publish(*same_partition(a, b, c))
    consumer = world.consumer()
    consumer.handlers = {"complaint.received": handler}
    assert consumer.run_once() == 3
    assert seen and all(event_tenant == scope for event_tenant, scope in seen)
    assert sorted(t for t, _ in seen) == ["other", "tk", "tk"]
    assert world.effect_ids() == sorted(e.id for e in (a, b, c))


def same_partition(*events: Event) -> list[Event]:
    """Events whose envelopes all name one subject, so the log puts them in one partition
    and a poll returns them in the order published."""
    return [e.model_copy(update={"subject": "one-subject"}) for e in events]


def test_a_batched_handler_gets_each_run_of_one_tenant_at_once(world):
    from alac_kernel.consumer import Batched

    runs: list[list[str]] = []

    def many(session, events: list[Event]) -> None:
        runs.append([e.id for e in events])
        for event in events:
            world.handler(session, event)

    events = same_partition(received(), received(), received(), received())
    events[2] = events[2].model_copy(update={"tenantid": "other"})
    world.publish(*events)
    consumer = world.consumer()
    consumer.handlers = {"complaint.received": Batched(many)}
    assert consumer.run_once() == 4
    ids = [e.id for e in events]
    assert runs == [ids[:2], ids[2:3], ids[3:]], "runs split where the tenant changes"
    assert world.effect_ids() == sorted(ids)
    assert world.inbox_count() == 4


def test_a_failing_batched_run_is_applied_event_by_event_and_the_bad_one_parked(world):
    from alac_kernel.consumer import Batched

    runs: list[int] = []

    def many(session, events: list[Event]) -> None:
        runs.append(len(events))
        for event in events:
            world.handler(session, event)  # raises for the doomed complaint

    good, doomed, later = same_partition(received(), received(), received())
    world.fail_for.add(doomed.data["complaint_id"])
    world.publish(good, doomed, later)
    consumer = world.consumer(max_attempts=2)
    consumer.handlers = {"complaint.received": Batched(many)}
    assert consumer.run_once() == 3
    assert runs == [3, 1, 1, 1, 1], "the run, then each alone (the doomed one twice)"
    # The failed run's writes were rolled back with its savepoint: each effect once.
    assert world.effect_ids() == sorted([good.id, later.id])
    assert world.inbox_count() == 2
    [parked] = world.dead_letters()
    assert Event.from_json(parked.value).id == doomed.id
    assert parked.headers["dlq-reason"].startswith("failed 2 times")
    consumer.close()
    assert world.remaining_for_group() == 0


def test_prepare_runs_once_per_batch_around_its_transaction(world):
    calls: list[str] = []

    @contextlib.contextmanager
    def prepare(events):
        calls.append(f"prepare {len(events)}")
        yield
        calls.append("done")

    def handler(session, event: Event) -> None:
        calls.append("apply")
        world.handler(session, event)

    world.publish(received(), received(), received())
    consumer = world.consumer()
    consumer.handlers = {"complaint.received": handler}
    consumer.prepare = prepare
    assert consumer.run_once() == 3
    assert calls == ["prepare 3", "apply", "apply", "apply", "done"]
