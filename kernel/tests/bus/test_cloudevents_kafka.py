"""The CloudEvents Kafka protocol binding, checked with the CloudEvents SDK on real Kafka.

What the outbox relay writes must be readable by any CloudEvents consumer: every record on
the topic is parsed by the SDK's auto-detecting Kafka reader. And what any CloudEvents
producer writes must be readable by ours: events the SDK wrote in binary mode and in
structured mode are fed to an EventConsumer, which applies both and parks neither.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest
from cloudevents.core.bindings import kafka as ce_kafka
from cloudevents.core.v1.event import CloudEvent
from kafka import KafkaConsumer, KafkaProducer
from sqlalchemy import Column, MetaData, String, Table, func, insert, select

from alac_kernel.bus import dead_letter_topic
from alac_kernel.bus.kafka import KafkaBus
from alac_kernel.consumer import EventConsumer
from alac_kernel.db import make_engine, make_session_factory, session_scope
from alac_kernel.events import Event, default_registry, new_event
from alac_kernel.events.binding import event_from_record
from alac_kernel.outbox import Outbox, OutboxRelay
from alac_kernel.tables import add_kernel_tables
from alac_kernel.testing.kafka import KAFKA_TEST_OPTIONS


def _complaint(complaint_id: str, tenant: str = "tk") -> Event:
    return new_event(
        type="complaint.received",
        source="/alac/intake",
        subject=complaint_id,
        tenant=tenant,
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


def _sdk_event(event: Event) -> CloudEvent:
    """The same event as a foreign producer would build it with the SDK."""
    attributes = {k: v for k, v in event.to_dict().items() if k != "data"}
    attributes["time"] = event.time
    return CloudEvent(attributes, event.data)


class _Service:
    """A service database with kernel tables and one effects table the handler writes."""

    def __init__(self, path: Path) -> None:
        metadata = MetaData()
        self.tables = add_kernel_tables(metadata)
        self.effects = Table(
            "effects", metadata, Column("complaint_id", String(64), primary_key=True)
        )
        engine = make_engine(f"sqlite:///{path}")
        metadata.create_all(engine)
        self.factory = make_session_factory(engine)

    def handler(self, session, event: Event) -> None:
        session.execute(insert(self.effects).values(complaint_id=event.subject))

    def applied(self) -> set[str]:
        with session_scope(self.factory, all_tenants=True) as session:
            return set(session.execute(select(self.effects.c.complaint_id)).scalars())

    def inbox_size(self) -> int:
        with session_scope(self.factory, all_tenants=True) as session:
            return session.execute(select(func.count()).select_from(self.tables.inbox)).scalar_one()


def _read_all(bootstrap: str, topic: str, expected: int) -> list:
    reader = KafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        consumer_timeout_ms=3_000,
    )
    got = []
    deadline = time.monotonic() + 30
    try:
        while len(got) < expected and time.monotonic() < deadline:
            for batch in reader.poll(timeout_ms=500).values():
                got.extend(batch)
    finally:
        reader.close()
    return got


@pytest.mark.kafka
@pytest.mark.timeout(120)
def test_every_record_the_relay_writes_is_a_cloudevent_for_the_sdk(
    tmp_path: Path, kafka_bootstrap: str
) -> None:
    prefix = f"ce{uuid.uuid4().hex[:8]}."
    service = _Service(tmp_path / "svc.db")
    bus = KafkaBus(kafka_bootstrap, partitions=2, client_options=KAFKA_TEST_OPTIONS)
    outbox = Outbox(service.tables.outbox, default_registry(), prefix)
    events = [_complaint(str(uuid.uuid4()), tenant=f"t{i % 3}") for i in range(12)]
    with session_scope(service.factory, all_tenants=True) as session:
        for event in events:
            outbox.record(session, event)
    relay = OutboxRelay(service.factory, service.tables.outbox, bus, service="svc")
    assert relay.run_once() == len(events)
    bus.close()

    records = _read_all(kafka_bootstrap, prefix + "complaint", len(events))
    assert len(records) == len(events)
    by_id = {e.id: e for e in events}
    for record in records:
        message = ce_kafka.KafkaMessage(
            headers=dict(record.headers), key=record.key, value=record.value
        )
        parsed = ce_kafka.from_kafka_event(message)  # the SDK picks the mode itself
        original = by_id.pop(parsed.get_id())
        assert parsed.get_specversion() == "1.0"
        assert parsed.get_source() == original.source
        assert parsed.get_type() == "complaint.received"
        assert parsed.get_subject() == original.subject
        assert parsed.get_time() == original.time
        assert parsed.get_dataschema() == original.dataschema
        assert parsed.get_extension("tenantid") == original.tenantid
        assert parsed.get_extension("correlationid") == original.correlationid
        # The binding maps the partitionkey extension to the record key.
        assert parsed.get_extension("partitionkey") == original.subject
        assert record.key.decode() == original.subject
        assert parsed.get_data() == original.data
        # Structured mode: the content type says so and no binary-mode header confuses it.
        headers = dict(record.headers)
        assert headers["content-type"] == b"application/cloudevents+json"
        assert not [h for h in headers if h.startswith("ce_")]
    assert by_id == {}, "every event was found on the topic exactly once"


@pytest.mark.kafka
@pytest.mark.timeout(120)
def test_consumers_apply_binary_and_structured_events_from_a_foreign_producer(
    tmp_path: Path, kafka_bootstrap: str
) -> None:
    topic = f"ce{uuid.uuid4().hex[:8]}.complaint"
    service = _Service(tmp_path / "svc.db")
    bus = KafkaBus(kafka_bootstrap, partitions=2, client_options=KAFKA_TEST_OPTIONS)

    binary = [_complaint(str(uuid.uuid4())) for _ in range(3)]
    structured = [_complaint(str(uuid.uuid4())) for _ in range(3)]
    messages = [ce_kafka.to_binary_event(_sdk_event(e)) for e in binary]
    messages += [ce_kafka.to_structured_event(_sdk_event(e)) for e in structured]
    # The SDK really wrote the two modes.
    assert "ce_specversion" in messages[0].headers
    assert messages[0].headers["content-type"] == b"application/json"
    assert messages[-1].headers == {"content-type": b"application/cloudevents+json"}

    consumer = EventConsumer(
        service="test",
        group=f"ce-{uuid.uuid4().hex[:6]}",
        topics=[topic],
        bus=bus,
        session_factory=service.factory,
        inbox=service.tables.inbox,
        contracts=default_registry(),
        handlers={"complaint.received": service.handler},
        poll_timeout_s=0.5,
    )
    consumer.consumer  # noqa: B018 - joins the group and creates the topic first

    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    for m in messages:
        key = m.key.encode() if isinstance(m.key, str) else m.key
        producer.send(topic, key=key, value=m.value, headers=list(m.headers.items()))
    producer.flush()
    producer.close()

    wanted = {e.subject for e in binary + structured}
    deadline = time.monotonic() + 60
    while service.applied() != wanted and time.monotonic() < deadline:
        consumer.run_once()
    consumer.close()

    assert service.applied() == wanted
    assert service.inbox_size() == len(wanted)
    parked = bus.consumer(f"dlq-{uuid.uuid4().hex[:6]}", [dead_letter_topic(topic)])
    assert sum(len(parked.poll(10, 0.5)) for _ in range(4)) == 0, "nothing dead-lettered"
    parked.close()
    bus.close()


def test_binary_mode_attributes_come_from_headers() -> None:
    event = _complaint(str(uuid.uuid4()))
    message = ce_kafka.to_binary_event(_sdk_event(event))
    headers = {k: v.decode() for k, v in message.headers.items()}
    parsed = event_from_record(message.value, headers, message.key)
    assert parsed == event
    # A structured record written by the SDK reads the same.
    message = ce_kafka.to_structured_event(_sdk_event(event))
    headers = {k: v.decode() for k, v in message.headers.items()}
    assert event_from_record(message.value, headers, message.key) == event


def test_records_that_are_no_cloudevent_are_refused() -> None:
    event = _complaint(str(uuid.uuid4()))
    with pytest.raises(ValueError, match="not supported"):
        event_from_record(event.to_json(), {"content-type": "application/cloudevents+avro"})
    with pytest.raises(ValueError, match="not JSON"):
        event_from_record(
            b"<xml/>",
            {"ce_specversion": "1.0", "ce_id": "1", "content-type": "application/xml"},
        )
    with pytest.raises(ValueError):
        # Binary mode without the required attributes (source, type...).
        event_from_record(b"{}", {"ce_specversion": "1.0", "ce_id": "1"})
