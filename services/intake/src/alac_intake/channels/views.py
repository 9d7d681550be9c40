"""The channels' HTTP API: the public web form (POST /v1/public/complaints). The other
channels (mail, file imports, referrals) come in through the CLI and the bus."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from alac_intake.channels import public
from alac_intake.channels.public import PublicComplaint
from alac_intake.complaints.schemas import ComplaintAccepted
from alac_intake.views import PROBLEMS, Client, CorrelationId, Language, Runtime
from alac_kernel.problems import problem_responses

router = APIRouter(prefix="/v1/public", tags=["public"])


@router.post(
    "/complaints",
    status_code=201,
    response_model=ComplaintAccepted,
    responses=PROBLEMS | problem_responses((429, "Too many submissions from this address")),
    summary="Submit a complaint through the website (no login)",
    description=(
        "Channel `web_form`. Rate-limited per client address (429 with `Retry-After`). "
        "The answer carries the receipt code, shown only once."
    ),
)
def submit_public(
    payload: PublicComplaint,
    rt: Runtime,
    client: Client,
    lang: Language,
    correlation_id: CorrelationId,
) -> ComplaintAccepted:
    try:
        complaint = payload.as_complaint()
    except ValidationError as exc:  # found by schemathesis: must be a 422, never a 500
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]
        ) from exc
    return public.submit(
        rt, payload, complaint, client=client, lang=lang, correlation_id=correlation_id
    )
