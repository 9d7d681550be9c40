"""Anonymous follow-up (receipt code in the `Receipt-Code` header, never in a URL, so it does
not land in access logs or browser history) and staff messages to the complainant."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from alac_intake.complaints import service
from alac_intake.complaints.models import Complaint
from alac_intake.complaints.schemas import NoNul
from alac_intake.followup import service as followup
from alac_intake.i18n import language, message
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


class Consent(BaseModel):
    formal_action: bool | None
    documents_to_authorities: bool | None
    media: bool | None


class FollowUpStatus(BaseModel):
    status: str
    received_at: datetime
    office: str
    messages: int
    # What the page needs to ask for consent: an anonymous complaint cannot give any.
    anonymous: bool
    consent: Consent


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
        complaint = followup.find_by_code(
            session=session,
            code=code,
            keys=runtime.master_keys,  # type: ignore[attr-defined]
        )
        found = complaint.id if complaint is not None else None
    if found is None:
        failures.record(client)
        # Malformed, unknown and wrong codes: the same answer, so none can be told apart.
        raise Problem(404, UNKNOWN, errors=[{"field": "header.Receipt-Code", "reason": "unknown"}])
    return found


class ConsentIn(BaseModel):
    """Yes (true) or no (false) per scope; a scope left out keeps its answer."""

    model_config = ConfigDict(extra="forbid")
    formal_action: bool | None = Field(
        None, description="Act on the complainant's behalf (letters, complaints, court)."
    )
    documents_to_authorities: bool | None = Field(
        None, description="Pass the complainant's documents to the authorities."
    )
    media: bool | None = Field(None, description="Speak of the case publicly (anonymised).")


class ConsentOut(Consent):
    changed: list[str] = Field(description="The scopes this answer changed (none: as before).")


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
            office=complaint.office, messages=count, anonymous=complaint.anonymous,
            consent=Consent(
                formal_action=complaint.consent_formal_action,
                documents_to_authorities=complaint.consent_documents_to_authorities,
                media=complaint.consent_media,
            ),
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


class Unanswered(BaseModel):
    complaint_id: str
    office: str
    channel: str
    area: str | None
    received_at: datetime
    since: datetime = Field(description="The first message after the centre's last answer")
    waiting: int = Field(description="Messages from the complainant since the last answer")


@router.get(
    "/messages/unanswered",
    response_model=list[Unanswered],
    summary="Complaints whose last message is the complainant's, the longest waiting first",
    description="Volunteers see their own office's; lawyers and coordinators the tenant's.",
)
def unanswered_messages(
    request: Request,
    principal: Writer,
    office: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[Unanswered]:
    if principal.has_any(roles.VOLUNTEER) and not principal.has_any(
        roles.LAWYER, roles.COORDINATOR
    ):
        office = principal.office or "-"  # the same rule as service.visible_to
    with session_scope(runtime_of(request).session_factory, tenant=principal.tenant) as session:
        return [
            Unanswered(
                complaint_id=c.id,
                office=c.office,
                channel=c.channel,
                area=c.area,
                received_at=c.received_at,
                since=since,
                waiting=waiting,
            )  # fmt: skip
            for c, since, waiting in followup.unanswered(
                session=session, office=office, limit=limit
            )
        ]


@router.post(
    "/follow-up/consent",
    response_model=ConsentOut,
    summary="Answer a consent request with the receipt code",
    description=(
        "The complainant's yes or no per scope. The complaint's consent fields change and "
        "`complaint.updated` carries them; cases records a new consent version of the case "
        "(how_given `intake_record`). An anonymous or withdrawn complaint answers 409: the "
        "centre cannot act for someone it does not know."
    ),
)
def follow_up_consent(request: Request, receipt_code: Code, payload: ConsentIn) -> ConsentOut:
    runtime = runtime_of(request)
    lang = language(request)
    answers = {k: v for k, v in payload.model_dump().items() if v is not None}
    if not answers:
        raise Problem(
            422,
            "No consent answer was sent.",
            errors=[{"field": "body", "reason": message("consent_answer_missing", lang)}],
        )
    complaint_id = verified_complaint_id(request, receipt_code)
    with session_scope(runtime.session_factory, all_tenants=True) as session:
        complaint = complaint_by_id(session, complaint_id)
        if complaint.anonymous:
            reason = message("anonymous_consent", lang)
            raise Problem(409, reason, errors=[{"field": "body", "reason": reason}])
        if complaint.withdrawn_at is not None:
            reason = message("withdrawn_consent", lang)
            raise Problem(409, reason, errors=[{"field": "body", "reason": reason}])
        changed = followup.give_consent(
            session=session, outbox=runtime.outbox, complaint=complaint, answers=answers,
            correlation_id=request.state.correlation_id,
        )  # fmt: skip
        return ConsentOut(
            formal_action=complaint.consent_formal_action,
            documents_to_authorities=complaint.consent_documents_to_authorities,
            media=complaint.consent_media,
            changed=changed,
        )
