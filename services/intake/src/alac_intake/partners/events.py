"""Partner-visible events: appended to the partner's log in the transaction of the change they
report, with one pending webhook delivery per matching active subscription (the webhook
outbox). Positions are numbered per partner under a row lock on the partner, so a feed reader
never sees position n+1 committed before n. A transaction that queues deliveries rings the
webhook doorbell when it commits: the worker's webhook task sleeps until then."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from alac_intake import SERVICE
from alac_intake.complaints.models import Complaint
from alac_intake.partners.models import (
    Partner,
    PartnerComplaint,
    PartnerEvent,
    WebhookDelivery,
    WebhookSubscription,
)
from alac_kernel.db import new_id, utcnow
from alac_kernel.doorbell import Doorbell, engine_of, for_engine, ring_after_commit
from alac_kernel.events import AggregateEvents, ContractRegistry

# The partner's own log (its feed and webhooks): subject the partner, version its position.
PARTNER_EVENTS = AggregateEvents(SERVICE, "partner")

EVENT_TYPES = (
    "partner.complaint_received",
    "partner.case_status_changed",
    "partner.webhook_disabled",
)


def append(
    session: Session,
    contracts: ContractRegistry,
    *,
    partner_id: str,
    tenant: str,
    type: str,
    data: dict,
    correlation_id: str | None = None,
) -> PartnerEvent:
    # UPDATE first: it takes the row lock (PostgreSQL) or the write lock (SQLite) before the
    # position is read, so concurrent appends for one partner are numbered in commit order.
    session.execute(
        update(Partner)
        .where(Partner.id == partner_id)
        .values(last_position=Partner.last_position + 1)
    )
    position = session.execute(
        select(Partner.last_position).where(Partner.id == partner_id)
    ).scalar_one()
    event = PARTNER_EVENTS.new(
        type,
        subject=partner_id,
        tenant=tenant,
        version=position,
        data={"partner_id": partner_id, **data},
        correlation_id=correlation_id,
    )
    contracts.validate(event)  # a partner event that breaks its contract fails the change
    row = PartnerEvent(
        id=event.id,
        tenant_id=tenant,
        partner_id=partner_id,
        position=position,
        type=type,
        payload=event.to_json().decode(),
        created_at=utcnow(),
    )
    session.add(row)
    subscriptions = session.execute(
        select(WebhookSubscription).where(
            WebhookSubscription.partner_id == partner_id,
            WebhookSubscription.tenant_id == tenant,
        )
    ).scalars()
    now = utcnow()
    for sub in subscriptions:
        # Deliveries wait while a subscription is disabled and go out once it is enabled.
        if type in sub.event_types:
            session.add(new_delivery(sub, row, now))
            ring_webhooks(session)
    session.flush()
    return row


def webhook_doorbell(engine: Engine) -> Doorbell:
    """The doorbell the webhook task of intake's database waits on."""
    return for_engine(engine, "alac_webhook_deliveries")


def ring_webhooks(session: Session) -> None:
    """Wake the webhook task when `session` commits (deliveries queued or released)."""
    ring_after_commit(session, webhook_doorbell(engine_of(session.get_bind())))


def new_delivery(
    sub: WebhookSubscription, event: PartnerEvent, now: datetime, replay: bool = False
) -> WebhookDelivery:
    return WebhookDelivery(
        id=new_id(),
        tenant_id=sub.tenant_id,
        subscription_id=sub.id,
        event_id=event.id,
        event_position=event.position,
        state="pending",
        attempts=0,
        next_attempt_at=now,
        replay=replay,
        created_at=now,
    )


def complaint_received(
    session: Session, contracts: ContractRegistry, complaint: Complaint, partner: Partner
) -> None:
    session.add(
        PartnerComplaint(
            tenant_id=complaint.tenant_id,
            complaint_id=complaint.id,
            partner_id=partner.id,
            public_status="received",
        )
    )
    session.flush()
    append(
        session,
        contracts,
        partner_id=partner.id,
        tenant=complaint.tenant_id,
        type="partner.complaint_received",
        data={
            "complaint_id": complaint.id,
            "office": complaint.office,
            "received_at": complaint.received_at.isoformat(),
            "status": "received",
            "area": complaint.area,
            "request_type": complaint.request_type,
        },
    )


def status_changed(
    session: Session, contracts: ContractRegistry, complaint: Complaint, public_status: str
) -> None:
    """After the complainant-facing status of a complaint changed: tell its partner, if a
    partner submitted it and the public status really moved (internal steps such as triage ->
    assessment look the same from outside and are not announced)."""
    link = session.execute(
        select(PartnerComplaint).where(
            PartnerComplaint.complaint_id == complaint.id,
            PartnerComplaint.tenant_id == complaint.tenant_id,
        )
    ).scalar_one_or_none()
    if link is None or link.public_status == public_status:
        return
    previous, link.public_status = link.public_status, public_status
    append(
        session,
        contracts,
        partner_id=link.partner_id,
        tenant=complaint.tenant_id,
        type="partner.case_status_changed",
        data={
            "complaint_id": complaint.id,
            "from_status": previous,
            "to_status": public_status,
            "changed_at": utcnow().isoformat(),
        },
    )


def load(row: PartnerEvent) -> dict:
    return json.loads(row.payload)
