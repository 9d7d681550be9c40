"""HTTP API of referrals to partner tenants."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from alac_cases import views as http
from alac_cases.referrals import service

router = APIRouter(prefix="/v1", tags=["referrals"])

# The callers each route lets in (permissions.MATRIX).
ReferralWriter = Annotated[http.CaseCommand, http.command("referral.write")]
ReferralReader = Annotated[http.OneCase, http.one_case("referral.read")]


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
    **http.creates(ReferralRead, "Refer the case to a partner tenant (needs consent to referral)"),
)
def refer(body: ReferralIn, command: ReferralWriter) -> ReferralRead:
    recorded = service.refer(
        **command.arguments(body), to_tenant=body.to_tenant, share=list(body.share), note=body.note
    )
    return command.recorded(ReferralRead, recorded)


@router.get("/cases/{case_id}/referrals", **http.answers(list[ReferralRead], "Referrals of a case"))
def list_referrals(case: ReferralReader) -> list[ReferralRead]:
    return http.read_all(ReferralRead, service.referrals_of_case(**case.arguments()))
