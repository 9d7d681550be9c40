"""Intake's HTTP API."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse

from alac_intake import receipts, service
from alac_intake.schemas import ComplaintAccepted, ComplaintCreate, ComplaintRead
from alac_kernel.app import runtime_of
from alac_kernel.auth import roles
from alac_kernel.auth.fastapi import require_roles
from alac_kernel.auth.principal import Principal
from alac_kernel.db import session_scope
from alac_kernel.idempotency import request_hash, run_idempotent
from alac_kernel.problems import PROBLEM_JSON

router = APIRouter(prefix="/v1", tags=["complaints"])

PROBLEMS = {
    code: {"description": text, "content": {PROBLEM_JSON: {}}}
    for code, text in {
        400: "Malformed JSON or header",
        401: "Missing or invalid access token",
        403: "Role or office not allowed",
        404: "Not found (or another tenant's)",
        413: "Body too large",
        422: "Invalid field (each named in `errors`)",
    }.items()
}

Registrar = Annotated[
    Principal,
    Depends(require_roles(roles.VOLUNTEER, roles.LAWYER, roles.COORDINATOR, roles.PARTNER)),
]
Staff = Annotated[
    Principal,
    Depends(require_roles(roles.VOLUNTEER, roles.LAWYER, roles.COORDINATOR, roles.TENANT_ADMIN)),
]


@router.post(
    "/complaints",
    status_code=201,
    response_model=ComplaintAccepted,
    responses=PROBLEMS,
    summary="Register a complaint",
    description=(
        "Registers a complaint received through any channel and emits `complaint.received`. "
        "Send an `Idempotency-Key` to make retries safe: a replay returns the first answer. "
        "Anonymous complaints get a receipt code, shown only in this answer."
    ),
)
def submit_complaint(
    payload: ComplaintCreate,
    request: Request,
    principal: Registrar,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> JSONResponse:
    runtime = runtime_of(request)
    receipt = receipts.issue() if payload.anonymous else None

    def register(session):  # type: ignore[no-untyped-def]
        accepted = service.register_complaint(
            session=session,
            outbox=runtime.outbox,
            principal=principal,
            payload=payload,
            correlation_id=request.state.correlation_id,
            receipt=receipt,
        )
        return 201, accepted.model_dump(mode="json")

    status, body = run_idempotent(
        runtime.session_factory,
        runtime.tables.idempotency,
        tenant=principal.tenant,
        key=idempotency_key,
        req_hash=request_hash(payload.model_dump(mode="json")),
        action=register,
    )
    return JSONResponse(
        body, status_code=status, headers={"Location": f"/v1/complaints/{body['id']}"}
    )


@router.get(
    "/complaints/{complaint_id}",
    response_model=ComplaintRead,
    responses=PROBLEMS,
    summary="A complaint",
)
def read_complaint(complaint_id: str, request: Request, principal: Staff) -> ComplaintRead:
    with session_scope(runtime_of(request).session_factory, tenant=principal.tenant) as session:
        complaint = service.get_complaint(session=session, complaint_id=complaint_id)
        if principal.has_any(roles.VOLUNTEER) and not principal.has_any(
            roles.LAWYER, roles.COORDINATOR
        ):
            if complaint.office != principal.office:
                from alac_kernel.problems import not_found

                raise not_found("complaint")
        return ComplaintRead.model_validate(complaint, from_attributes=True)
