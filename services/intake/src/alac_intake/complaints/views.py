"""Intake's HTTP API."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse

from alac_intake.complaints import record, service
from alac_intake.complaints.schemas import (
    ComplaintAccepted,
    ComplaintCreate,
    ComplaintPatch,
    ComplaintRead,
)
from alac_intake.duplicates import service as duplicates
from alac_intake.i18n import language
from alac_intake.partners import service as partner_service
from alac_intake.partners.views import PartnerComplaintRead, partner_complaint_view
from alac_intake.vault import service as vault
from alac_kernel.app import runtime_of
from alac_kernel.auth import roles
from alac_kernel.auth.fastapi import require_roles
from alac_kernel.auth.principal import Principal
from alac_kernel.db import session_scope, utcnow
from alac_kernel.idempotency import request_hash, run_idempotent
from alac_kernel.problems import PROBLEM_JSON, Problem

router = APIRouter(prefix="/v1", tags=["complaints"])

PROBLEMS = {
    code: {"description": text, "content": {PROBLEM_JSON: {}}}
    for code, text in {
        400: "Malformed JSON or header",
        401: "Missing or invalid access token",
        403: "Role or office not allowed",
        404: "Not found (or another tenant's)",
        409: "Stale version (If-Match)",
        413: "Body too large",
        422: "Invalid field (each named in `errors`)",
    }.items()
}
# Every problem any intake operation may answer with; added to each route's documented
# responses (app.create_app) so the OpenAPI document covers what clients really get.
ALL_PROBLEMS = {
    **PROBLEMS,
    **{
        code: {"description": text, "content": {PROBLEM_JSON: {}}}
        for code, text in {
            415: "Unsupported attachment type",
            428: "Precondition required (If-Match)",
            429: "Too many requests (see Retry-After)",
        }.items()
    },
}

Registrar = Annotated[
    Principal,
    Depends(require_roles(roles.VOLUNTEER, roles.LAWYER, roles.COORDINATOR, roles.PARTNER)),
]
Editor = Annotated[
    Principal, Depends(require_roles(roles.VOLUNTEER, roles.LAWYER, roles.COORDINATOR))
]
Staff = Annotated[
    Principal,
    Depends(require_roles(roles.VOLUNTEER, roles.LAWYER, roles.COORDINATOR, roles.TENANT_ADMIN)),
]
# Staff, and partner systems for the complaints they submitted (a smaller view).
Reader = Annotated[
    Principal,
    Depends(
        require_roles(
            roles.VOLUNTEER, roles.LAWYER, roles.COORDINATOR, roles.TENANT_ADMIN, roles.PARTNER
        )
    ),
]
STAFF_ROLES = (roles.VOLUNTEER, roles.LAWYER, roles.COORDINATOR, roles.TENANT_ADMIN)


@router.post(
    "/complaints",
    status_code=201,
    response_model=ComplaintAccepted,
    responses=PROBLEMS,
    summary="Register a complaint",
    description=(
        "Registers a complaint received through any channel and emits `complaint.received`. "
        "Send an `Idempotency-Key` to make retries safe: a replay returns the first answer. "
        "Every complaint gets a receipt code, shown only in this answer (read it out on the "
        "phone, hand it over at a walk-in)."
    ),
)
def submit_complaint(
    payload: ComplaintCreate,
    request: Request,
    principal: Registrar,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> JSONResponse:
    runtime = runtime_of(request)
    # The duplicate check's text comparisons read only: done first, outside the write lock.
    with session_scope(runtime.read_session_factory, tenant=principal.tenant) as session:
        scores = duplicates.score_texts(
            session=session, tenant=principal.tenant, crux=payload.crux,
            received_at=payload.received_at or utcnow(),
        )  # fmt: skip

    def register(session):  # type: ignore[no-untyped-def]
        accepted = service.register_complaint(
            session=session,
            outbox=runtime.outbox,
            principal=principal,
            payload=payload,
            correlation_id=request.state.correlation_id,
            keys=runtime.master_keys,
            lang=language(request),
            similarity_scores=scores,
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


def _read(session, complaint) -> ComplaintRead:  # type: ignore[no-untyped-def]
    has_contact = vault.has_contact(session=session, complaint_id=complaint.id)
    return ComplaintRead.model_validate(record.to_read(complaint, has_contact=has_contact))


def _etag(version: int) -> str:
    return f'"{version}"'


@router.get(
    "/complaints/{complaint_id}",
    response_model=ComplaintRead | PartnerComplaintRead,
    responses=PROBLEMS,
    summary="A complaint",
    description=(
        "The full record without personal data; the `ETag` is the version for PATCH. A partner "
        "system reads only the complaints it submitted, as `PartnerComplaintRead` (id, office, "
        "received_at, status); any other answers 404."
    ),
)
def read_complaint(complaint_id: str, request: Request, principal: Reader) -> JSONResponse:
    with session_scope(runtime_of(request).session_factory, tenant=principal.tenant) as session:
        if not principal.has_any(*STAFF_ROLES):
            link = partner_service.own_complaint(session, principal, complaint_id)
            return JSONResponse(partner_complaint_view(session, link))
        complaint = service.get_complaint(session=session, complaint_id=complaint_id)
        service.visible_to(principal, complaint)
        body = _read(session, complaint).model_dump(mode="json")
    return JSONResponse(body, headers={"ETag": _etag(body["version"])})


def _expected_version(if_match: str | None) -> int:
    if if_match is None:
        raise Problem(
            428,
            "If-Match is required: send the ETag (version) of the complaint you read.",
            errors=[{"field": "header.If-Match", "reason": "field required"}],
        )
    text = if_match.strip().removeprefix("W/").strip('"')
    if not text.isdigit() or len(text) > 9:
        raise Problem(
            400,
            'If-Match must be the ETag of the complaint, e.g. "3".',
            errors=[{"field": "header.If-Match", "reason": "not a version"}],
        )
    return int(text)


@router.patch(
    "/complaints/{complaint_id}",
    response_model=ComplaintRead,
    responses={**PROBLEMS, 428: {"description": "If-Match missing", "content": {PROBLEM_JSON: {}}}},
    summary="Complete or correct a complaint",
    description=(
        "Only the fields sent change (null clears). Requires `If-Match` with the ETag from GET; "
        "a stale version answers 409. Emits `complaint.updated` with the non-personal changes."
    ),
)
def patch_complaint(
    complaint_id: str,
    payload: ComplaintPatch,
    request: Request,
    principal: Editor,
    if_match: Annotated[str | None, Header(alias="If-Match")] = None,
) -> JSONResponse:
    expected = _expected_version(if_match)
    runtime = runtime_of(request)
    with session_scope(runtime.session_factory, tenant=principal.tenant) as session:
        complaint = service.update_complaint(
            session=session,
            outbox=runtime.outbox,
            principal=principal,
            complaint_id=complaint_id,
            payload=payload,
            expected_version=expected,
            correlation_id=request.state.correlation_id,
            keys=runtime.master_keys,
            lang=language(request),
        )
        body = _read(session, complaint).model_dump(mode="json")
    return JSONResponse(body, headers={"ETag": _etag(body["version"])})
