"""Cases' use cases as plain functions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from alac_cases.models import ERASED_CRUX, Case
from alac_kernel.db import new_id, utcnow
from alac_kernel.events import Event, new_event
from alac_kernel.outbox import Outbox

SOURCE = "/alac/cases"


def initial_status(request_type: str | None) -> str:
    # An information request is answered on the spot (the quick-answer path); anything else
    # waits in the office's triage queue.
    return "quick_answer" if request_type == "information_request" else "triage"


def open_case_for_complaint(*, session: Session, outbox: Outbox, event: Event) -> Case | None:
    """Open the case of a newly received complaint, once. None for a complaint already
    handled, and for a historical one (imported with `historical: true`): it was dealt with
    before the platform, so a case would only put years-old work in triage queues."""
    data = event.data
    if data.get("historical"):
        return None
    existing = session.execute(
        select(Case.id).where(Case.complaint_id == data["complaint_id"])
    ).first()
    if existing is not None:
        return None  # one case per complaint, even if the complaint is sent twice
    case = Case(
        id=new_id(),
        tenant_id=event.tenantid,
        complaint_id=data["complaint_id"],
        office=data["office"],
        status=initial_status(data.get("request_type")),
        channel=data["channel"],
        request_type=data.get("request_type"),
        area=data.get("area"),
        anonymous=data["anonymous"],
        # None: the complaint was erased before the case opened (its text key is gone).
        crux=data["crux"] if data.get("crux") is not None else ERASED_CRUX,
        received_at=datetime.fromisoformat(data["received_at"]),
        opened_at=utcnow(),
        version=1,
        complaint_version=event.aggregateversion,
    )
    session.add(case)
    session.flush()
    outbox.record(session, case_opened(case, event.correlationid))
    return case


def case_opened(case: Case, correlation_id: str) -> Event:
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
    return new_event(
        type="case.opened",
        source=SOURCE,
        subject=case.id,
        tenant=case.tenant_id,
        version=case.version,
        data={k: v for k, v in data.items() if v is not None},
        correlation_id=correlation_id,
    )


def list_cases(
    *,
    session: Session,
    office: str | None,
    status: str | None,
    limit: int,
    before: datetime | None,
    before_id: str | None = None,
    assignee: str | None = None,
    complaint_id: str | None = None,
) -> list[Case]:
    """Newest first. The cursor is (opened_at, id) of the last item seen: opened_at alone is
    not unique, and a page boundary inside a run of equal timestamps would skip cases."""
    query = select(Case).order_by(Case.opened_at.desc(), Case.id.desc()).limit(limit)
    if office:
        query = query.where(Case.office == office)
    if status:
        query = query.where(Case.status == status)
    if assignee:
        query = query.where(Case.assignee == assignee)
    if complaint_id:
        query = query.where(Case.complaint_id == complaint_id)
    if before and before_id:
        query = query.where(
            or_(Case.opened_at < before, and_(Case.opened_at == before, Case.id < before_id))
        )
    elif before:
        query = query.where(Case.opened_at < before)
    return list(session.execute(query).scalars())
