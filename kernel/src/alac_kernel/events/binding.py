"""The CloudEvents Kafka protocol binding (1.0): how an event becomes a record and back.

Our producers write **structured mode**: the record value is the whole event as JSON
(`application/cloudevents+json`), the `content-type` header says so, and the key is the
`partitionkey` extension (the aggregate id). No `ce_*` header is written in structured mode:
the binding defines them for binary mode only, and readers such as the CloudEvents SDK take
any `ce_*` header as the sign of binary mode (a structured record with a few `ce_*` headers
is then read as a broken binary event).

Our consumers read both modes, as the binding asks of a receiver: `content-type` starting
with `application/cloudevents` means structured; otherwise `ce_specversion` means binary,
where every attribute is a `ce_<name>` header, `content-type` is `datacontenttype` and the
value is the data. The same records travel over the embedded log backend, which keeps
headers too.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from alac_kernel.events.envelope import CONTENT_TYPE, Event

_CE_PREFIX = "ce_"
_STRUCTURED_PREFIX = "application/cloudevents"


def record_headers(event: Event) -> dict[str, str]:
    """Headers of a structured-mode record."""
    return {"content-type": CONTENT_TYPE}


def record_key(event: Event) -> str:
    """The binding maps the `partitionkey` extension to the record key."""
    return event.partitionkey or event.subject


class NotACloudEvent(ValueError):
    """The record is in neither mode, or in a format this consumer cannot read."""


def structured_mode(headers: Mapping[str, str]) -> bool:
    """The record's content type is exactly ours, `application/cloudevents+json`: the value
    is the whole event as JSON (`event_from_record` reads it with `Event.from_json`)."""
    content_type = ""
    for name, text in headers.items():
        if name.lower() == "content-type":
            content_type = text  # the last one, as in event_from_record
    return content_type.split(";", 1)[0].strip().lower() == CONTENT_TYPE


def event_from_record(value: bytes, headers: Mapping[str, str], key: str | None = None) -> Event:
    """Parse a record in structured or binary mode into an Event (ValueError if neither)."""
    lowered = {name.lower(): text for name, text in headers.items()}
    content_type = lowered.get("content-type", "")
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type.startswith(_STRUCTURED_PREFIX):
        if media_type != CONTENT_TYPE:
            raise NotACloudEvent(f"structured event format {media_type!r} is not supported")
        return _with_key(Event.from_json(value), key)
    if "ce_specversion" in lowered:
        return _from_binary(value, lowered, content_type, key)
    # Neither marker: records written before the binding was followed (or by a producer
    # that forgot the header) are structured JSON; anything else fails as a malformed value.
    return _with_key(Event.from_json(value), key)


def _with_key(event: Event, key: str | None) -> Event:
    if event.partitionkey is None and key is not None:
        return event.model_copy(update={"partitionkey": key})
    return event


def _from_binary(
    value: bytes, headers: Mapping[str, str], content_type: str, key: str | None
) -> Event:
    attributes: dict[str, Any] = {
        name[len(_CE_PREFIX) :]: text
        for name, text in headers.items()
        if name.startswith(_CE_PREFIX)
    }
    if content_type:
        attributes["datacontenttype"] = content_type
    if key is not None:
        attributes.setdefault("partitionkey", key)
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type and not (media_type == "application/json" or media_type.endswith("+json")):
        # Our contracts describe JSON data; other data would fail every contract anyway.
        raise NotACloudEvent(f"binary-mode data of type {media_type!r} is not JSON")
    try:
        attributes["data"] = json.loads(value) if value else None
    except ValueError as exc:
        raise NotACloudEvent(f"binary-mode data is not valid JSON: {exc}") from exc
    # Header values are strings; the model turns numeric extensions (aggregateversion) and
    # the RFC 3339 time back into their types.
    return Event.model_validate(attributes)
