"""Attachments of a complaint: raw body upload, list, download (staff of the same tenant), and
the complainant's own uploads with the receipt code. Each route reads the HTTP body and
headers, hands them to a use case of attachments.service, and answers its result."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote, unquote

from fastapi import APIRouter, Header, Request, Response
from starlette.concurrency import run_in_threadpool

from alac_intake.attachments import service
from alac_intake.attachments.detect import ALLOWED
from alac_intake.attachments.schemas import AttachmentOut
from alac_intake.views import PROBLEMS, Client, Editor, Language, ReceiptCode, Runtime, Staff
from alac_kernel.problems import problem_responses

router = APIRouter(prefix="/v1/complaints", tags=["attachments"])
# The complainant's own uploads, with the receipt code (the public form's files go this way).
public_router = APIRouter(prefix="/v1/follow-up", tags=["follow-up"])
UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    }
}
Filename = Annotated[str | None, Header(alias="Attachment-Filename")]


@router.post(
    "/{complaint_id}/attachments",
    status_code=201,
    response_model=AttachmentOut,
    responses=PROBLEMS | problem_responses((415, "Type not allowed")),
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
    rt: Runtime,
    attachment_filename: Filename = None,
) -> AttachmentOut:
    return await run_in_threadpool(
        service.upload, rt, principal, complaint_id, data=await request.body(),
        declared=request.headers.get("content-type"),
        filename=unquote(attachment_filename or ""),
    )  # fmt: skip


@router.get(
    "/{complaint_id}/attachments",
    response_model=list[AttachmentOut],
    responses=PROBLEMS,
    summary="Attachments of a complaint",
)
def list_attachments(complaint_id: str, principal: Staff, rt: Runtime) -> list[AttachmentOut]:
    return service.attachments_of(rt, principal, complaint_id)


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
def download(complaint_id: str, attachment_id: str, principal: Staff, rt: Runtime) -> Response:
    file = service.download(rt, principal, complaint_id, attachment_id)
    return Response(
        file.data,
        media_type=file.content_type,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(file.filename)}",
            "X-Content-Type-Options": "nosniff",
        },
    )


@public_router.post(
    "/attachments",
    status_code=201,
    response_model=AttachmentOut,
    responses=problem_responses(
        (413, "Larger than the limit"),
        (415, "Type not allowed"),
        (429, "Too many uploads from this address"),
    ),
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
    receipt_code: ReceiptCode,
    rt: Runtime,
    client: Client,
    lang: Language,
    attachment_filename: Filename = None,
) -> AttachmentOut:
    return await run_in_threadpool(
        service.upload_by_complainant, rt, receipt_code, client, data=await request.body(),
        declared=request.headers.get("content-type"),
        filename=unquote(attachment_filename or ""), lang=lang,
    )  # fmt: skip
