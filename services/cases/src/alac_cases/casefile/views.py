"""HTTP API of the case file: `GET /v1/cases/{id}/file`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from alac_cases import views as http
from alac_cases.actions.views import ActionRead, NoteRead
from alac_cases.case.schemas import CaseRead
from alac_cases.casefile import service
from alac_cases.consent.views import ConsentRead
from alac_cases.deadlines.views import DeadlineRead, RuleRead
from alac_cases.letters.views import LetterRead
from alac_cases.referrals.views import ReferralRead
from alac_cases.workflow.views import HistoryRead
from alac_kernel.auth.principal import Principal

router = APIRouter(prefix="/v1", tags=["cases"])

CaseReader = Annotated[Principal, http.allowed("case.read")]

_UNREADABLE = "None when the caller's roles may not read this part (its own endpoint: 403)"


class CaseFileRead(BaseModel):
    case: CaseRead
    history: HistoryRead | None = Field(description=_UNREADABLE)
    consents: list[ConsentRead] | None = Field(description=_UNREADABLE)
    actions: list[ActionRead] | None = Field(description=_UNREADABLE)
    deadlines: list[DeadlineRead] | None = Field(description=_UNREADABLE)
    letters: list[LetterRead] | None = Field(description=_UNREADABLE)
    referrals: list[ReferralRead] | None = Field(description=_UNREADABLE)
    notes: list[NoteRead] | None = Field(description=_UNREADABLE)
    deadline_rules: list[RuleRead] | None = Field(description=_UNREADABLE)


@router.get(
    "/cases/{case_id}/file",
    **http.answers(
        CaseFileRead,
        "The case file in one read: the case and every part the caller may read",
        description=(
            "The answers of `/v1/cases/{id}`, `/history`, `/consents`, `/actions`, `/deadlines`, "
            "`/letters`, `/referrals`, `/notes` and `/v1/deadline-rules` together, read in one "
            "transaction and audited as those reads are. A part the caller's roles may not read "
            "is null."
        ),
    ),
)
def read_case_file(
    case_id: str, runtime: http.Runtime, principal: CaseReader, response: Response
) -> CaseFileRead:
    case, parts = service.case_file(runtime, principal, case_id=case_id)
    answer: dict[str, Any] = {"case": http.case_answer(case, response), **parts}
    return CaseFileRead.model_validate(answer, from_attributes=True)
