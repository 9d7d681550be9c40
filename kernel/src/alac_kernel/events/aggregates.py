"""One way for a service to build the events of its aggregates.

Every event a service publishes names the service as its CloudEvents `source`
(`/alac/<service>`), the aggregate's id as subject and partition key, its tenant, and the
aggregate's version (the per-aggregate counter consumers order and deduplicate by). A service
declares one `AggregateEvents` per aggregate beside the aggregate's model, and builds every
event of it there:

    CASE_EVENTS = AggregateEvents("cases", "case")
    event = CASE_EVENTS.of(case, "case.closed", {"outcome": "resolved"})

The correlation id, when none is given, is the one of whatever is being handled: the HTTP
request (its `X-Correlation-Id`) or the event a consumer applies, so one complaint can be
followed through every event it causes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from alac_kernel.events.envelope import Event, new_event
from alac_kernel.observability import logs


def event_source(service: str) -> str:
    """The CloudEvents `source` of every event `service` publishes."""
    return f"/alac/{service}"


class VersionedRecord(Protocol):
    """An aggregate's row: its id, tenant and version (bumped before its event is built)."""

    @property
    def id(self) -> str: ...

    @property
    def tenant_id(self) -> str: ...

    @property
    def version(self) -> int: ...


@dataclass(frozen=True, slots=True)
class AggregateEvents:
    """The events of one aggregate (`complaint`, `case`, `alert`, ...) as one service
    publishes them."""

    service: str
    aggregate: str

    @property
    def source(self) -> str:
        return event_source(self.service)

    def new(
        self,
        type: str,
        *,
        subject: str,
        tenant: str,
        version: int,
        data: dict[str, Any],
        correlation_id: str | None = None,
        time: datetime | None = None,
    ) -> Event:
        """An event of this aggregate; `type` is its full name (`case.closed`)."""
        if type.split(".", 1)[0] != self.aggregate:
            raise ValueError(f"{type!r} is not an event of the {self.aggregate} aggregate")
        return new_event(
            type=type,
            source=self.source,
            subject=subject,
            tenant=tenant,
            version=version,
            data=data,
            correlation_id=correlation_id or logs.correlation_id.get(),
            time=time,
        )

    def of(
        self,
        record: VersionedRecord,
        type: str,
        data: dict[str, Any],
        *,
        correlation_id: str | None = None,
        time: datetime | None = None,
    ) -> Event:
        """An event about `record` at its current version."""
        return self.new(
            type,
            subject=record.id,
            tenant=record.tenant_id,
            version=record.version,
            data=data,
            correlation_id=correlation_id,
            time=time,
        )


__all__ = ["AggregateEvents", "VersionedRecord", "event_source"]
