"""HTTP API of referrals to partner tenants."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from alac_cases.api import PROBLEMS, IfMatch, Versioned, list_of_case, unit_of_work
from alac_cases.files import audit, check_version, expected_version, load_case
from alac_cases.permissions import allowed
from alac_cases.referrals import service

router = APIRouter(prefix="/v1", tags=["referrals"])


class ReferralIn(Versioned):
    to_tenant: str = Field(min_length=1, max_length=64, description="Partner tenant id")
    share: list[Literal["crux", "area", "contact"]] = Field(
        default_factory=list,
        max_length=3,
        description="What to pass on; contact needs the share_contact consent",
    )
    note: str | None = Field(default=None, max_length=2000)


class ReferralRead(BaseModel):
    id: str
    case_id: str
    action_id: str
    to_tenant: str
    consent_version: int
    shared: dict
    referred_by: str
    referred_at: datetime


@router.post(
    "/cases/{case_id}/referrals",
    response_model=ReferralRead,
    status_code=201,
    responses=PROBLEMS,
    summary="Refer the case to a partner tenant (needs consent to referral)",
)
def refer(
    case_id: str,
    body: ReferralIn,
    request: Request,
    response: Response,
    principal: allowed("referral.write"),
    if_match: IfMatch = None,
) -> ReferralRead:
    version = expected_version(if_match=if_match, body_version=body.version)
    with unit_of_work(request, principal) as (session, outbox):
        case = load_case(session=session, case_id=case_id, principal=principal, for_update=True)
        check_version(case, version)
        referral = service.refer(
            session=session,
            outbox=outbox,
            case=case,
            principal=principal,
            to_tenant=body.to_tenant,
            share=list(body.share),
            note=body.note,
        )
        audit(
            session=session,
            principal=principal,
            what="referral.create",
            case_id=case.id,
            detail={"referral_id": referral.id, "to_tenant": referral.to_tenant},
        )
        response.headers["ETag"] = f'"{case.version}"'
        return ReferralRead.model_validate(referral, from_attributes=True)


@router.get(
    "/cases/{case_id}/referrals",
    response_model=list[ReferralRead],
    responses=PROBLEMS,
    summary="Referrals of a case",
)
def list_referrals(
    case_id: str, request: Request, principal: allowed("referral.read")
) -> list[ReferralRead]:
    return list_of_case(
        request,
        principal,
        case_id=case_id,
        what="referral.read",
        rows=service.list_referrals,
        read=ReferralRead,
    )
