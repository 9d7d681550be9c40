"""Withdrawal by the complainant (receipt code) or a coordinator."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from alac_intake.complaints import service
from alac_intake.complaints.schemas import NoNul
from alac_intake.followup.views import Code, complaint_by_id, verified_complaint_id
from alac_intake.lifecycle import service as lifecycle
from alac_kernel.app import runtime_of
from alac_kernel.auth import roles
from alac_kernel.auth.fastapi import require_roles
from alac_kernel.auth.principal import Principal
from alac_kernel.db import session_scope
from alac_kernel.problems import PROBLEM_JSON, Problem

router = APIRouter(prefix="/v1", tags=["withdrawal"])
Coordinator = Annotated[Principal, Depends(require_roles(roles.COORDINATOR))]


class Withdrawal(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    reason: Annotated[str, Field(max_length=2000), NoNul] | None = None


class Withdrawn(BaseModel):
    id: str
    status: str
    withdrawn_by: str


@router.post(
    "/follow-up/withdraw", response_model=Withdrawn, summary="Withdraw with the receipt code"
)
def withdraw_by_complainant(request: Request, receipt_code: Code, payload: Withdrawal) -> Withdrawn:
    runtime = runtime_of(request)
    complaint_id = verified_complaint_id(request, receipt_code)
    with session_scope(runtime.session_factory, all_tenants=True) as session:
        complaint = complaint_by_id(session, complaint_id)
        lifecycle.withdraw(
            session=session, outbox=runtime.outbox, complaint=complaint, by="complainant",
            reason=payload.reason, correlation_id=request.state.correlation_id,
            keys=runtime.master_keys,
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
            keys=runtime.master_keys,
        )  # fmt: skip
        return Withdrawn(id=complaint.id, status=complaint.status, withdrawn_by="coordinator")


class Erased(BaseModel):
    id: str
    personal_data_purged_at: datetime


@router.post(
    "/complaints/{complaint_id}/erase-personal-data",
    response_model=Erased,
    summary="Erase the complainant's personal data on request (coordinator)",
    description=(
        "The complainant asked to be forgotten: the vault record (name, phone, e-mail, address, "
        "identity document), the attachments (files, names, keys) and the key of the "
        "complaint's free text are deleted, so the text sealed in its events can no longer be "
        "opened anywhere; intake's own copy of the text is replaced by `(erased)`. The "
        "non-personal complaint and its pseudonym stay for statistics. Emits `complaint.personal_data_purged` with reason `erasure_request`. "
        "409 when there is no personal data left to erase."
    ),
    responses={
        code: {"description": text, "content": {PROBLEM_JSON: {}}}
        for code, text in {
            401: "Missing or invalid access token",
            403: "Only a coordinator may erase",
            404: "Not found (or another tenant's)",
            409: "Nothing left to erase",
        }.items()
    },
)
def erase_on_request(complaint_id: str, request: Request, principal: Coordinator) -> Erased:
    runtime = runtime_of(request)
    with session_scope(runtime.session_factory, tenant=principal.tenant) as session:
        complaint = service.get_complaint(session=session, complaint_id=complaint_id)
        erased = lifecycle.erase_personal_data(
            session=session,
            outbox=runtime.outbox,
            store=runtime.attachments,  # type: ignore[attr-defined]
            complaint=complaint,
            reason="erasure_request",
            correlation_id=request.state.correlation_id,
        )
        if not erased:
            raise Problem(409, "This complaint holds no personal data to erase.")
        return Erased(id=complaint.id, personal_data_purged_at=complaint.personal_data_purged_at)


class RetentionPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")
    personal_data_days: int = Field(
        ge=30, le=3650, description="Days after registration before personal data is erased."
    )


TenantAdmin = Annotated[Principal, Depends(require_roles(roles.TENANT_ADMIN))]


@router.get(
    "/retention-policy", response_model=RetentionPolicy, summary="The tenant's retention period"
)
def read_retention(request: Request, principal: TenantAdmin) -> RetentionPolicy:
    with session_scope(runtime_of(request).session_factory, tenant=principal.tenant) as session:
        days = lifecycle.retention_days(session=session, tenant=principal.tenant)
    return RetentionPolicy(personal_data_days=days)


@router.put(
    "/retention-policy",
    response_model=RetentionPolicy,
    summary="Set the tenant's retention period (`alac intake purge-expired` applies it)",
    responses={422: {"description": "Out of bounds (30–3650 days)", "content": {PROBLEM_JSON: {}}}},
)
def set_retention(
    body: RetentionPolicy, request: Request, principal: TenantAdmin
) -> RetentionPolicy:
    with session_scope(runtime_of(request).session_factory, tenant=principal.tenant) as session:
        lifecycle.set_retention(
            session=session, tenant=principal.tenant, days=body.personal_data_days
        )
    return body
