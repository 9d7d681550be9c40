"""Event handlers that keep the read model up to date. They run inside the consumer's
transaction with the inbox row, so each event is applied at most once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from alac_analytics.models import ComplaintFact
from alac_kernel.events import Event


def _fact(session: Session, tenant: str, complaint_id: str) -> ComplaintFact:
    fact = session.execute(
        select(ComplaintFact).where(ComplaintFact.complaint_id == complaint_id)
    ).scalar_one_or_none()
    if fact is None:
        # Created by whichever event comes first: complaint and case travel on different topics.
        fact = ComplaintFact(
            complaint_id=complaint_id,
            tenant_id=tenant,
            status="received",
            complaint_version=0,
            case_version=0,
        )
        session.add(fact)
    return fact


def on_complaint_received(session: Session, event: Event) -> None:
    data = event.data
    fact = _fact(session, event.tenantid, data["complaint_id"])
    if fact.complaint_version >= event.aggregateversion:
        return
    fact.office = data["office"]
    fact.channel = data["channel"]
    fact.area = data.get("area")
    fact.request_type = data.get("request_type")
    fact.anonymous = data["anonymous"]
    fact.received_at = datetime.fromisoformat(data["received_at"])
    fact.complaint_version = event.aggregateversion


def on_case_opened(session: Session, event: Event) -> None:
    data = event.data
    fact = _fact(session, event.tenantid, data["complaint_id"])
    if fact.case_version >= event.aggregateversion:
        return
    fact.case_id = data["case_id"]
    fact.status = data["status"]
    fact.case_version = event.aggregateversion


HANDLERS = {"complaint.received": on_complaint_received, "case.opened": on_case_opened}
