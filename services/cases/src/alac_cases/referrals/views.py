"""HTTP API of referrals to partner tenants."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from alac_cases import views as http
from alac_cases.referrals import service
from alac_kernel.auth.principal import Principal

router = APIRouter(prefix="/v1", tags=["referrals"])

# The callers each route lets in (permissions.MATRIX).
ReferralWriter = Annotated[Principal, http.allowed("referral.write")]
ReferralReader = Annotated[Principal, http.allowed("referral.read")]


class ReferralIn(http.Versioned):
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
    responses=http.PROBLEMS,
    summary="Refer the case to a partner tenant (needs consent to referral)",
)
def refer(
    case_id: str,
    body: ReferralIn,
    principal: ReferralWriter,
    change: http.Change,
) -> ReferralRead:
    recorded = service.refer(
        change.runtime, principal, case_id=case_id, expected=change.expected(body),
        to_tenant=body.to_tenant, share=list(body.share), note=body.note,
    )  # fmt: skip
    return change.recorded(ReferralRead, recorded)


@router.get(
    "/cases/{case_id}/referrals",
    response_model=list[ReferralRead],
    responses=http.PROBLEMS,
    summary="Referrals of a case",
)
def list_referrals(
    case_id: str, runtime: http.Runtime, principal: ReferralReader
) -> list[ReferralRead]:
    return http.read_all(
        ReferralRead, service.referrals_of_case(runtime, principal, case_id=case_id)
    )
