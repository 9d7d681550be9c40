"""Which event sets which document fields. Only the fields named here are copied, so personal
data could not reach the index even if an event carried it.

Sealed free text (alac_kernel.sealed_text) is opened before these run (handlers.py,
rebuild.py).

Complaint events are versioned by the complaint, case events by the case (the envelope's
aggregateversion); the engine keeps a version per field (engines/base.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from alac_kernel.events import Event
from alac_search.engines.base import INTAKE_FIELDS, IndexWriter

#: One event's effect on the index (the live engine, or a batch of writes).
Projection = Callable[[IndexWriter, Event], None]


class Writes:
    """Stands in for the engine while the projections run over a batch of events (a rebuild's
    poll, a live consumer's run): it only collects their writes, for one `apply_many`."""

    def __init__(self) -> None:
        self.docs: list[tuple[str, str, int, dict[str, Any]]] = []

    def apply(self, tenant: str, doc_id: str, version: int, fields: Mapping[str, Any]) -> bool:
        self.docs.append((tenant, doc_id, version, dict(fields)))
        return True

    def soft_delete(self, tenant: str, doc_id: str, version: int) -> bool:
        return self.apply(tenant, doc_id, version, {"withdrawn": True})


COPIED_FROM_COMPLAINT = tuple(f for f in INTAKE_FIELDS if f != "withdrawn")


def utc(timestamp: str) -> str:
    """RFC 3339 in UTC, so stored times compare correctly as text (events carry offsets)."""
    return datetime.fromisoformat(timestamp).astimezone(UTC).isoformat()


def _complaint_fields(data: dict[str, Any]) -> dict[str, Any]:
    fields = {f: data[f] for f in COPIED_FROM_COMPLAINT if f in data}
    if fields.get("received_at"):
        fields["received_at"] = utc(fields["received_at"])
    return fields


def complaint_received(engine: IndexWriter, event: Event) -> None:
    engine.apply(event.tenantid, event.data["complaint_id"], event.aggregateversion,
                 _complaint_fields(event.data))  # fmt: skip


def complaint_updated(engine: IndexWriter, event: Event) -> None:
    fields = _complaint_fields(event.data["changed"])
    fields["office"] = event.data["office"]
    engine.apply(event.tenantid, event.data["complaint_id"], event.aggregateversion, fields)


def complaint_withdrawn(engine: IndexWriter, event: Event) -> None:
    engine.soft_delete(event.tenantid, event.data["complaint_id"], event.aggregateversion)


def complaint_personal_data_purged(engine: IndexWriter, event: Event) -> None:
    # Erasure: the text leaves the index (its key is destroyed, so no event can bring it
    # back; a replayed older event loses to this newer version anyway).
    engine.apply(event.tenantid, event.data["complaint_id"], event.aggregateversion, {"crux": None})


def _case(fields: Callable[[dict[str, Any]], dict[str, Any]]) -> Projection:
    def apply(engine: IndexWriter, event: Event) -> None:
        data = event.data
        engine.apply(
            event.tenantid,
            data["complaint_id"],
            event.aggregateversion,
            {"case_id": data["case_id"], **fields(data)},
        )

    return apply


# A reopened case loses its outcome; its new status comes with case.status_changed (case
# status codes belong to the cases service, search does not guess them).
PROJECTIONS: dict[str, Projection] = {
    "complaint.received": complaint_received,
    "complaint.updated": complaint_updated,
    "complaint.withdrawn": complaint_withdrawn,
    "complaint.personal_data_purged": complaint_personal_data_purged,
    "case.opened": _case(lambda d: {"status": d["status"]}),
    "case.assigned": _case(lambda d: {"assignee": d["assignee"]}),
    "case.status_changed": _case(lambda d: {"status": d["to_status"]}),
    "case.closed": _case(lambda d: {"status": "closed", "outcome": d["outcome"]}),
    "case.reopened": _case(lambda d: {"outcome": None}),
}
AGGREGATES = ("complaint", "case")
