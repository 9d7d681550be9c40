"""HTTP API of partner systems: registration by the tenant admin (/v1/partners), and for the
partner system itself its complaints (/v1/partner/complaints), webhooks (/v1/webhooks) and
the feed (/v1/feed). docs/partners.md describes them. Each route hands its input to a use case
of partners.service and its answer back as HTTP."""

from __future__ import annotations

import asyncio
import time
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from alac_intake.partners import service as partners
from alac_intake.partners.schemas import (
    FeedPage,
    PartnerComplaintRead,
    PartnerCreate,
    PartnerCredentials,
    PartnerRead,
    ReplayRequest,
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionPatch,
    SubscriptionRead,
)
from alac_intake.views import PartnerSystem, Runtime, TenantAdmin
from alac_kernel.problems import problem_responses

router = APIRouter(prefix="/v1", tags=["partners"])

# Beyond the problems every intake route documents (app.create_app adds those).
IDP_PROBLEMS = problem_responses(
    (409, "Client id taken, or the partner cannot be changed here"),
    (503, "Identity provider unreachable or refusing (see Retry-After); nothing changed"),
)

MAX_WAIT_S = 30
POLL_S = 0.25
# Secrets are in these answers only: no cache may keep them.
NO_STORE = {"Cache-Control": "no-store"}


def _caller_token(request: Request) -> str:
    """The tenant admin's own token: the development issuer authorises client changes by it."""
    return request.headers.get("authorization", "").partition(" ")[2].strip()


# ------------------------------------------------------------------ tenant admin


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
    payload: PartnerCreate, request: Request, principal: TenantAdmin, rt: Runtime
) -> JSONResponse:
    body = partners.register(
        rt, principal, client_id=payload.client_id, name=payload.name,
        caller_token=_caller_token(request),
    )  # fmt: skip
    return JSONResponse(
        body, status_code=201, headers={"Location": f"/v1/partners/{body['id']}", **NO_STORE}
    )


@router.get("/partners", response_model=list[PartnerRead], summary="The tenant's partner systems")
def list_partners(principal: TenantAdmin, rt: Runtime) -> list[dict]:
    return partners.list_partners(rt, principal)


@router.get("/partners/{partner_id}", response_model=PartnerRead, summary="A partner system")
def read_partner(partner_id: str, principal: TenantAdmin, rt: Runtime) -> dict:
    return partners.read_partner(rt, principal, partner_id)


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
def rotate_secret(
    partner_id: str, request: Request, principal: TenantAdmin, rt: Runtime
) -> JSONResponse:
    body = partners.rotate_secret(rt, principal, partner_id, caller_token=_caller_token(request))
    return JSONResponse(body, headers=NO_STORE)


@router.delete(
    "/partners/{partner_id}",
    status_code=204,
    responses=IDP_PROBLEMS,
    summary="Revoke a partner system (tenant admin): its client is deleted, its records kept",
)
def revoke_partner(
    partner_id: str, request: Request, principal: TenantAdmin, rt: Runtime
) -> Response:
    partners.revoke(rt, principal, partner_id, caller_token=_caller_token(request))
    return Response(status_code=204)


# ------------------------------------------------------------------ the partner system


@router.get(
    "/partner/complaints",
    response_model=list[PartnerComplaintRead],
    summary="The complaints this partner system submitted, newest first",
)
def list_own_complaints(
    principal: PartnerSystem,
    rt: Runtime,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[dict]:
    return partners.own_complaints(rt, principal, limit)


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
    payload: SubscriptionCreate, principal: PartnerSystem, rt: Runtime
) -> JSONResponse:
    body = partners.create_subscription(
        rt, principal, url=payload.url, event_types=payload.event_types
    )
    return JSONResponse(
        body, status_code=201, headers={"Location": f"/v1/webhooks/{body['id']}", **NO_STORE}
    )


@router.get(
    "/webhooks", response_model=list[SubscriptionRead], summary="This partner's subscriptions"
)
def list_subscriptions(principal: PartnerSystem, rt: Runtime) -> list[dict]:
    return partners.list_subscriptions(rt, principal)


@router.get(
    "/webhooks/{subscription_id}", response_model=SubscriptionRead, summary="A subscription"
)
def read_subscription(subscription_id: str, principal: PartnerSystem, rt: Runtime) -> dict:
    return partners.read_subscription(rt, principal, subscription_id)


@router.patch(
    "/webhooks/{subscription_id}",
    response_model=SubscriptionRead,
    summary="Enable (again) or disable a subscription",
    description="Enabling resets the failure count; deliveries that waited go out in order.",
)
def patch_subscription(
    subscription_id: str, payload: SubscriptionPatch, principal: PartnerSystem, rt: Runtime
) -> dict:
    return partners.set_subscription_status(rt, principal, subscription_id, payload.status)


@router.delete("/webhooks/{subscription_id}", status_code=204, summary="Delete a subscription")
def delete_subscription(subscription_id: str, principal: PartnerSystem, rt: Runtime) -> Response:
    partners.delete_subscription(rt, principal, subscription_id)
    return Response(status_code=204)


@router.get(
    "/webhooks/{subscription_id}/deliveries",
    summary="The delivery log: every attempt, newest first",
)
def delivery_log(
    subscription_id: str,
    principal: PartnerSystem,
    rt: Runtime,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[dict]:
    return partners.delivery_log(rt, principal, subscription_id, limit)


@router.post(
    "/webhooks/{subscription_id}/replay",
    status_code=202,
    summary="Deliver again every event after a feed cursor (null: from the beginning)",
)
def replay(
    subscription_id: str, payload: ReplayRequest, principal: PartnerSystem, rt: Runtime
) -> JSONResponse:
    queued = partners.replay_after(rt, principal, subscription_id, payload.after)
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
    rt: Runtime,
    after: Annotated[str | None, Query(max_length=512, description="Cursor from `next`")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    wait: Annotated[float, Query(ge=0, le=MAX_WAIT_S, description="Long polling, seconds")] = 0,
) -> JSONResponse:
    # Long polling is HTTP's part: ask the feed again until a page comes, the wait is over or
    # the client has gone.
    deadline = time.monotonic() + wait
    while True:
        last_try = time.monotonic() >= deadline
        body = await run_in_threadpool(
            partners.feed, rt, principal, after, limit, last_try=last_try
        )
        if body is not None:
            return JSONResponse(body)
        if await request.is_disconnected():
            return JSONResponse({"events": [], "next": after or ""})
        await asyncio.sleep(POLL_S)
