"""Withdrawal by the complainant (receipt code) or a coordinator."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from alac_intake import service
from alac_intake.followup.views import Code, _complaint_for
from alac_intake.lifecycle import service as lifecycle
from alac_kernel.app import runtime_of
from alac_kernel.auth import roles
from alac_kernel.auth.fastapi import require_roles
from alac_kernel.auth.principal import Principal
from alac_kernel.db import session_scope

router = APIRouter(prefix="/v1", tags=["withdrawal"])
Coordinator = Annotated[Principal, Depends(require_roles(roles.COORDINATOR))]


class Withdrawal(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    reason: str | None = Field(default=None, max_length=2000)


class Withdrawn(BaseModel):
    id: str
    status: str
    withdrawn_by: str


@router.post(
    "/follow-up/withdraw", response_model=Withdrawn, summary="Withdraw with the receipt code"
)
def withdraw_by_complainant(request: Request, receipt_code: Code, payload: Withdrawal) -> Withdrawn:
    runtime = runtime_of(request)
    with session_scope(runtime.session_factory, all_tenants=True) as session:
        complaint = _complaint_for(request, session, receipt_code)
        lifecycle.withdraw(
            session=session, outbox=runtime.outbox, complaint=complaint, by="complainant",
            reason=payload.reason, correlation_id=request.state.correlation_id,
        )  # fmt: skip
        return Withdrawn(id=complaint.id, status=complaint.status, withdrawn_by="complainant")


@router.post(
    "/complaints/{complaint_id}/withdraw",
    response_model=Withdrawn,
    summary="Withdraw (coordinator)",
)
def withdraw_by_coordinator(
    complaint_id: str, request: Request, principal: Coordinator, payload: Withdrawal
) -> Withdrawn:
    runtime = runtime_of(request)
    with session_scope(runtime.session_factory, tenant=principal.tenant) as session:
        complaint = service.get_complaint(session=session, complaint_id=complaint_id)
        lifecycle.withdraw(
            session=session, outbox=runtime.outbox, complaint=complaint, by="coordinator",
            reason=payload.reason, correlation_id=request.state.correlation_id,
        )  # fmt: skip
        return Withdrawn(id=complaint.id, status=complaint.status, withdrawn_by="coordinator")
