"""HTTP API of the client's consents."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from alac_cases import views as http
from alac_cases.consent import service

router = APIRouter(prefix="/v1", tags=["consent"])

# The callers each route lets in (permissions.MATRIX).
ConsentWriter = Annotated[http.CaseCommand, http.command("consent.write")]
ConsentReader = Annotated[http.OneCase, http.one_case("consent.read")]

Scope = Literal["formal_action", "documents_to_authorities", "media", "referral", "share_contact"]


class ConsentIn(http.Versioned):
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
    **http.creates(ConsentRead, "Record a new version of the client's consent (or withdraw it)"),
)
def record_consent(body: ConsentIn, command: ConsentWriter) -> ConsentRead:
    recorded = service.record_consent(
        **command.arguments(body),
        scopes=list(body.scopes),
        withdrawn=body.withdrawn,
        how_given=body.how_given,
        note=body.note,
    )
    return command.recorded(ConsentRead, recorded)


@router.get(
    "/cases/{case_id}/consents",
    **http.answers(
        list[ConsentRead],
        "Every consent version of a case, oldest first (the last one is in force)",
    ),
)
def list_consents(case: ConsentReader) -> list[ConsentRead]:
    return http.read_all(ConsentRead, service.consents_of_case(**case.arguments()))
