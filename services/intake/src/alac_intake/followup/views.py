"""Anonymous follow-up (receipt code in the `Receipt-Code` header, never in a URL, so it does
not land in access logs or browser history) and staff messages to the complainant."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request
from pydantic import BaseModel, ConfigDict, Field

from alac_intake import service
from alac_intake.followup import service as followup
from alac_intake.models import Complaint
from alac_intake.schemas import NoNul
from alac_kernel.app import runtime_of
from alac_kernel.auth import roles
from alac_kernel.auth.fastapi import require_roles
from alac_kernel.auth.principal import Principal
from alac_kernel.db import session_scope
from alac_kernel.limits import client_address
from alac_kernel.problems import Problem

router = APIRouter(prefix="/v1", tags=["follow-up"])
UNKNOWN = "No complaint with this receipt code."

Code = Annotated[str, Header(alias="Receipt-Code", min_length=1, max_length=64)]
Writer = Annotated[
    Principal, Depends(require_roles(roles.LAWYER, roles.COORDINATOR, roles.VOLUNTEER))
]


class MessageIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    body: Annotated[str, Field(min_length=1, max_length=5000), NoNul]


class MessageOut(BaseModel):
    id: str
    direction: str
    body: str
    posted_at: datetime


class FollowUpStatus(BaseModel):
    status: str
    received_at: datetime
    office: str
    messages: int


def verified_complaint_id(request: Request, code: str) -> str:
    """The id of the receipt code's complaint, or 404 / 429.

    The limiter works in transactions of its own, before and after the look-up (on SQLite a
    write inside the caller's transaction would wait for that transaction's own lock)."""
    runtime = runtime_of(request)
    failures = runtime.receipt_failures  # type: ignore[attr-defined]
    client = client_address(request, runtime.settings.trusted_proxy_set)
    wait = failures.blocked(client)
    if wait is not None:
        raise Problem(
            429,
            "Too many wrong receipt codes; try again later.",
            headers={"Retry-After": str(wait)},
        )
    with session_scope(runtime.session_factory, all_tenants=True) as session:
        complaint = followup.find_by_code(session=session, code=code)
        found = complaint.id if complaint is not None else None
    if found is None:
        failures.record(client)
        # Malformed, unknown and wrong codes: the same answer, so none can be told apart.
        raise Problem(404, UNKNOWN, errors=[{"field": "header.Receipt-Code", "reason": "unknown"}])
    return found


def complaint_by_id(session, complaint_id: str) -> Complaint:  # type: ignore[no-untyped-def]
    complaint = session.get(Complaint, complaint_id)
    if complaint is None:  # erased between the two transactions
        raise Problem(404, UNKNOWN, errors=[{"field": "header.Receipt-Code", "reason": "unknown"}])
    return complaint


@router.get("/follow-up/status", response_model=FollowUpStatus, summary="Status by receipt code")
def follow_up_status(request: Request, receipt_code: Code) -> FollowUpStatus:
    complaint_id = verified_complaint_id(request, receipt_code)
    with session_scope(runtime_of(request).session_factory, all_tenants=True) as session:
        complaint = complaint_by_id(session, complaint_id)
        count = len(followup.messages(session=session, complaint_id=complaint.id))
        return FollowUpStatus(
            status=followup.public_status(complaint), received_at=complaint.received_at,
            office=complaint.office, messages=count,
        )  # fmt: skip


@router.get(
    "/follow-up/messages", response_model=list[MessageOut], summary="Messages by receipt code"
)
def follow_up_messages(request: Request, receipt_code: Code) -> list[MessageOut]:
    complaint_id = verified_complaint_id(request, receipt_code)
    with session_scope(runtime_of(request).session_factory, all_tenants=True) as session:
        complaint = complaint_by_id(session, complaint_id)
        return [
            MessageOut.model_validate(m, from_attributes=True)
            for m in followup.messages(session=session, complaint_id=complaint.id)
        ]


@router.post(
    "/follow-up/messages", status_code=201, response_model=MessageOut, summary="Write to the centre"
)
def follow_up_post(request: Request, receipt_code: Code, payload: MessageIn) -> MessageOut:
    runtime = runtime_of(request)
    complaint_id = verified_complaint_id(request, receipt_code)
    wait = runtime.complainant_messages.hit(complaint_id)  # type: ignore[attr-defined]
    if wait is not None:
        raise Problem(
            429,
            "Too many messages today; the centre will answer what you have sent.",
            headers={"Retry-After": str(wait)},
        )
    with session_scope(runtime.session_factory, all_tenants=True) as session:
        complaint = complaint_by_id(session, complaint_id)
        message = followup.post_message(
            session=session, outbox=runtime.outbox, complaint=complaint, direction="from_complainant",
            body=payload.body, author=None, correlation_id=request.state.correlation_id,
        )  # fmt: skip
        return MessageOut.model_validate(message, from_attributes=True)


@router.post(
    "/complaints/{complaint_id}/messages",
    status_code=201,
    response_model=MessageOut,
    summary="Write to the complainant",
)
def staff_post(
    complaint_id: str, request: Request, principal: Writer, payload: MessageIn
) -> MessageOut:
    runtime = runtime_of(request)
    with session_scope(runtime.session_factory, tenant=principal.tenant) as session:
        complaint = service.get_complaint(session=session, complaint_id=complaint_id)
        service.visible_to(principal, complaint)
        message = followup.post_message(
            session=session, outbox=runtime.outbox, complaint=complaint, direction="to_complainant",
            body=payload.body, author=principal.subject, correlation_id=request.state.correlation_id,
        )  # fmt: skip
        return MessageOut.model_validate(message, from_attributes=True)


@router.get(
    "/complaints/{complaint_id}/messages",
    response_model=list[MessageOut],
    summary="Messages with the complainant",
)
def staff_messages(complaint_id: str, request: Request, principal: Writer) -> list[MessageOut]:
    with session_scope(runtime_of(request).session_factory, tenant=principal.tenant) as session:
        complaint = service.get_complaint(session=session, complaint_id=complaint_id)
        service.visible_to(principal, complaint)
        return [
            MessageOut.model_validate(m, from_attributes=True)
            for m in followup.messages(session=session, complaint_id=complaint.id)
        ]
