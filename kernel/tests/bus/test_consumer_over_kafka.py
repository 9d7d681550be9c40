"""The event consumer on the Kafka backend against the real Apache Kafka broker: a malformed record
and a record whose handler keeps failing go to the dead-letter topic, the consumer goes on,
and offsets are committed only after the database commit (a new member resumes after them)."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import Column, MetaData, String, Table, func, insert, select

from alac_kernel.bus import OutgoingRecord, dead_letter_topic
from alac_kernel.bus.kafka import KafkaBus
from alac_kernel.consumer import EventConsumer
from alac_kernel.db import make_engine, make_session_factory, session_scope
from alac_kernel.events import default_registry, new_event
from alac_kernel.outbox import record_headers
from alac_kernel.tables import add_kernel_tables
from alac_kernel.testing.kafka import KAFKA_TEST_OPTIONS

pytestmark = [pytest.mark.kafka, pytest.mark.timeout(120)]


def _event(complaint_id: str) -> OutgoingRecord:
    event = new_event(
        type="complaint.received",
        source="/alac/intake",
        subject=complaint_id,
        tenant="tk",
        version=1,
        data={
            "complaint_id": complaint_id,
            "office": "almaty",
            "received_at": "2026-11-01T09:00:00+00:00",
            "channel": "hotline",
            "anonymous": False,
            "crux": "Взятка в акимате",
            "complainant": {"pseudonym": "p1"},
        },
    )
    return OutgoingRecord("", complaint_id, event.to_json(), record_headers(event))


def test_dead_letters_and_commit_after_database_on_kafka(
    tmp_path: Path, kafka_bootstrap: str
) -> None:
    topic = f"k{uuid.uuid4().hex[:8]}.complaint"
    bus = KafkaBus(kafka_bootstrap, partitions=2, client_options=KAFKA_TEST_OPTIONS)
    metadata = MetaData()
    tables = add_kernel_tables(metadata)
    effects = Table("effects", metadata, Column("complaint_id", String(64), primary_key=True))
    engine = make_engine(f"sqlite:///{tmp_path / 'svc.db'}")
    metadata.create_all(engine)
    factory = make_session_factory(engine)
    poisoned = str(uuid.UUID(int=666))

    def handler(session, event) -> None:
        session.execute(insert(effects).values(complaint_id=event.subject))
        if event.subject == poisoned:
            raise RuntimeError("projection store rejected the row")

    def consumer() -> EventConsumer:
        return EventConsumer(
            service="test",
            group="kafka-projector",
            topics=[topic],
            bus=bus,
            session_factory=factory,
            inbox=tables.inbox,
            contracts=default_registry(),
            handlers={"complaint.received": handler},
            max_attempts=2,
            poll_timeout_s=0.5,
            retry_delay_s=0.0,
        )

    good = [str(uuid.UUID(int=i)) for i in range(1, 6)]
    records = [_event(good[0]), OutgoingRecord(topic, good[0], b"{not json", {}), _event(poisoned)]
    records += [_event(cid) for cid in good[1:]]
    bus.publish([OutgoingRecord(topic, r.key, r.value, r.headers) for r in records])

    first = consumer()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        first.run_once()
        with session_scope(factory, all_tenants=True) as session:
            if session.execute(select(func.count()).select_from(effects)).scalar_one() == len(good):
                break
    first.close()

    with session_scope(factory, all_tenants=True) as session:
        applied = set(session.execute(select(effects.c.complaint_id)).scalars())
        inbox = session.execute(select(func.count()).select_from(tables.inbox)).scalar_one()
    assert applied == set(good), "the poisoned record's effect was rolled back, the rest applied"
    assert inbox == len(good)

    parked = bus.consumer(f"dlq-reader-{uuid.uuid4().hex[:6]}", [dead_letter_topic(topic)])
    got = []
    deadline = time.monotonic() + 30
    while len(got) < 2 and time.monotonic() < deadline:
        got += parked.poll(10, 0.5)
    parked.close()
    reasons = sorted(r.headers["dlq-reason"].split(":")[0] for r in got)
    assert reasons == ["failed 2 times", "malformed envelope"]

    # Everything was committed after its database commit: a new member has nothing to redo.
    second = consumer()
    assert sum(second.run_once() for _ in range(3)) == 0
    second.close()
    bus.close()
