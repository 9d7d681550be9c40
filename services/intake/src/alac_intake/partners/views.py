"""HTTP API of partner systems: registration by the tenant admin (/v1/partners), and for the
partner system itself its complaints (/v1/partner/complaints), webhooks (/v1/webhooks) and
the feed (/v1/feed). docs/partners.md describes them."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from alac_intake.complaints.models import Complaint
from alac_intake.partners import identity
from alac_intake.partners import service as partners
from alac_intake.partners.models import Partner, PartnerComplaint, WebhookSubscription
from alac_kernel.app import runtime_of
from alac_kernel.auth import roles
from alac_kernel.auth.fastapi import require_roles
from alac_kernel.auth.principal import Principal
from alac_kernel.db import new_id, session_scope, utcnow
from alac_kernel.problems import PROBLEM_JSON, Problem

router = APIRouter(prefix="/v1", tags=["partners"])

# Beyond the problems every intake route documents (app.create_app adds those).
IDP_PROBLEMS = {
    code: {"description": text, "content": {PROBLEM_JSON: {}}}
    for code, text in {
        409: "Client id taken, or the partner cannot be changed here",
        503: "Identity provider unreachable or refusing (see Retry-After); nothing changed",
    }.items()
}

TenantAdmin = Annotated[Principal, Depends(require_roles(roles.TENANT_ADMIN))]
PartnerSystem = Annotated[Principal, Depends(require_roles(roles.PARTNER))]
MAX_WAIT_S = 30
POLL_S = 0.25


# ------------------------------------------------------------------ schemas


class PartnerCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200, description="Name of the partner organisation")
    client_id: str = Field(
        min_length=3,
        max_length=63,
        description="OAuth client id of the partner system (lower-case letters, digits, '-')",
    )


class PartnerRead(BaseModel):
    id: str
    client_id: str
    name: str
    active: bool
    origin: str = Field(description="registered (through this API) or seen (known from its token)")
    created_at: datetime
    secret_rotated_at: datetime | None = None


class PartnerCredentials(PartnerRead):
    client_secret: str = Field(description="Shown only in this answer; store it now")
    token_url: str = Field(description="Where the partner gets tokens (client_credentials)")
    previous_secret_valid_for_s: int | None = Field(
        default=None, description="After a rotation: how long the previous secret still works"
    )


class PartnerComplaintRead(BaseModel):
    """What a partner system may know of a complaint it submitted."""

    id: str
    office: str
    received_at: datetime
    status: str = Field(
        description="As the complainant sees it: received, under_review, awaiting_your_consent, "
        "in_progress, closed, withdrawn"
    )


class SubscriptionCreate(BaseModel):
    url: str = Field(max_length=2048, description="https:// URL of the receiver")
    event_types: list[str] = Field(min_length=1, max_length=10, description="partner.* types")


class SubscriptionPatch(BaseModel):
    status: Literal["active", "disabled"]


class SubscriptionRead(BaseModel):
    id: str
    url: str
    event_types: list[str]
    status: str
    disabled_reason: str | None
    consecutive_failures: int
    created_at: datetime
    deliveries: dict[str, int]


class SubscriptionCreated(SubscriptionRead):
    secret: str = Field(description="whsec_ signing secret, shown only in this answer")


class ReplayRequest(BaseModel):
    after: str | None = Field(
        default=None,
        description="A feed cursor: events after it are delivered again; null = from the start",
    )


class FeedPage(BaseModel):
    events: list[dict] = Field(description="partner.* events (CloudEvents JSON), in order")
    next: str = Field(description="Cursor to pass as `after` for the events that follow")


# ------------------------------------------------------------------ tenant admin


def _token_url(request: Request) -> str:
    return runtime_of(request).settings.auth_issuer.rstrip("/") + "/protocol/openid-connect/token"


def _caller_token(request: Request) -> str:
    return request.headers.get("authorization", "").partition(" ")[2].strip()


def _unavailable(exc: Exception) -> Problem:
    return Problem(
        503,
        f"The identity provider cannot be reached or refused the change; nothing was changed. "
        f"Try again later. ({exc})",
        headers={"Retry-After": "30"},
    )


@router.post(
    "/partners",
    status_code=201,
    response_model=PartnerCredentials,
    responses=IDP_PROBLEMS,
    summary="Register a partner system (tenant admin)",
    description=(
        "Creates an OAuth client with the client-credentials grant at the identity provider, "
        "scoped to the caller's tenant, with the `partner` role. The secret is in this answer "
        "only. 503 with Retry-After when the identity provider is unreachable (nothing is "
        "created)."
    ),
)
def register_partner(
    payload: PartnerCreate, request: Request, principal: TenantAdmin
) -> JSONResponse:
    runtime = runtime_of(request)
    with session_scope(runtime.session_factory, tenant=principal.tenant) as session:
        partners.check_client_id(session, payload.client_id)
    clients: identity.PartnerClients = runtime.partner_clients
    try:
        secret = clients.create(
            client_id=payload.client_id,
            tenant=principal.tenant,
            name=payload.name,
            caller_token=_caller_token(request),
        )
    except identity.ClientIdTaken:
        raise partners.field_problem(
            409, "body.client_id", "taken at the identity provider"
        ) from None
    except identity.IdentityUnavailable as exc:
        raise _unavailable(exc) from exc
    try:
        with session_scope(runtime.session_factory, tenant=principal.tenant) as session:
            partner = Partner(
                id=new_id(),
                tenant_id=principal.tenant,
                client_id=payload.client_id,
                name=payload.name,
                origin="registered",
                active=True,
                created_at=utcnow(),
                created_by=principal.subject,
                last_position=0,
            )
            session.add(partner)
            session.flush()
            body = partners.partner_view(partner)
    except Exception:
        # The record could not be written: take the client away again so a retry starts clean.
        clients.delete(client_id=payload.client_id, caller_token=_caller_token(request))
        raise
    body.update(client_secret=secret, token_url=_token_url(request))
    return JSONResponse(
        body,
        status_code=201,
        headers={"Location": f"/v1/partners/{body['id']}", "Cache-Control": "no-store"},
    )


@router.get("/partners", response_model=list[PartnerRead], summary="The tenant's partner systems")
def list_partners(request: Request, principal: TenantAdmin) -> list[dict]:
    with session_scope(runtime_of(request).session_factory, tenant=principal.tenant) as session:
        rows = session.execute(select(Partner).order_by(Partner.created_at)).scalars()
        return [partners.partner_view(p) for p in rows]


@router.get("/partners/{partner_id}", response_model=PartnerRead, summary="A partner system")
def read_partner(partner_id: str, request: Request, principal: TenantAdmin) -> dict:
    with session_scope(runtime_of(request).session_factory, tenant=principal.tenant) as session:
        return partners.partner_view(partners.get_partner(session, principal.tenant, partner_id))


@router.post(
    "/partners/{partner_id}/secret",
    response_model=PartnerCredentials,
    responses=IDP_PROBLEMS,
    summary="Rotate the partner system's secret (tenant admin)",
    description=(
        "Issues a new secret, shown once. The previous one keeps working for the grace period "
        "(`previous_secret_valid_for_s`, setting ALAC_PARTNER_SECRET_GRACE_S), so the partner "
        "switches without downtime."
    ),
)
def rotate_secret(partner_id: str, request: Request, principal: TenantAdmin) -> JSONResponse:
    runtime = runtime_of(request)
    with session_scope(runtime.session_factory, tenant=principal.tenant) as session:
        partner = partners.get_partner(session, principal.tenant, partner_id)
        if partner.origin != "registered" or not partner.active:
            raise Problem(
                409,
                "Only an active partner registered through this API can rotate its secret here.",
            )
        client_id = partner.client_id
    clients: identity.PartnerClients = runtime.partner_clients
    try:
        secret = clients.rotate(client_id=client_id, caller_token=_caller_token(request))
    except identity.IdentityUnavailable as exc:
        raise _unavailable(exc) from exc
    with session_scope(runtime.session_factory, tenant=principal.tenant) as session:
        partner = partners.get_partner(session, principal.tenant, partner_id)
        partner.secret_rotated_at = utcnow()
        body = partners.partner_view(partner)
    body.update(
        client_secret=secret,
        token_url=_token_url(request),
        previous_secret_valid_for_s=clients.grace_s,
    )
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


@router.delete(
    "/partners/{partner_id}",
    status_code=204,
    responses=IDP_PROBLEMS,
    summary="Revoke a partner system (tenant admin): its client is deleted, its records kept",
)
def revoke_partner(partner_id: str, request: Request, principal: TenantAdmin) -> Response:
    runtime = runtime_of(request)
    with session_scope(runtime.session_factory, tenant=principal.tenant) as session:
        partner = partners.get_partner(session, principal.tenant, partner_id)
        client_id, registered = partner.client_id, partner.origin == "registered"
    if registered:
        try:
            runtime.partner_clients.delete(client_id=client_id, caller_token=_caller_token(request))
        except identity.IdentityUnavailable as exc:
            raise _unavailable(exc) from exc
    with session_scope(runtime.session_factory, tenant=principal.tenant) as session:
        partner = partners.get_partner(session, principal.tenant, partner_id)
        partner.active = False
        for sub in session.execute(
            select(WebhookSubscription).where(WebhookSubscription.partner_id == partner.id)
        ).scalars():
            sub.status, sub.disabled_reason = "disabled", "partner revoked"
    return Response(status_code=204)


# ------------------------------------------------------------------ the partner system


def _partner(session, principal: Principal) -> Partner:  # type: ignore[no-untyped-def]
    partner = partners.partner_of(session, principal, create=True)
    if partner is None or not partner.active:
        raise Problem(403, "This partner system is not active.")
    return partner


def partner_complaint_view(session, link: PartnerComplaint) -> dict:  # type: ignore[no-untyped-def]
    complaint = session.execute(
        select(Complaint).where(Complaint.id == link.complaint_id)
    ).scalar_one()
    return {
        "id": complaint.id,
        "office": complaint.office,
        "received_at": complaint.received_at.isoformat(),
        "status": link.public_status,
    }


@router.get(
    "/partner/complaints",
    response_model=list[PartnerComplaintRead],
    summary="The complaints this partner system submitted, newest first",
)
def list_own_complaints(
    request: Request,
    principal: PartnerSystem,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[dict]:
    with session_scope(runtime_of(request).session_factory, tenant=principal.tenant) as session:
        partner = _partner(session, principal)
        links = session.execute(
            select(PartnerComplaint)
            .join(Complaint, Complaint.id == PartnerComplaint.complaint_id)
            .where(PartnerComplaint.partner_id == partner.id)
            .order_by(Complaint.received_at.desc(), Complaint.id)
            .limit(limit)
        ).scalars()
        return [partner_complaint_view(session, link) for link in links]


# ------------------------------------------------------------------ webhooks


@router.post(
    "/webhooks",
    status_code=201,
    response_model=SubscriptionCreated,
    summary="Subscribe an HTTPS URL to partner events",
    description=(
        "HTTPS only; in production the host must resolve to public addresses only. The "
        "`whsec_` secret that signs deliveries (Standard Webhooks) is in this answer only."
    ),
)
def create_subscription(
    payload: SubscriptionCreate, request: Request, principal: PartnerSystem
) -> JSONResponse:
    runtime = runtime_of(request)
    with session_scope(runtime.session_factory, tenant=principal.tenant) as session:
        partner = _partner(session, principal)
        sub, secret = partners.subscribe(
            session,
            partner=partner,
            url=payload.url,
            event_types=payload.event_types,
            keys=runtime.master_keys,
            policy=runtime.webhook_policy,
        )
        body = partners.subscription_view(session, sub)
    body["secret"] = secret
    return JSONResponse(
        body,
        status_code=201,
        headers={"Location": f"/v1/webhooks/{sub.id}", "Cache-Control": "no-store"},
    )


@router.get(
    "/webhooks", response_model=list[SubscriptionRead], summary="This partner's subscriptions"
)
def list_subscriptions(request: Request, principal: PartnerSystem) -> list[dict]:
    with session_scope(runtime_of(request).session_factory, tenant=principal.tenant) as session:
        partner = _partner(session, principal)
        subs = session.execute(
            select(WebhookSubscription)
            .where(WebhookSubscription.partner_id == partner.id)
            .order_by(WebhookSubscription.created_at)
        ).scalars()
        return [partners.subscription_view(session, s) for s in subs]


@router.get(
    "/webhooks/{subscription_id}", response_model=SubscriptionRead, summary="A subscription"
)
def read_subscription(subscription_id: str, request: Request, principal: PartnerSystem) -> dict:
    with session_scope(runtime_of(request).session_factory, tenant=principal.tenant) as session:
        sub = partners.get_subscription(session, _partner(session, principal), subscription_id)
        return partners.subscription_view(session, sub)


@router.patch(
    "/webhooks/{subscription_id}",
    response_model=SubscriptionRead,
    summary="Enable (again) or disable a subscription",
    description="Enabling resets the failure count; deliveries that waited go out in order.",
)
def patch_subscription(
    subscription_id: str, payload: SubscriptionPatch, request: Request, principal: PartnerSystem
) -> dict:
    with session_scope(runtime_of(request).session_factory, tenant=principal.tenant) as session:
        sub = partners.get_subscription(session, _partner(session, principal), subscription_id)
        sub.status = payload.status
        if payload.status == "active":
            sub.consecutive_failures, sub.disabled_reason = 0, None
        else:
            sub.disabled_reason = "disabled by the partner"
        return partners.subscription_view(session, sub)


@router.delete("/webhooks/{subscription_id}", status_code=204, summary="Delete a subscription")
def delete_subscription(
    subscription_id: str, request: Request, principal: PartnerSystem
) -> Response:
    with session_scope(runtime_of(request).session_factory, tenant=principal.tenant) as session:
        sub = partners.get_subscription(session, _partner(session, principal), subscription_id)
        # Kept with its log (an audit of what was sent), never delivered to again.
        sub.status, sub.disabled_reason, sub.event_types = "disabled", "deleted", []
    return Response(status_code=204)


@router.get(
    "/webhooks/{subscription_id}/deliveries",
    summary="The delivery log: every attempt, newest first",
)
def delivery_log(
    subscription_id: str,
    request: Request,
    principal: PartnerSystem,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[dict]:
    with session_scope(runtime_of(request).session_factory, tenant=principal.tenant) as session:
        sub = partners.get_subscription(session, _partner(session, principal), subscription_id)
        return partners.attempts(session, sub, limit)


@router.post(
    "/webhooks/{subscription_id}/replay",
    status_code=202,
    summary="Deliver again every event after a feed cursor (null: from the beginning)",
)
def replay(
    subscription_id: str, payload: ReplayRequest, request: Request, principal: PartnerSystem
) -> JSONResponse:
    runtime = runtime_of(request)
    with session_scope(runtime.session_factory, tenant=principal.tenant) as session:
        partner = _partner(session, principal)
        sub = partners.get_subscription(session, partner, subscription_id)
        after = partners.decode_position(runtime.cursors, partner, payload.after, "body.after")
        queued = partners.replay(session, sub, after)
    return JSONResponse({"queued": queued}, status_code=202)


# ------------------------------------------------------------------ the feed


@router.get(
    "/feed",
    response_model=FeedPage,
    summary="This partner's events in order, resumable from any cursor, with long polling",
    description=(
        "Without `after` the feed starts at the beginning. `wait` (0-30 s) holds the request "
        "open until an event arrives; an empty page answers a cursor to wait on again."
    ),
)
async def feed(
    request: Request,
    principal: PartnerSystem,
    after: Annotated[str | None, Query(max_length=512, description="Cursor from `next`")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    wait: Annotated[float, Query(ge=0, le=MAX_WAIT_S, description="Long polling, seconds")] = 0,
) -> JSONResponse:
    runtime = runtime_of(request)

    def page() -> dict | None:
        with session_scope(runtime.session_factory, tenant=principal.tenant) as session:
            partner = _partner(session, principal)
            position = partners.decode_position(runtime.cursors, partner, after, "query.after")
            rows = partners.feed_page(session, partner, position, limit)
            if rows or time.monotonic() >= deadline:
                return partners.feed_body(runtime.cursors, partner, rows, position)
            return None

    deadline = time.monotonic() + wait
    while True:
        body = await run_in_threadpool(page)
        if body is not None:
            return JSONResponse(body)
        if await request.is_disconnected():
            return JSONResponse({"events": [], "next": after or ""})
        await asyncio.sleep(POLL_S)
