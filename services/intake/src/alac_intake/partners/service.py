"""Partner use cases: registration, secret rotation and revocation (tenant admin); the
complaints it submitted, webhook subscriptions, replay and the feed (the partner system
itself). Each use case (the functions taking the runtime) owns its transactions; the functions
taking a session are its steps, also used by the complaint's code (hooks.py)."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from alac_intake.complaints.models import Complaint
from alac_intake.partners import events as partner_events
from alac_intake.partners import identity
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
from alac_kernel.db import new_id, one_found, session_scope, utcnow
from alac_kernel.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidFields,
    NotFound,
    Unavailable,
)

if TYPE_CHECKING:
    from alac_intake.runtime import IntakeRuntime

CLIENT_ID = re.compile(r"^[a-z0-9][a-z0-9-]{2,62}$")
FEED_CURSOR = "partner-feed"


class BadCursor(DomainError):
    """A feed cursor that was not signed here or was given to another partner (400)."""

    @classmethod
    def of(cls, field: str, reason: str) -> BadCursor:
        return cls(f"{field}: {reason}", errors=[{"field": field, "reason": reason}])


def _taken(reason: str) -> Conflict:
    return Conflict(
        f"body.client_id: {reason}", errors=[{"field": "body.client_id", "reason": reason}]
    )


def _unavailable(exc: Exception) -> Unavailable:
    return Unavailable(
        f"The identity provider cannot be reached or refused the change; nothing was changed. "
        f"Try again later. ({exc})",
        headers={"Retry-After": "30"},
    )


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
    query = select(Partner).where(Partner.id == partner_id, Partner.tenant_id == tenant)
    return one_found(session, query, "partner")


def check_client_id(session: Session, client_id: str) -> None:
    if not CLIENT_ID.fullmatch(client_id):
        raise InvalidFields.one(
            "body.client_id",
            "3-63 lower-case letters, digits and '-', starting with a letter or digit",
        )
    taken = session.execute(select(Partner.id).where(Partner.client_id == client_id)).first()
    if taken is not None:
        raise _taken("already registered")


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
    """The link of a complaint to the calling partner, or NotFound (as for a missing
    complaint)."""
    partner = partner_of(session, principal)
    if partner is None:
        raise NotFound("complaint")
    its_own = select(PartnerComplaint).where(
        PartnerComplaint.complaint_id == complaint_id,
        PartnerComplaint.partner_id == partner.id,
        PartnerComplaint.tenant_id == principal.tenant,
    )
    return one_found(session, its_own, "complaint")


def complaint_view(session: Session, link: PartnerComplaint) -> dict[str, Any]:
    """What a partner system may know of a complaint it submitted (PartnerComplaintRead)."""
    complaint = session.execute(
        select(Complaint).where(Complaint.id == link.complaint_id)
    ).scalar_one()
    return {
        "id": complaint.id,
        "office": complaint.office,
        "received_at": complaint.received_at.isoformat(),
        "status": link.public_status,
    }


def submitted_complaint(
    session: Session, principal: Principal, complaint_id: str
) -> dict[str, Any]:
    """A complaint the calling partner submitted, as it may see it; any other: NotFound."""
    return complaint_view(session, own_complaint(session, principal, complaint_id))


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
        raise InvalidFields.one(
            "body.event_types",
            f"unknown event type(s) {', '.join(unknown)}; one of {', '.join(partner_events.EVENT_TYPES)}",
        )
    try:
        check_url(url, policy)
    except UrlRefused as exc:
        raise InvalidFields.one("body.url", str(exc)) from None
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
    its_own = select(WebhookSubscription).where(
        WebhookSubscription.id == sub_id,
        WebhookSubscription.partner_id == partner.id,
        WebhookSubscription.tenant_id == partner.tenant_id,
    )
    return one_found(session, its_own, "subscription")


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
        session.add(partner_events.new_delivery(sub, event, now, replay=True))
        queued += 1
    session.flush()
    if queued:
        partner_events.ring_webhooks(session)
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
        raise BadCursor.of(field, str(exc)) from None
    if partner_id != partner.id or position < 0:
        raise BadCursor.of(field, "the cursor was given to another partner")
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


# ------------------------------------------------------------------ use cases: the tenant admin


def token_url(rt: IntakeRuntime) -> str:
    """Where a partner system gets its tokens (client credentials)."""
    return rt.settings.auth_issuer.rstrip("/") + "/protocol/openid-connect/token"


def register(
    rt: IntakeRuntime, principal: Principal, *, client_id: str, name: str, caller_token: str
) -> dict[str, Any]:
    """A new partner system of the caller's tenant: its client at the identity provider first
    (the secret is in this answer only), then its record; if the record cannot be written the
    client is taken away again, so a retry starts clean."""
    with session_scope(rt.session_factory, tenant=principal.tenant) as session:
        check_client_id(session, client_id)
    clients = rt.partner_clients
    try:
        secret = clients.create(
            client_id=client_id, tenant=principal.tenant, name=name, caller_token=caller_token
        )
    except identity.ClientIdTaken:
        raise _taken("taken at the identity provider") from None
    except identity.IdentityUnavailable as exc:
        raise _unavailable(exc) from exc
    try:
        with session_scope(rt.session_factory, tenant=principal.tenant) as session:
            partner = Partner(
                id=new_id(),
                tenant_id=principal.tenant,
                client_id=client_id,
                name=name,
                origin="registered",
                active=True,
                created_at=utcnow(),
                created_by=principal.subject,
                last_position=0,
            )
            session.add(partner)
            session.flush()
            body = partner_view(partner)
    except Exception:
        clients.delete(client_id=client_id, caller_token=caller_token)
        raise
    body.update(client_secret=secret, token_url=token_url(rt))
    return body


def list_partners(rt: IntakeRuntime, principal: Principal) -> list[dict[str, Any]]:
    with session_scope(rt.session_factory, tenant=principal.tenant) as session:
        rows = session.execute(select(Partner).order_by(Partner.created_at)).scalars()
        return [partner_view(p) for p in rows]


def read_partner(rt: IntakeRuntime, principal: Principal, partner_id: str) -> dict[str, Any]:
    with session_scope(rt.session_factory, tenant=principal.tenant) as session:
        return partner_view(get_partner(session, principal.tenant, partner_id))


def rotate_secret(
    rt: IntakeRuntime, principal: Principal, partner_id: str, *, caller_token: str
) -> dict[str, Any]:
    """A new secret (in this answer only); the previous one works for the grace period."""
    with session_scope(rt.session_factory, tenant=principal.tenant) as session:
        partner = get_partner(session, principal.tenant, partner_id)
        if partner.origin != "registered" or not partner.active:
            raise Conflict(
                "Only an active partner registered through this API can rotate its secret here."
            )
        client_id = partner.client_id
    clients = rt.partner_clients
    try:
        secret = clients.rotate(client_id=client_id, caller_token=caller_token)
    except identity.IdentityUnavailable as exc:
        raise _unavailable(exc) from exc
    with session_scope(rt.session_factory, tenant=principal.tenant) as session:
        partner = get_partner(session, principal.tenant, partner_id)
        partner.secret_rotated_at = utcnow()
        body = partner_view(partner)
    body.update(
        client_secret=secret, token_url=token_url(rt), previous_secret_valid_for_s=clients.grace_s
    )
    return body


def revoke(rt: IntakeRuntime, principal: Principal, partner_id: str, *, caller_token: str) -> None:
    """The partner's client is deleted at the identity provider; its records are kept and its
    subscriptions disabled."""
    with session_scope(rt.session_factory, tenant=principal.tenant) as session:
        partner = get_partner(session, principal.tenant, partner_id)
        client_id, registered = partner.client_id, partner.origin == "registered"
    if registered:
        try:
            rt.partner_clients.delete(client_id=client_id, caller_token=caller_token)
        except identity.IdentityUnavailable as exc:
            raise _unavailable(exc) from exc
    with session_scope(rt.session_factory, tenant=principal.tenant) as session:
        partner = get_partner(session, principal.tenant, partner_id)
        partner.active = False
        for sub in session.execute(
            select(WebhookSubscription).where(WebhookSubscription.partner_id == partner.id)
        ).scalars():
            sub.status, sub.disabled_reason = "disabled", "partner revoked"


# ------------------------------------------------------------------ use cases: the partner system


def calling_partner(session: Session, principal: Principal) -> Partner:
    """The calling partner system's record (made on its first call), if it is active."""
    partner = partner_of(session, principal, create=True)
    if partner is None or not partner.active:
        raise Forbidden("This partner system is not active.")
    return partner


def own_complaints(rt: IntakeRuntime, principal: Principal, limit: int) -> list[dict[str, Any]]:
    """The complaints the partner system submitted, newest first."""
    with session_scope(rt.session_factory, tenant=principal.tenant) as session:
        partner = calling_partner(session, principal)
        links = session.execute(
            select(PartnerComplaint)
            .join(Complaint, Complaint.id == PartnerComplaint.complaint_id)
            .where(PartnerComplaint.partner_id == partner.id)
            .order_by(Complaint.received_at.desc(), Complaint.id)
            .limit(limit)
        ).scalars()
        return [complaint_view(session, link) for link in links]


def create_subscription(
    rt: IntakeRuntime, principal: Principal, *, url: str, event_types: list[str]
) -> dict[str, Any]:
    """A webhook subscription; its `whsec_` signing secret is in this answer only."""
    with session_scope(rt.session_factory, tenant=principal.tenant) as session:
        partner = calling_partner(session, principal)
        sub, secret = subscribe(
            session, partner=partner, url=url, event_types=event_types, keys=rt.master_keys,
            policy=rt.webhook_policy,
        )  # fmt: skip
        body = subscription_view(session, sub)
    return {**body, "secret": secret}


def list_subscriptions(rt: IntakeRuntime, principal: Principal) -> list[dict[str, Any]]:
    with session_scope(rt.session_factory, tenant=principal.tenant) as session:
        partner = calling_partner(session, principal)
        subs = session.execute(
            select(WebhookSubscription)
            .where(WebhookSubscription.partner_id == partner.id)
            .order_by(WebhookSubscription.created_at)
        ).scalars()
        return [subscription_view(session, s) for s in subs]


def read_subscription(rt: IntakeRuntime, principal: Principal, sub_id: str) -> dict[str, Any]:
    with session_scope(rt.session_factory, tenant=principal.tenant) as session:
        sub = get_subscription(session, calling_partner(session, principal), sub_id)
        return subscription_view(session, sub)


def set_subscription_status(
    rt: IntakeRuntime, principal: Principal, sub_id: str, status: str
) -> dict[str, Any]:
    """Enable (again: the failure count starts over) or disable a subscription."""
    with session_scope(rt.session_factory, tenant=principal.tenant) as session:
        sub = get_subscription(session, calling_partner(session, principal), sub_id)
        sub.status = status
        if status == "active":
            sub.consecutive_failures, sub.disabled_reason = 0, None
            partner_events.ring_webhooks(session)  # its waiting deliveries go out now
        else:
            sub.disabled_reason = "disabled by the partner"
        return subscription_view(session, sub)


def delete_subscription(rt: IntakeRuntime, principal: Principal, sub_id: str) -> None:
    with session_scope(rt.session_factory, tenant=principal.tenant) as session:
        sub = get_subscription(session, calling_partner(session, principal), sub_id)
        # Kept with its log (an audit of what was sent), never delivered to again.
        sub.status, sub.disabled_reason, sub.event_types = "disabled", "deleted", []


def delivery_log(
    rt: IntakeRuntime, principal: Principal, sub_id: str, limit: int
) -> list[dict[str, Any]]:
    with session_scope(rt.session_factory, tenant=principal.tenant) as session:
        sub = get_subscription(session, calling_partner(session, principal), sub_id)
        return attempts(session, sub, limit)


def replay_after(rt: IntakeRuntime, principal: Principal, sub_id: str, after: str | None) -> int:
    """Queue every event after the feed cursor `after` again (None: from the beginning)."""
    with session_scope(rt.session_factory, tenant=principal.tenant) as session:
        partner = calling_partner(session, principal)
        sub = get_subscription(session, partner, sub_id)
        position = decode_position(rt.cursors, partner, after, "body.after")
        return replay(session, sub, position)


def feed(
    rt: IntakeRuntime, principal: Principal, after: str | None, limit: int, *, last_try: bool
) -> dict[str, Any] | None:
    """One page of the partner's feed after the cursor `after`; None when there is nothing
    new yet and this is not the `last_try` (the view waits and asks again)."""
    with session_scope(rt.session_factory, tenant=principal.tenant) as session:
        partner = calling_partner(session, principal)
        position = decode_position(rt.cursors, partner, after, "query.after")
        rows = feed_page(session, partner, position, limit)
        if rows or last_try:
            return feed_body(rt.cursors, partner, rows, position)
        return None
