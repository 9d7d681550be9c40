"""The CloudEvents 1.0 envelope every event travels in (structured JSON mode).

Extensions: `tenantid` (the tenant; never in the key), `aggregateversion` (per-aggregate
counter, so projections apply events in order and idempotently), `correlationid` (follows a
complaint from the HTTP request through every event and consumer), `partitionkey` (the
aggregate id, the record key on the bus).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from alac_kernel.db import new_id

SPECVERSION = "1.0"
CONTENT_TYPE = "application/cloudevents+json"


def dataschema_uri(event_type: str, major: int = 1) -> str:
    return f"urn:alac:contracts:events:{event_type}:v{major}"


class Event(BaseModel):
    """A CloudEvent. Unknown attributes are kept, so a newer producer never breaks a reader."""

    model_config = ConfigDict(extra="allow", frozen=True)

    specversion: str = SPECVERSION
    id: str
    source: str
    type: str
    time: datetime
    subject: str
    datacontenttype: str = "application/json"
    dataschema: str
    tenantid: str
    aggregateversion: int = Field(ge=1)
    correlationid: str
    partitionkey: str | None = None
    data: dict[str, Any]

    @property
    def aggregate_type(self) -> str:
        """`complaint.received` → `complaint`: the topic family and outbox aggregate type."""
        return self.type.split(".", 1)[0]

    @property
    def aggregate_id(self) -> str:
        return self.subject

    def to_json(self) -> bytes:
        return self.model_dump_json(exclude_none=True).encode()

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.to_json())
        return data

    @classmethod
    def from_json(cls, raw: bytes | str) -> Event:
        return cls.model_validate_json(raw)


def new_event(
    *,
    type: str,
    source: str,
    subject: str,
    tenant: str,
    version: int,
    data: dict[str, Any],
    correlation_id: str | None = None,
    major: int = 1,
    time: datetime | None = None,
) -> Event:
    return Event(
        id=new_id(),
        source=source,
        type=type,
        time=time or datetime.now(UTC),
        subject=subject,
        dataschema=dataschema_uri(type, major),
        tenantid=tenant,
        aggregateversion=version,
        correlationid=correlation_id or new_id(),
        partitionkey=subject,
        data=data,
    )
