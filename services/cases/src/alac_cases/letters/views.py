"""HTTP API of letters of support."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from alac_cases import views as http
from alac_cases.letters import service
from alac_kernel.auth.principal import Principal
from alac_kernel.languages import Language
from alac_kernel.problems import problem_responses

router = APIRouter(prefix="/v1", tags=["letters"])

# The callers each route lets in (permissions.MATRIX).
LetterWriter = Annotated[http.CaseCommand, http.command("letter.write")]
LetterReader = Annotated[Principal, http.allowed("letter.read")]
LettersReader = Annotated[http.OneCase, http.one_case("letter.read")]


class LetterIn(http.Versioned):
    language: Language
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


@router.post(
    "/cases/{case_id}/letters",
    **http.creates(
        LetterRead, "Generate a letter of support (needs consent to documents_to_authorities)"
    ),
)
def create_letter(body: LetterIn, command: LetterWriter) -> LetterRead:
    recorded = service.write_letter(
        **command.arguments(body), **body.model_dump(exclude={"version"})
    )
    return command.recorded(LetterRead, recorded)


@router.get(
    "/cases/{case_id}/letters", **http.answers(list[LetterRead], "Letters of support of a case")
)
def list_letters(case: LettersReader) -> list[LetterRead]:
    return http.read_all(LetterRead, service.letters_of_case(**case.arguments()))


@router.get(
    "/cases/{case_id}/letters/{letter_id}.pdf",
    response_class=Response,
    responses={
        **http.PROBLEMS,
        200: {"content": {"application/pdf": {}}},
        **problem_responses((410, "Erased with the complainant's personal data"), with_schema=True),
    },
    summary="The PDF of a letter of support",
)
def letter_pdf(
    case_id: str, letter_id: str, runtime: http.Runtime, principal: LetterReader
) -> Response:
    letter, data = service.letter_pdf(runtime, principal, case_id=case_id, letter_id=letter_id)
    return Response(
        content=data,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="letter-{letter.id}.pdf"'},
    )
