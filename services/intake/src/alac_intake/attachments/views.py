"""Attachments of a complaint: raw body upload, list, download (staff of the same tenant)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from urllib.parse import quote, unquote

from fastapi import APIRouter, Header, Request, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from alac_intake.attachments import service
from alac_intake.attachments.detect import ALLOWED
from alac_intake.complaints import service as complaints
from alac_intake.complaints.views import PROBLEMS, Editor, Staff
from alac_intake.followup.views import Code, complaint_by_id, verified_complaint_id
from alac_intake.i18n import language, message
from alac_kernel.app import runtime_of
from alac_kernel.db import session_scope
from alac_kernel.limits import client_address
from alac_kernel.problems import PROBLEM_JSON, Problem

router = APIRouter(prefix="/v1/complaints", tags=["attachments"])
# The complainant's own uploads, with the receipt code (the public form's files go this way).
public_router = APIRouter(prefix="/v1/follow-up", tags=["follow-up"])
UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    }
}


class AttachmentOut(BaseModel):
    id: str
    filename: str
    content_type: str
    size: int
    sha256: str
    stored_at: datetime


def _out(row) -> AttachmentOut:  # type: ignore[no-untyped-def]
    return AttachmentOut.model_validate(row, from_attributes=True)


@router.post(
    "/{complaint_id}/attachments",
    status_code=201,
    response_model=AttachmentOut,
    responses={**PROBLEMS, 415: {"description": "Type not allowed", "content": {PROBLEM_JSON: {}}}},
    summary="Attach a file (raw body)",
    description=(
        "The body is the file itself; `Content-Type` its type (or application/octet-stream), "
        "`Attachment-Filename` its name (percent-encoded UTF-8). The type is detected from the "
        "bytes: PDF, PNG, JPEG, DOCX, XLSX or plain text, else 415 (also when it contradicts "
        "the declared type); larger than the limit is 413."
    ),
    openapi_extra=UPLOAD_BODY,
)
async def upload(
    complaint_id: str,
    request: Request,
    principal: Editor,
    attachment_filename: Annotated[str | None, Header(alias="Attachment-Filename")] = None,
) -> AttachmentOut:
    runtime = runtime_of(request)
    data = await request.body()
    declared = request.headers.get("content-type")

    def work() -> AttachmentOut:
        with session_scope(runtime.session_factory, tenant=principal.tenant) as session:
            # The complaint first: another tenant's id is a 404 before any check of the bytes.
            complaint = complaints.get_complaint(session=session, complaint_id=complaint_id)
            complaints.visible_to(principal, complaint)
        kind = service.check(
            data=data,
            declared=declared,
            max_bytes=runtime.attachment_max_bytes,  # type: ignore[attr-defined]
        )
        name = service.clean_filename(unquote(attachment_filename or ""), kind)
        store = runtime.attachments  # type: ignore[attr-defined]
        # The commit happens inside: if it fails, the new blob is removed again.
        with service.removed_on_failure(store) as written:
            with session_scope(runtime.session_factory, tenant=principal.tenant) as session:
                row = service.add(
                    session=session, keys=runtime.master_keys,  # type: ignore[attr-defined]
                    store=store, written=written, tenant=principal.tenant,
                    complaint_id=complaint_id, filename=name, kind=kind, data=data,
                    source="api", uploaded_by=principal.subject,
                )  # fmt: skip
                out = _out(row)
        return out

    return await run_in_threadpool(work)


@router.get(
    "/{complaint_id}/attachments",
    response_model=list[AttachmentOut],
    responses=PROBLEMS,
    summary="Attachments of a complaint",
)
def list_attachments(complaint_id: str, request: Request, principal: Staff) -> list[AttachmentOut]:
    with session_scope(runtime_of(request).session_factory, tenant=principal.tenant) as session:
        complaint = complaints.get_complaint(session=session, complaint_id=complaint_id)
        complaints.visible_to(principal, complaint)
        return [_out(r) for r in service.listed(session=session, complaint_id=complaint.id)]


@router.get(
    "/{complaint_id}/attachments/{attachment_id}",
    responses={
        **PROBLEMS,
        200: {
            "description": "The file, with the content type detected at upload.",
            "content": {
                kind: {"schema": {"type": "string", "format": "binary"}} for kind in ALLOWED
            },
        },
    },
    response_class=Response,
    summary="Download an attachment",
)
def download(complaint_id: str, attachment_id: str, request: Request, principal: Staff) -> Response:
    runtime = runtime_of(request)
    with session_scope(runtime.session_factory, tenant=principal.tenant) as session:
        complaint = complaints.get_complaint(session=session, complaint_id=complaint_id)
        complaints.visible_to(principal, complaint)
        row = service.get(session=session, complaint_id=complaint.id, attachment_id=attachment_id)
        kind, name = row.content_type, row.filename
        try:
            data = service.read(
                session=session, keys=runtime.master_keys,  # type: ignore[attr-defined]
                store=runtime.attachments, row=row,  # type: ignore[attr-defined]
            )  # fmt: skip
        except FileNotFoundError as exc:
            # Only an erasure interrupted between deleting the blob and its row leaves this.
            raise Problem(410, "The attachment was erased.") from exc
    return Response(
        data,
        media_type=kind,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
            "X-Content-Type-Options": "nosniff",
        },
    )


@public_router.post(
    "/attachments",
    status_code=201,
    response_model=AttachmentOut,
    responses={
        413: {"description": "Larger than the limit", "content": {PROBLEM_JSON: {}}},
        415: {"description": "Type not allowed", "content": {PROBLEM_JSON: {}}},
        429: {"description": "Too many uploads from this address", "content": {PROBLEM_JSON: {}}},
    },
    summary="Attach a file with the receipt code (no login)",
    description=(
        "The complainant adds a file to their complaint (the web form sends its files this "
        "way right after the complaint). Same body, headers and checks as the staff upload: "
        "the type is detected from the bytes (PDF, PNG, JPEG, DOCX, XLSX or plain text, else "
        "415, also when it contradicts the declared type); larger than the limit is 413. "
        "Rate-limited per client address like the web form (429 with `Retry-After`); a "
        "withdrawn complaint answers 409."
    ),
    openapi_extra=UPLOAD_BODY,
)
async def upload_by_complainant(
    request: Request,
    receipt_code: Code,
    attachment_filename: Annotated[str | None, Header(alias="Attachment-Filename")] = None,
) -> AttachmentOut:
    runtime = runtime_of(request)
    lang = language(request)
    data = await request.body()
    declared = request.headers.get("content-type")

    def work() -> AttachmentOut:
        address = client_address(request, runtime.settings.trusted_proxy_set)
        # Counted before the code is checked, like the form: each try costs the address.
        wait = runtime.public_attachments.hit(address)  # type: ignore[attr-defined]
        if wait is not None:
            raise Problem(
                429,
                "Too many files from your address; try again later.",
                headers={"Retry-After": str(wait)},
            )
        complaint_id = verified_complaint_id(request, receipt_code)
        with session_scope(runtime.session_factory, all_tenants=True) as session:
            complaint = complaint_by_id(session, complaint_id)
            tenant, withdrawn = complaint.tenant_id, complaint.withdrawn_at is not None
        if withdrawn:
            reason = message("withdrawn_attachment", lang)
            raise Problem(409, reason, errors=[{"field": "header.Receipt-Code", "reason": reason}])
        kind = service.check(
            data=data,
            declared=declared,
            max_bytes=runtime.attachment_max_bytes,  # type: ignore[attr-defined]
        )
        name = service.clean_filename(unquote(attachment_filename or ""), kind)
        store = runtime.attachments  # type: ignore[attr-defined]
        # Encrypted like every attachment; the commit happens inside, and a failure removes
        # the new blob again.
        with service.removed_on_failure(store) as written:
            with session_scope(runtime.session_factory, tenant=tenant) as session:
                row = service.add(
                    session=session, keys=runtime.master_keys,  # type: ignore[attr-defined]
                    store=store, written=written, tenant=tenant, complaint_id=complaint_id,
                    filename=name, kind=kind, data=data, source="complainant",
                    uploaded_by="complainant",
                )  # fmt: skip
                out = _out(row)
        return out

    return await run_in_threadpool(work)
