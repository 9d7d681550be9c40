"""The complaint's HTTP API: each route hands its input to a use case of complaints.service
and its result back as HTTP (status, ETag, Location); nothing else happens here."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header
from fastapi.responses import JSONResponse

from alac_intake.complaints import service
from alac_intake.complaints.schemas import (
    ComplaintAccepted,
    ComplaintCreate,
    ComplaintPatch,
    ComplaintRead,
)
from alac_intake.partners.schemas import PartnerComplaintRead
from alac_intake.views import (
    PROBLEMS,
    CorrelationId,
    Editor,
    Language,
    Reader,
    Registrar,
    Runtime,
)
from alac_kernel import versions
from alac_kernel.problems import problem_responses

router = APIRouter(prefix="/v1", tags=["complaints"])


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
    principal: Registrar,
    rt: Runtime,
    lang: Language,
    correlation_id: CorrelationId,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> JSONResponse:
    status, body = service.submit(
        rt, principal, payload, idempotency_key=idempotency_key, lang=lang,
        correlation_id=correlation_id,
    )  # fmt: skip
    return JSONResponse(
        body, status_code=status, headers={"Location": f"/v1/complaints/{body['id']}"}
    )


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
def read_complaint(complaint_id: str, principal: Reader, rt: Runtime) -> JSONResponse:
    found = service.read(rt, principal, complaint_id)
    if not isinstance(found, ComplaintRead):  # a partner system's smaller view: no version
        return JSONResponse(found)
    return JSONResponse(
        found.model_dump(mode="json"), headers={"ETag": versions.etag(found.version)}
    )


@router.patch(
    "/complaints/{complaint_id}",
    response_model=ComplaintRead,
    responses=PROBLEMS | problem_responses((428, "If-Match missing")),
    summary="Complete or correct a complaint",
    description=(
        "Only the fields sent change (null clears). Requires `If-Match` with the ETag from GET; "
        "a stale version answers 409. Emits `complaint.updated` with the non-personal changes."
    ),
)
def patch_complaint(
    complaint_id: str,
    payload: ComplaintPatch,
    principal: Editor,
    rt: Runtime,
    lang: Language,
    correlation_id: CorrelationId,
    if_match: Annotated[str | None, Header(alias="If-Match")] = None,
) -> JSONResponse:
    expected = versions.expected_version(what="complaint", if_match=if_match, body_field=None)
    updated = service.update(
        rt, principal, complaint_id, payload, expected_version=expected, lang=lang,
        correlation_id=correlation_id,
    )  # fmt: skip
    return JSONResponse(
        updated.model_dump(mode="json"), headers={"ETag": versions.etag(updated.version)}
    )
