"""EventView (msgspec) reads a record as `event_from_record` (pydantic) does: same verdict,
same values, on ordinary events and on the corners where the two decoders differ."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from alac_kernel.events import Event, new_event
from alac_kernel.events.binding import event_from_record, record_headers
from alac_kernel.events.view import EventView, view_from_record

HEADERS = {"content-type": "application/cloudevents+json"}


def _envelope(**changes):  # type: ignore[no-untyped-def]
    event = new_event(type="case.closed", source="/alac/cases", subject="k1", tenant="tk",
                      version=2, data={"case_id": "k1", "complaint_id": "c1", "n": [1, 2.5]})  # fmt: skip
    envelope = json.loads(event.to_json())
    envelope.update(changes)
    return {k: v for k, v in envelope.items() if v is not None}


ATTRIBUTES = ("specversion", "id", "source", "type", "time", "subject", "datacontenttype",
              "dataschema", "tenantid", "aggregateversion", "correlationid", "partitionkey",
              "data")  # fmt: skip


def _same(view: EventView | Event, event: Event) -> None:
    for name in ATTRIBUTES:
        assert getattr(view, name) == getattr(event, name), name
    assert view.time.utcoffset() == event.time.utcoffset()


def test_an_ordinary_record_is_read_by_msgspec_with_the_same_values():
    raw = json.dumps(_envelope()).encode()
    view = view_from_record(raw, HEADERS, "k1")
    assert isinstance(view, EventView)
    _same(view, event_from_record(raw, HEADERS, "k1"))


def test_the_record_key_fills_a_missing_partition_key_as_before():
    raw = json.dumps(_envelope(partitionkey=None)).encode()
    view = view_from_record(raw, HEADERS, "the-key")
    assert view.partitionkey == "the-key"
    _same(view, event_from_record(raw, HEADERS, "the-key"))


@pytest.mark.parametrize(
    "time",
    [
        "2025-01-01T00:00:00Z",
        "2025-01-01t00:00:00z",
        "2025-01-01 00:00:00Z",
        "2025-01-01T00:00:00",  # naive: both keep it naive
        "2025-01-01T00:00:00+0500",
        "2025-01-01T00:00:00-00:00",
        "2025-06-30T23:59:59.999999+05:00",
        # msgspec rounds a longer fraction, pydantic truncates: read by pydantic
        "2025-01-01T00:00:00.1234567Z",
        "2025-12-31T23:59:59.99999999+05:00",
        # msgspec refuses, pydantic accepts: read by pydantic
        "2025-01-01T00:00Z",
        "2025-01-01",
        "2025-01-01T00:00:00,5Z",
        1735689600,
    ],
)
def test_times_are_read_as_pydantic_reads_them(time):  # type: ignore[no-untyped-def]
    raw = json.dumps(_envelope(time=time)).encode()
    _same(view_from_record(raw, HEADERS), event_from_record(raw, HEADERS))


@pytest.mark.parametrize(
    "changes",
    [
        {"aggregateversion": "3"},  # pydantic's lax mode takes a numeric string
        {"aggregateversion": 3.0},
        {"extra_attribute": {"kept": True}},
    ],
)
def test_what_pydantic_accepts_is_accepted_with_the_same_values(changes):  # type: ignore[no-untyped-def]
    raw = json.dumps(_envelope(**changes)).encode()
    _same(view_from_record(raw, HEADERS), event_from_record(raw, HEADERS))


@pytest.mark.parametrize(
    "changes",
    [
        {"aggregateversion": 0},
        {"time": "2025-01-01T23:59:60Z"},
        {"time": "not a time"},
        {"tenantid": 5},
        {"data": [1, 2]},
        {"correlationid": None},
        {"id": None},
    ],
)
def test_what_pydantic_refuses_is_refused_by_pydantic(changes):  # type: ignore[no-untyped-def]
    raw = json.dumps(_envelope(**changes)).encode()
    with pytest.raises(ValidationError):
        event_from_record(raw, HEADERS)
    with pytest.raises(ValidationError):
        view_from_record(raw, HEADERS)


def test_records_in_another_mode_are_read_by_event_from_record():
    event = Event.model_validate(_envelope())
    binary = {"ce_specversion": "1.0", "ce_id": event.id, "ce_source": event.source,
              "ce_type": event.type, "ce_time": event.time.isoformat(), "ce_subject": "k1",
              "ce_dataschema": event.dataschema, "ce_tenantid": "tk",
              "ce_aggregateversion": "2", "ce_correlationid": event.correlationid,
              "content-type": "application/json"}  # fmt: skip
    value = json.dumps(event.data).encode()
    assert view_from_record(value, binary, "k1") == event_from_record(value, binary, "k1")
    # No content type at all: structured JSON written before the binding was followed.
    assert view_from_record(event.to_json(), {}) == event_from_record(event.to_json(), {})
    assert record_headers(event) == HEADERS


def test_the_view_declares_the_envelopes_attributes_and_defaults():
    """The two decoders list the envelope's attributes each (one is pydantic's, one msgspec's):
    an attribute added to `Event` and not to `EventView` would be dropped by a rebuild."""
    import msgspec

    view_fields = {f.name: f for f in msgspec.structs.fields(EventView)}
    assert list(view_fields) == list(Event.model_fields) == list(ATTRIBUTES)
    for name, field in Event.model_fields.items():
        view_default = view_fields[name].default
        if field.is_required():
            assert view_default is msgspec.NODEFAULT, name
        else:
            assert view_default == field.default, name
