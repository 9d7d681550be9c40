"""Withdrawal by the complainant (receipt code) or a coordinator, erasure on request, and the
tenant's retention period. Each route hands its input to a use case of lifecycle.service."""

from __future__ import annotations

from fastapi import APIRouter

from alac_intake.lifecycle import service as lifecycle
from alac_intake.lifecycle.schemas import Erased, RetentionPolicy, Withdrawal, Withdrawn
from alac_intake.views import Client, Coordinator, CorrelationId, ReceiptCode, Runtime, TenantAdmin
from alac_kernel.problems import problem_responses

router = APIRouter(prefix="/v1", tags=["withdrawal"])


@router.post(
    "/follow-up/withdraw", response_model=Withdrawn, summary="Withdraw with the receipt code"
)
def withdraw_by_complainant(
    receipt_code: ReceiptCode, payload: Withdrawal, rt: Runtime, client: Client,
    correlation_id: CorrelationId,
) -> Withdrawn:  # fmt: skip
    complaint = lifecycle.withdraw_by_complainant(
        rt, receipt_code, client, payload.reason, correlation_id
    )
    return Withdrawn(id=complaint.id, status=complaint.status, withdrawn_by="complainant")


@router.post(
    "/complaints/{complaint_id}/withdraw",
    response_model=Withdrawn,
    summary="Withdraw (coordinator)",
)
def withdraw_by_coordinator(
    complaint_id: str, principal: Coordinator, payload: Withdrawal, rt: Runtime,
    correlation_id: CorrelationId,
) -> Withdrawn:  # fmt: skip
    complaint = lifecycle.withdraw_by_coordinator(
        rt, principal, complaint_id, payload.reason, correlation_id
    )
    return Withdrawn(id=complaint.id, status=complaint.status, withdrawn_by="coordinator")


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
    responses=problem_responses(
        401, (403, "Only a coordinator may erase"), 404, (409, "Nothing left to erase")
    ),
)
def erase_on_request(
    complaint_id: str, principal: Coordinator, rt: Runtime, correlation_id: CorrelationId
) -> Erased:
    complaint = lifecycle.erase_on_request(rt, principal, complaint_id, correlation_id)
    return Erased.model_validate(complaint, from_attributes=True)


@router.get(
    "/retention-policy", response_model=RetentionPolicy, summary="The tenant's retention period"
)
def read_retention(principal: TenantAdmin, rt: Runtime) -> RetentionPolicy:
    return RetentionPolicy(personal_data_days=lifecycle.read_retention(rt, principal))


@router.put(
    "/retention-policy",
    response_model=RetentionPolicy,
    summary="Set the tenant's retention period (`alac intake purge-expired` applies it)",
    responses=problem_responses((422, "Out of bounds (30–3650 days)")),
)
def set_retention(body: RetentionPolicy, principal: TenantAdmin, rt: Runtime) -> RetentionPolicy:
    lifecycle.change_retention(rt, principal, body.personal_data_days)
    return body
