"""Every service builds its aggregates' events one way: its own source, the aggregate's id,
tenant and version, and the correlation id of whatever is being handled."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from alac_kernel.events import AggregateEvents, default_registry, event_source
from alac_kernel.observability import logs


@dataclass
class Alert:
    id: str
    tenant_id: str
    version: int


ALERTS = AggregateEvents("analytics", "alert")
ALERT_ID = "7e8f9a0b-1c2d-4e3f-9a4b-5c6d7e8f9a0b"
DATA = {
    "alert_id": ALERT_ID,
    "office": None,
    "dimension": "area",
    "value": "land",
    "window_start": "2026-01-01",
    "window_end": "2026-01-31",
    "count": 12,
    "baseline": 1.5,
    "p_value": 0.0001,
    "method": "poisson_upper_tail",
}


def test_the_source_names_the_service():
    assert event_source("intake") == "/alac/intake"
    assert ALERTS.source == "/alac/analytics"


def test_an_event_of_a_record_carries_its_id_tenant_and_version():
    event = ALERTS.of(Alert(ALERT_ID, "tk", 3), "alert.pattern_detected", DATA)
    assert (event.source, event.subject, event.partitionkey) == (
        "/alac/analytics",
        ALERT_ID,
        ALERT_ID,
    )
    assert (event.tenantid, event.aggregateversion) == ("tk", 3)
    assert event.dataschema == "urn:alac:contracts:events:alert.pattern_detected:v1"
    default_registry().validate(event)


def test_the_correlation_id_follows_what_is_being_handled():
    token = logs.correlation_id.set("req-42")
    try:
        assert ALERTS.of(Alert("a1", "tk", 1), "alert.pattern_detected", DATA).correlationid == (
            "req-42"
        )
        given = ALERTS.of(Alert("a1", "tk", 1), "alert.pattern_detected", DATA, correlation_id="c")
        assert given.correlationid == "c"
    finally:
        logs.correlation_id.reset(token)
    alone = ALERTS.new("alert.pattern_detected", subject="a1", tenant="tk", version=1, data=DATA)
    assert alone.correlationid and alone.correlationid != "req-42"


def test_an_event_of_another_aggregate_is_refused():
    with pytest.raises(ValueError, match="not an event of the alert aggregate"):
        ALERTS.new("case.closed", subject="c1", tenant="tk", version=1, data={})
