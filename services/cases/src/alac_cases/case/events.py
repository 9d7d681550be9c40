"""The one way to build each case event (and to record any event cases publishes). Every event bumps the case version, which is the
envelope's aggregateversion, so consumers can order a case's events and drop duplicates; the
event goes into the outbox in the transaction that changed the case."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from alac_cases.case.models import Case
from alac_kernel.events import new_event
from alac_kernel.observability import logs
from alac_kernel.outbox import Outbox

# The source of every event cases publishes (case.*, staff.*, tenant.*).
SOURCE = "/alac/cases"


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
    record(
        session=session, outbox=outbox, type="case.opened", subject=case.id,
        tenant=case.tenant_id, version=case.version,
        data={k: v for k, v in data.items() if v is not None}, correlation_id=correlation_id,
    )  # fmt: skip


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
    record(
        session=session, outbox=outbox, type=type, subject=case.id, tenant=case.tenant_id,
        version=case.version, data=payload, correlation_id=correlation_id,
    )  # fmt: skip


def record(
    *,
    session: Session,
    outbox: Outbox,
    type: str,
    subject: str,
    tenant: str,
    version: int,
    data: dict[str, Any],
    correlation_id: str | None = None,
) -> None:
    """Any event cases publishes (case.*, and staff.* and tenant.* of its registries) into the
    outbox of the caller's transaction, with the request's or event's correlation id."""
    outbox.record(
        session,
        new_event(
            type=type, source=SOURCE, subject=subject, tenant=tenant, version=version,
            data=data, correlation_id=correlation_id or logs.correlation_id.get(None),
        ),
    )  # fmt: skip
