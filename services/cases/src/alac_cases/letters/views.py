"""HTTP API of letters of support."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from alac_cases.api import PROBLEMS, IfMatch, Versioned, list_of_case, unit_of_work
from alac_cases.files import audit, check_version, expected_version, load_case
from alac_cases.letters import service
from alac_cases.letters.store import LetterStore, letter_store_for
from alac_cases.permissions import allowed
from alac_kernel.app import runtime_of

router = APIRouter(prefix="/v1", tags=["letters"])


class LetterIn(Versioned):
    language: Literal["kk", "ru", "en"]
    authority: str = Field(
        min_length=1,
        max_length=400,
        description="Addressee of the letter: the body and, on further lines, the official's "
        "position (printed as the addressee block)",
    )
    addressee_address: str | None = Field(
        default=None, min_length=1, max_length=400, description="Addressee's postal address"
    )
    legal_assessment: str = Field(min_length=1, max_length=8000)
    facts: str = Field(min_length=1, max_length=8000)
    request: str = Field(min_length=1, max_length=4000, description="What the authority is asked")


class LetterRead(BaseModel):
    id: str
    reference: str | None = Field(
        default=None, description="Outgoing reference, per tenant and year (e.g. TK-2026/0001)"
    )
    case_id: str
    action_id: str
    language: str
    authority: str
    sha256: str
    size: int
    created_by: str
    created_at: datetime
    erased_at: datetime | None = Field(
        default=None,
        description="Set when the complainant's personal data was erased: the PDF is gone (410)",
    )


def letter_store(request: Request) -> LetterStore:
    return letter_store_for(runtime_of(request).settings)


@router.post(
    "/cases/{case_id}/letters",
    response_model=LetterRead,
    status_code=201,
    responses=PROBLEMS,
    summary="Generate a letter of support (needs consent to documents_to_authorities)",
)
def create_letter(
    case_id: str,
    body: LetterIn,
    request: Request,
    response: Response,
    principal: allowed("letter.write"),
    if_match: IfMatch = None,
) -> LetterRead:
    version = expected_version(if_match=if_match, body_version=body.version)
    store = letter_store(request)
    stored: str | None = None
    try:
        with unit_of_work(request, principal) as (session, outbox):
            case = load_case(session=session, case_id=case_id, principal=principal, for_update=True)
            check_version(case, version)
            letter = service.create(
                session=session,
                outbox=outbox,
                store=store,
                keys=runtime_of(request).master_keys,  # type: ignore[attr-defined]
                case=case,
                principal=principal,
                **body.model_dump(exclude={"version"}),
            )
            stored = letter.id
            audit(
                session=session,
                principal=principal,
                what="letter.create",
                case_id=case.id,
                detail={"letter_id": letter.id, "language": letter.language},
            )
            response.headers["ETag"] = f'"{case.version}"'
            return LetterRead.model_validate(letter, from_attributes=True)
    except BaseException:
        # The PDF is written before the commit; a rolled-back letter must not leave its text
        # (facts of the case) on disk with no row pointing at it.
        if stored is not None:
            store.delete(tenant=principal.tenant, letter_id=stored)
        raise


@router.get(
    "/cases/{case_id}/letters",
    response_model=list[LetterRead],
    responses=PROBLEMS,
    summary="Letters of support of a case",
)
def list_letters(
    case_id: str, request: Request, principal: allowed("letter.read")
) -> list[LetterRead]:
    return list_of_case(
        request,
        principal,
        case_id=case_id,
        what="letter.list",
        rows=service.list_letters,
        read=LetterRead,
    )


@router.get(
    "/cases/{case_id}/letters/{letter_id}.pdf",
    response_class=Response,
    responses={
        **PROBLEMS,
        200: {"content": {"application/pdf": {}}},
        410: {
            "description": "Erased with the complainant's personal data",
            "content": PROBLEMS[404]["content"],
        },
    },
    summary="The PDF of a letter of support",
)
def letter_pdf(
    case_id: str, letter_id: str, request: Request, principal: allowed("letter.read")
) -> Response:
    with unit_of_work(request, principal) as (session, _):
        case = load_case(session=session, case_id=case_id, principal=principal)
        letter = service.get(session=session, case_id=case.id, letter_id=letter_id)
        audit(
            session=session,
            principal=principal,
            what="letter.read",
            case_id=case.id,
            detail={"letter_id": letter.id},
        )
        data = service.read_pdf(
            session=session,
            keys=runtime_of(request).master_keys,  # type: ignore[attr-defined]
            store=letter_store(request),
            letter=letter,
        )
    return Response(
        content=data,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="letter-{letter.id}.pdf"'},
    )
