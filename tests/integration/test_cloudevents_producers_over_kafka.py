"""Events from a foreign CloudEvents producer reach every consumer group of the platform.

Intake records two complaints; instead of its relay, the CloudEvents SDK publishes their
events to Kafka, one complaint in binary mode and the other in structured mode. Cases,
search and analytics must take both: two cases, two hits, two counts, nothing dead-lettered.
"""

from __future__ import annotations

import pytest
from cloudevents.core.bindings import kafka as ce_kafka
from cloudevents.core.v1.event import CloudEvent
from kafka import KafkaProducer
from sqlalchemy import select, update

from alac_kernel.bus import dead_letter_topic
from alac_kernel.db import session_scope
from alac_kernel.events import Event

pytestmark = [pytest.mark.kafka, pytest.mark.timeout(180)]


def _submit(platform, crux: str) -> str:
    response = platform.intake.post(
        "/v1/complaints",
        json={"channel": "hotline", "request_type": "case", "area": "education", "crux": crux},
        headers=platform.headers("vera"),
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


def _take_over_the_outbox(platform) -> list[tuple[str, Event]]:
    """Intake's pending events, marked published so its relay leaves them to us."""
    runtime = platform.runtime("intake")
    table = runtime.tables.outbox
    with session_scope(runtime.session_factory, all_tenants=True) as session:
        rows = session.execute(
            select(table.c.topic, table.c.payload)
            .where(table.c.state == "pending")
            .order_by(table.c.seq)
        ).all()
        session.execute(update(table).values(state="published"))
    return [(topic, Event.from_json(payload)) for topic, payload in rows]


def _sdk_event(event: Event) -> CloudEvent:
    attributes = {k: v for k, v in event.to_dict().items() if k != "data"}
    attributes["time"] = event.time
    return CloudEvent(attributes, event.data)


def test_binary_and_structured_events_from_the_sdk_reach_every_consumer(
    kafka_platform, kafka_bootstrap
) -> None:
    platform = kafka_platform
    binary_id = _submit(platform, "Binary mode: the inspector asked for a bribe, sdkword.")
    structured_id = _submit(platform, "Structured mode: the clerk asked for a bribe, sdkword.")
    events = _take_over_the_outbox(platform)
    assert {e.subject for _, e in events} == {binary_id, structured_id}

    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    topics = set()
    for topic, event in events:
        topics.add(topic)
        if event.subject == binary_id:
            message = ce_kafka.to_binary_event(_sdk_event(event))
            assert "ce_specversion" in message.headers
        else:
            message = ce_kafka.to_structured_event(_sdk_event(event))
            assert not [h for h in message.headers if h.startswith("ce_")]
        key = message.key.encode() if isinstance(message.key, str) else message.key
        # The platform's consumers create the topics on first use; make sure they exist with
        # the bus's settings before a foreign producer writes to them.
        platform.runtime("intake").bus._ensure_topics([topic])  # noqa: SLF001
        producer.send(topic, key=key, value=message.value, headers=list(message.headers.items()))
    producer.flush()
    producer.close()

    platform.pump()

    cases = platform.cases.get("/v1/cases", headers=platform.headers("lena")).json()["items"]
    assert sorted(c["complaint_id"] for c in cases) == sorted([binary_id, structured_id])
    hits = platform.search.get(
        "/v1/search", params={"q": "sdkword"}, headers=platform.headers("lena")
    ).json()["items"]
    assert sorted(h["id"] for h in hits) == sorted([binary_id, structured_id])
    stats = platform.analytics.get("/v1/stats/summary", headers=platform.headers("kazbek"))
    assert stats.json()["total"] == 2

    bus = platform.runtime("intake").bus
    parked = bus.consumer("dlq-check", [dead_letter_topic(t) for t in sorted(topics)])
    assert sum(len(parked.poll(10, 0.5)) for _ in range(4)) == 0, "nothing dead-lettered"
    parked.close()
