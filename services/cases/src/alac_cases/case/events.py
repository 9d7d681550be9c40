"""The one way to build each case event, with the kernel's AggregateEvents (source
/alac/cases). Every event bumps the case version, which is the envelope's aggregateversion, so
consumers can order a case's events and drop duplicates; the event goes into the outbox in the
transaction that changed the case."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from alac_cases import SERVICE
from alac_cases.case.models import Case
from alac_kernel.events import AggregateEvents
from alac_kernel.outbox import Outbox

CASE_EVENTS = AggregateEvents(SERVICE, "case")


def opened(*, session: Session, outbox: Outbox, case: Case, correlation_id: str | None) -> None:
    """case.opened: the case as it opened, at version 1 (no bump: opening is the first)."""
    data = {
        "case_id": case.id,
        "complaint_id": case.complaint_id,
        "office": case.office,
        "opened_at": case.opened_at.isoformat(),
        "status": case.status,
        "channel": case.channel,
        "anonymous": case.anonymous,
        "area": case.area,
        "request_type": case.request_type,
    }
    session.flush()
    event = CASE_EVENTS.of(
        case,
        "case.opened",
        {k: v for k, v in data.items() if v is not None},
        correlation_id=correlation_id,
    )
    outbox.record(session, event)


def emit(
    *,
    session: Session,
    outbox: Outbox,
    case: Case,
    type: str,
    data: dict[str, Any],
    correlation_id: str | None = None,
) -> None:
    """A change of `case`: the version moves on, and the event names the case, its complaint
    and its office besides `data`."""
    case.version += 1
    payload = {"case_id": case.id, "complaint_id": case.complaint_id, "office": case.office}
    payload.update(data)
    session.flush()
    outbox.record(session, CASE_EVENTS.of(case, type, payload, correlation_id=correlation_id))
