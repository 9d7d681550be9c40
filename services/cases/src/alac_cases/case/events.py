"""Emitting case events: each event bumps the case version, which is the envelope's
aggregateversion, so consumers can order a case's events and drop duplicates."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from alac_cases.models import Case
from alac_kernel.events import new_event
from alac_kernel.observability import logs
from alac_kernel.outbox import Outbox

SOURCE = "/alac/cases"


def emit(
    *,
    session: Session,
    outbox: Outbox,
    case: Case,
    type: str,
    data: dict[str, Any],
    correlation_id: str | None = None,
) -> None:
    case.version += 1
    payload = {"case_id": case.id, "complaint_id": case.complaint_id, "office": case.office}
    payload.update(data)
    session.flush()
    outbox.record(
        session,
        new_event(
            type=type,
            source=SOURCE,
            subject=case.id,
            tenant=case.tenant_id,
            version=case.version,
            data=payload,
            correlation_id=correlation_id or logs.correlation_id.get(None),
        ),
    )
