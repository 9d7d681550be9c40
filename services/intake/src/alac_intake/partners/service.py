"""Partner use cases: registration and secret rotation (tenant admin), webhook subscriptions,
replay and the feed (the partner system itself)."""

from __future__ import annotations

import json
import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from alac_intake.partners import events as partner_events
from alac_intake.partners.models import (
    Partner,
    PartnerComplaint,
    PartnerEvent,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from alac_intake.partners.webhooks import (
    UrlRefused,
    WebhookPolicy,
    check_url,
    new_secret,
    seal_secret,
)
from alac_kernel.auth.principal import Principal
from alac_kernel.crypto import MasterKeys
from alac_kernel.cursors import CursorCodec, CursorError
from alac_kernel.db import new_id, utcnow
from alac_kernel.problems import Problem, not_found

CLIENT_ID = re.compile(r"^[a-z0-9][a-z0-9-]{2,62}$")
FEED_CURSOR = "partner-feed"


def field_problem(status: int, field: str, reason: str) -> Problem:
    return Problem(status, f"{field}: {reason}", errors=[{"field": field, "reason": reason}])


# ------------------------------------------------------------------ partners


def partner_of(session: Session, principal: Principal, *, create: bool = False) -> Partner | None:
    """The partner record of a partner system's token (by its client id, in its tenant). A
    client the identity provider knows but that was never registered here (the demo partner)
    is recorded on its first submission, so its complaints are still its own."""
    if not principal.client_id:
        return None
    found = session.execute(
        select(Partner).where(
            Partner.client_id == principal.client_id, Partner.tenant_id == principal.tenant
        )
    ).scalar_one_or_none()
    if found is None and create:
        found = Partner(
            id=new_id(),
            tenant_id=principal.tenant,
            client_id=principal.client_id,
            name=principal.client_id,
            origin="seen",
            active=True,
            created_at=utcnow(),
            last_position=0,
        )
        session.add(found)
        session.flush()
    return found


def get_partner(session: Session, tenant: str, partner_id: str) -> Partner:
    found = session.execute(
        select(Partner).where(Partner.id == partner_id, Partner.tenant_id == tenant)
    ).scalar_one_or_none()
    if found is None:
        raise not_found("partner")
    return found


def check_client_id(session: Session, client_id: str) -> None:
    if not CLIENT_ID.fullmatch(client_id):
        raise field_problem(
            422,
            "body.client_id",
            "3-63 lower-case letters, digits and '-', starting with a letter or digit",
        )
    taken = session.execute(select(Partner.id).where(Partner.client_id == client_id)).first()
    if taken is not None:
        raise field_problem(409, "body.client_id", "already registered")


def partner_view(partner: Partner) -> dict:
    return {
        "id": partner.id,
        "client_id": partner.client_id,
        "name": partner.name,
        "active": partner.active,
        "origin": partner.origin,
        "created_at": partner.created_at.isoformat(),
        "secret_rotated_at": partner.secret_rotated_at.isoformat()
        if partner.secret_rotated_at
        else None,
    }


# ------------------------------------------------------------------ complaints it submitted


def own_complaint(session: Session, principal: Principal, complaint_id: str) -> PartnerComplaint:
    """The link of a complaint to the calling partner, or 404 (as for a missing complaint)."""
    partner = partner_of(session, principal)
    link = None
    if partner is not None:
        link = session.execute(
            select(PartnerComplaint).where(
                PartnerComplaint.complaint_id == complaint_id,
                PartnerComplaint.partner_id == partner.id,
                PartnerComplaint.tenant_id == principal.tenant,
            )
        ).scalar_one_or_none()
    if link is None:
        raise not_found("complaint")
    return link


# ------------------------------------------------------------------ subscriptions


def subscribe(
    session: Session,
    *,
    partner: Partner,
    url: str,
    event_types: list[str],
    keys: MasterKeys,
    policy: WebhookPolicy,
) -> tuple[WebhookSubscription, str]:
    unknown = sorted(set(event_types) - set(partner_events.EVENT_TYPES))
    if unknown:
        raise field_problem(
            422,
            "body.event_types",
            f"unknown event type(s) {', '.join(unknown)}; one of {', '.join(partner_events.EVENT_TYPES)}",
        )
    try:
        check_url(url, policy)
    except UrlRefused as exc:
        raise field_problem(422, "body.url", str(exc)) from None
    sub_id = new_id()
    secret = new_secret()
    sealed, key_id = seal_secret(keys, sub_id, secret)
    sub = WebhookSubscription(
        id=sub_id,
        tenant_id=partner.tenant_id,
        partner_id=partner.id,
        url=url,
        event_types=sorted(set(event_types)),
        secret_sealed=sealed,
        secret_key_id=key_id,
        status="active",
        consecutive_failures=0,
        created_at=utcnow(),
    )
    session.add(sub)
    session.flush()
    return sub, secret


def get_subscription(session: Session, partner: Partner, sub_id: str) -> WebhookSubscription:
    found = session.execute(
        select(WebhookSubscription).where(
            WebhookSubscription.id == sub_id,
            WebhookSubscription.partner_id == partner.id,
            WebhookSubscription.tenant_id == partner.tenant_id,
        )
    ).scalar_one_or_none()
    if found is None:
        raise not_found("subscription")
    return found


def subscription_view(session: Session, sub: WebhookSubscription) -> dict:
    counts: dict[str, int] = {}
    for state in session.execute(
        select(WebhookDelivery.state).where(WebhookDelivery.subscription_id == sub.id)
    ).scalars():
        counts[state] = counts.get(state, 0) + 1
    return {
        "id": sub.id,
        "url": sub.url,
        "event_types": sub.event_types,
        "status": sub.status,
        "disabled_reason": sub.disabled_reason,
        "consecutive_failures": sub.consecutive_failures,
        "created_at": sub.created_at.isoformat(),
        "deliveries": {s: counts.get(s, 0) for s in ("pending", "delivered", "failed")},
    }


def attempts(session: Session, sub: WebhookSubscription, limit: int) -> list[dict]:
    rows = session.execute(
        select(WebhookAttempt, WebhookDelivery.event_position)
        .join(WebhookDelivery, WebhookDelivery.id == WebhookAttempt.delivery_id)
        .where(WebhookAttempt.subscription_id == sub.id)
        .order_by(WebhookAttempt.seq.desc())
        .limit(limit)
    ).all()
    return [
        {
            "event_id": a.event_id,
            "event_position": position,
            "delivery_id": a.delivery_id,
            "attempt": a.attempt,
            "at": a.at.isoformat(),
            "status_code": a.status_code,
            "error": a.error,
            "outcome": a.outcome,
        }
        for a, position in rows
    ]


def replay(session: Session, sub: WebhookSubscription, after_position: int) -> int:
    """Queue every event of the subscription's types after a feed position again (0 = from
    the beginning). Earlier deliveries stay in the log; receivers dedupe by webhook-id."""
    rows = session.execute(
        select(PartnerEvent)
        .where(
            PartnerEvent.partner_id == sub.partner_id,
            PartnerEvent.tenant_id == sub.tenant_id,
            PartnerEvent.position > after_position,
            PartnerEvent.type.in_(sub.event_types),
        )
        .order_by(PartnerEvent.position)
    ).scalars()
    now = utcnow()
    queued = 0
    for event in rows:
        session.add(partner_events._delivery(sub, event, now, replay=True))
        queued += 1
    session.flush()
    return queued


# ------------------------------------------------------------------ the feed


def decode_position(codec: CursorCodec, partner: Partner, cursor: str | None, field: str) -> int:
    """The feed position of a cursor (signed, and only for the partner it was given to);
    none means the beginning."""
    if cursor is None or cursor == "":
        return 0
    try:
        partner_id, position = codec.decode(FEED_CURSOR, cursor, [(str,), (int,)])
    except CursorError as exc:
        raise field_problem(400, field, str(exc)) from None
    if partner_id != partner.id or position < 0:
        raise field_problem(400, field, "the cursor was given to another partner")
    return position


def feed_page(session: Session, partner: Partner, after: int, limit: int) -> list[PartnerEvent]:
    return list(
        session.execute(
            select(PartnerEvent)
            .where(
                PartnerEvent.partner_id == partner.id,
                PartnerEvent.tenant_id == partner.tenant_id,
                PartnerEvent.position > after,
            )
            .order_by(PartnerEvent.position)
            .limit(limit)
        ).scalars()
    )


def feed_cursor(codec: CursorCodec, partner: Partner, position: int) -> str:
    return codec.encode(FEED_CURSOR, [partner.id, position])


def feed_body(codec: CursorCodec, partner: Partner, rows: list[PartnerEvent], after: int) -> dict:
    last = rows[-1].position if rows else after
    return {
        "events": [json.loads(r.payload) for r in rows],
        # Always a cursor: an empty page answers the same position to wait on again.
        "next": feed_cursor(codec, partner, last),
    }
