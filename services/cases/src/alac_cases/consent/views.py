"""HTTP API of the client's consents."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from alac_cases.api import PROBLEMS, IfMatch, Versioned, list_of_case, unit_of_work
from alac_cases.consent import service
from alac_cases.files import audit, check_version, expected_version, load_case
from alac_cases.permissions import allowed

router = APIRouter(prefix="/v1", tags=["consent"])

Scope = Literal["formal_action", "documents_to_authorities", "media", "referral", "share_contact"]


class ConsentIn(Versioned):
    scopes: list[Scope] = Field(default_factory=list, max_length=5)
    withdrawn: bool = False
    how_given: Literal["signed_form", "in_person", "phone", "email", "web"] = "signed_form"
    note: str | None = Field(default=None, max_length=2000)


class ConsentRead(BaseModel):
    version: int
    scopes: list[str]
    withdrawn: bool
    how_given: str
    note: str | None
    recorded_by: str
    recorded_at: datetime


@router.post(
    "/cases/{case_id}/consents",
    response_model=ConsentRead,
    status_code=201,
    responses=PROBLEMS,
    summary="Record a new version of the client's consent (or withdraw it)",
)
def record_consent(
    case_id: str,
    body: ConsentIn,
    request: Request,
    response: Response,
    principal: allowed("consent.write"),
    if_match: IfMatch = None,
) -> ConsentRead:
    version = expected_version(if_match=if_match, body_version=body.version)
    with unit_of_work(request, principal) as (session, outbox):
        case = load_case(session=session, case_id=case_id, principal=principal, for_update=True)
        check_version(case, version)
        consent = service.record(
            session=session,
            outbox=outbox,
            case=case,
            principal=principal,
            scopes=list(body.scopes),
            withdrawn=body.withdrawn,
            how_given=body.how_given,
            note=body.note,
        )
        audit(
            session=session,
            principal=principal,
            what="consent.record",
            case_id=case.id,
            detail={
                "version": consent.version,
                "scopes": consent.scopes,
                "withdrawn": consent.withdrawn,
            },
        )
        response.headers["ETag"] = f'"{case.version}"'
        return ConsentRead.model_validate(consent, from_attributes=True)


@router.get(
    "/cases/{case_id}/consents",
    response_model=list[ConsentRead],
    responses=PROBLEMS,
    summary="Every consent version of a case, oldest first (the last one is in force)",
)
def list_consents(
    case_id: str, request: Request, principal: allowed("consent.read")
) -> list[ConsentRead]:
    return list_of_case(
        request,
        principal,
        case_id=case_id,
        what="consent.read",
        rows=service.history,
        read=ConsentRead,
    )
