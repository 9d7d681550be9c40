"""HTTP API of the workflow: transitions, the quick-answer path, history, triage queue."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from alac_cases import views as http
from alac_cases.case.schemas import CaseRead
from alac_cases.workflow import service
from alac_cases.workflow import transitions as wf
from alac_kernel.auth.principal import Principal

router = APIRouter(prefix="/v1", tags=["workflow"])

# The callers each route lets in (permissions.MATRIX).
CaseMover = Annotated[http.CaseCommand, http.command("case.transition")]
QuickAnswerer = Annotated[http.CaseCommand, http.command("case.quick_answer")]
HistoryReader = Annotated[http.OneCase, http.one_case("history.read")]
TriageReader = Annotated[Principal, http.allowed("triage.read")]


class TransitionIn(http.Versioned):
    to_status: str = Field(max_length=32, description=f"One of {', '.join(wf.STATUSES)}")
    reason: str = Field(min_length=1, max_length=2000)
    outcome: str | None = Field(
        default=None, max_length=32, description=f"When closing: one of {', '.join(wf.OUTCOMES)}"
    )


class QuickAnswerIn(http.Versioned):
    answer: str = Field(min_length=1, max_length=8000, description="The advice given")


class StatusChangeRead(BaseModel):
    from_status: str
    to_status: str
    outcome: str | None
    reason: str
    actor: str
    actor_role: str
    changed_at: datetime
    case_version: int


class AssignmentRead(BaseModel):
    assignee: str
    assignee_role: str
    previous_assignee: str | None
    strategy: str
    assigned_by: str
    assigned_at: datetime


class HistoryRead(BaseModel):
    status_changes: list[StatusChangeRead]
    assignments: list[AssignmentRead]
    allowed_next: list[str]


@router.post(
    "/cases/{case_id}/transitions",
    **http.answers(
        CaseRead, "Move a case to another status (409 lists the statuses allowed from here)"
    ),
)
def transition(body: TransitionIn, command: CaseMover) -> CaseRead:
    case = service.move(
        **command.arguments(body),
        to_status=body.to_status,
        reason=body.reason,
        outcome=body.outcome,
    )
    return command.case(case)


@router.post(
    "/cases/{case_id}/quick-answer",
    **http.answers(
        CaseRead, "Answer an information request on the spot and close it as advice given"
    ),
)
def quick_answer(body: QuickAnswerIn, command: QuickAnswerer) -> CaseRead:
    case = service.answer_quickly(**command.arguments(body), answer=body.answer)
    return command.case(case)


@router.get(
    "/cases/{case_id}/history",
    **http.answers(HistoryRead, "Status changes and assignments of a case, oldest first"),
)
def history(case: HistoryReader) -> HistoryRead:
    return HistoryRead.model_validate(service.history(**case.arguments()), from_attributes=True)


@router.get(
    "/triage",
    **http.answers(list[CaseRead], "The triage queue of an office: cases in triage, oldest first"),
)
def triage_queue(
    runtime: http.Runtime,
    principal: TriageReader,
    office: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[CaseRead]:
    cases = service.triage_queue(runtime, principal, office=office, limit=limit)
    return [CaseRead.model_validate(c, from_attributes=True) for c in cases]
