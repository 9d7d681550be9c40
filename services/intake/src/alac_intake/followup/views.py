"""Anonymous follow-up (receipt code in the `Receipt-Code` header, never in a URL, so it does
not land in access logs or browser history) and staff messages to the complainant. Each route
hands its input to a use case of followup.service."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from alac_intake.followup import service as followup
from alac_intake.followup.schemas import (
    ConsentIn,
    ConsentOut,
    FollowUpStatus,
    MessageIn,
    MessageOut,
    StaffMessageOut,
    Unanswered,
)
from alac_intake.views import Client, CorrelationId, Language, ReceiptCode, Runtime, Writer

router = APIRouter(prefix="/v1", tags=["follow-up"])


@router.get("/follow-up/status", response_model=FollowUpStatus, summary="Status by receipt code")
def follow_up_status(receipt_code: ReceiptCode, rt: Runtime, client: Client) -> FollowUpStatus:
    return followup.status(rt, receipt_code, client)


@router.get(
    "/follow-up/messages", response_model=list[MessageOut], summary="Messages by receipt code"
)
def follow_up_messages(receipt_code: ReceiptCode, rt: Runtime, client: Client) -> list[MessageOut]:
    return followup.thread_by_receipt(rt, receipt_code, client)


@router.post(
    "/follow-up/messages", status_code=201, response_model=MessageOut, summary="Write to the centre"
)
def follow_up_post(
    receipt_code: ReceiptCode, payload: MessageIn, rt: Runtime, client: Client,
    correlation_id: CorrelationId,
) -> MessageOut:  # fmt: skip
    return followup.write_to_centre(rt, receipt_code, client, payload.body, correlation_id)


@router.post(
    "/complaints/{complaint_id}/messages",
    status_code=201,
    response_model=StaffMessageOut,
    summary="Write to the complainant",
)
def staff_post(
    complaint_id: str, principal: Writer, payload: MessageIn, rt: Runtime,
    correlation_id: CorrelationId,
) -> StaffMessageOut:  # fmt: skip
    return followup.write_to_complainant(rt, principal, complaint_id, payload.body, correlation_id)


@router.get(
    "/complaints/{complaint_id}/messages",
    response_model=list[StaffMessageOut],
    summary="Messages with the complainant",
    description="Each with the staff member who wrote it, by id and name (null: the "
    "complainant's).",
)
def staff_messages(complaint_id: str, principal: Writer, rt: Runtime) -> list[StaffMessageOut]:
    return followup.thread_for_staff(rt, principal, complaint_id)


@router.get(
    "/messages/unanswered",
    response_model=list[Unanswered],
    summary="Complaints whose last message is the complainant's, the longest waiting first",
    description="Volunteers see their own office's; lawyers and coordinators the tenant's.",
)
def unanswered_messages(
    principal: Writer,
    rt: Runtime,
    office: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[Unanswered]:
    return followup.waiting_for_answer(rt, principal, office, limit)


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
def follow_up_consent(
    receipt_code: ReceiptCode, payload: ConsentIn, rt: Runtime, client: Client, lang: Language,
    correlation_id: CorrelationId,
) -> ConsentOut:  # fmt: skip
    answers = {k: v for k, v in payload.model_dump().items() if v is not None}
    return followup.answer_consent(
        rt, receipt_code, client, answers, lang=lang, correlation_id=correlation_id
    )
