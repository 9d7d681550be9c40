"""Intake's use cases as plain functions; the HTTP layer and the CLI both call these."""

from __future__ import annotations

import hashlib
import hmac
import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from alac_intake import receipts
from alac_intake.models import Complaint
from alac_intake.schemas import ComplaintAccepted, ComplaintCreate
from alac_kernel.auth.principal import Principal
from alac_kernel.db import new_id, utcnow
from alac_kernel.events import new_event
from alac_kernel.outbox import Outbox
from alac_kernel.problems import Problem, not_found

SOURCE = "/alac/intake"
log = logging.getLogger("alac.intake")


def _pseudonym(tenant: str, complaint_id: str) -> str:
    # Without contact details (the personal-data vault comes with the full record) each
    # complaint gets its own pseudonym; it is derived, never a person's data.
    return hmac.new(tenant.encode(), complaint_id.encode(), hashlib.sha256).hexdigest()[:32]


def register_complaint(
    *,
    session: Session,
    outbox: Outbox,
    principal: Principal,
    payload: ComplaintCreate,
    correlation_id: str | None,
    receipt: tuple[str, str, str] | None = None,
) -> ComplaintAccepted:
    """Register a complaint and its `complaint.received` event in the caller's transaction.

    `receipt` (from `receipts.issue()`) may be drawn before the transaction opens: its slow
    hash then does not hold the database write lock.
    """
    office = payload.office or principal.office
    if office is None:
        raise Problem(
            422,
            "office: field required (the caller has no office)",
            errors=[{"field": "body.office", "reason": "field required"}],
        )
    if (
        principal.office
        and office != principal.office
        and not principal.has_any("coordinator", "tenant-admin")
    ):
        raise Problem(
            403,
            "You may register complaints only for your own office.",
            errors=[{"field": "body.office", "reason": "not your office"}],
        )
    now = utcnow()
    complaint_id = new_id()
    code = locator = receipt_hash = None
    if payload.anonymous:
        code, locator, receipt_hash = _unused_receipt(session, receipt)
    profile = payload.complainant
    complaint = Complaint(
        id=complaint_id,
        tenant_id=principal.tenant,
        office=office,
        channel=payload.channel,
        received_at=payload.received_at or now,
        registered_at=now,
        registered_by=principal.subject,
        anonymous=payload.anonymous,
        crux=payload.crux,
        help_requested=payload.help_requested,
        request_type=payload.request_type,
        area=payload.area,
        complainant_pseudonym=_pseudonym(principal.tenant, complaint_id),
        complainant_type=profile.type,
        sex=profile.sex,
        age_band=profile.age_band,
        education=profile.education,
        residence=profile.residence,
        region=profile.region,
        status="received",
        receipt_locator=locator,
        receipt_hash=receipt_hash,
        version=1,
    )
    session.add(complaint)
    session.flush()
    outbox.record(session, complaint_received(complaint, correlation_id))
    log.info(
        "complaint registered", extra={"complaint_id": complaint.id, "channel": complaint.channel}
    )
    return ComplaintAccepted(
        id=complaint.id,
        status=complaint.status,
        office=office,
        received_at=complaint.received_at,
        receipt_code=code,
    )


def _unused_receipt(session: Session, first: tuple[str, str, str] | None) -> tuple[str, str, str]:
    # Locators are unique across tenants and short (25 bits) so they can be read out on the
    # phone; draw again on the rare clash instead of failing the complaint.
    table = Complaint.__table__
    for attempt in range(8):
        code, locator, stored = first if (attempt == 0 and first) else receipts.issue()
        taken = session.execute(
            select(table.c.id).where(table.c.receipt_locator == locator)
        ).first()
        if taken is None:
            return code, locator, stored
    raise RuntimeError("could not draw an unused receipt locator")


def complaint_received(complaint: Complaint, correlation_id: str | None):  # type: ignore[no-untyped-def]
    profile = {
        k: v
        for k, v in {
            "pseudonym": complaint.complainant_pseudonym,
            "type": complaint.complainant_type,
            "sex": complaint.sex,
            "age_band": complaint.age_band,
            "education": complaint.education,
            "residence": complaint.residence,
            "region": complaint.region,
        }.items()
        if v is not None
    }
    data = {
        "complaint_id": complaint.id,
        "office": complaint.office,
        "received_at": complaint.received_at.isoformat(),
        "channel": complaint.channel,
        "anonymous": complaint.anonymous,
        "crux": complaint.crux,
        "complainant": profile,
        "request_type": complaint.request_type,
        "area": complaint.area,
        "help_requested": complaint.help_requested,
    }
    return new_event(
        type="complaint.received",
        source=SOURCE,
        subject=complaint.id,
        tenant=complaint.tenant_id,
        version=complaint.version,
        data={k: v for k, v in data.items() if v is not None},
        correlation_id=correlation_id,
    )


def get_complaint(*, session: Session, complaint_id: str) -> Complaint:
    complaint = session.execute(
        select(Complaint).where(Complaint.id == complaint_id)
    ).scalar_one_or_none()
    if complaint is None:
        raise not_found("complaint")
    return complaint
