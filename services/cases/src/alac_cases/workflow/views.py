"""HTTP API of the workflow: transitions, the quick-answer path, history, triage queue."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from alac_cases.actions import service as actions
from alac_cases.api import PROBLEMS, IfMatch, Versioned, unit_of_work
from alac_cases.files import audit, check_version, expected_version, load_case
from alac_cases.models import Case
from alac_cases.permissions import allowed
from alac_cases.staff import service as staff
from alac_cases.views import CaseRead
from alac_cases.workflow import service
from alac_cases.workflow import transitions as wf
from alac_kernel.db import utcnow
from alac_kernel.problems import Problem

router = APIRouter(prefix="/v1", tags=["workflow"])


class TransitionIn(Versioned):
    to_status: str = Field(max_length=32, description=f"One of {', '.join(wf.STATUSES)}")
    reason: str = Field(min_length=1, max_length=2000)
    outcome: str | None = Field(
        default=None, max_length=32, description=f"When closing: one of {', '.join(wf.OUTCOMES)}"
    )


class QuickAnswerIn(Versioned):
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


def _read(case: Case, response: Response) -> CaseRead:
    response.headers["ETag"] = f'"{case.version}"'
    return CaseRead.model_validate(case, from_attributes=True)


@router.post(
    "/cases/{case_id}/transitions",
    response_model=CaseRead,
    responses=PROBLEMS,
    summary="Move a case to another status (409 lists the statuses allowed from here)",
)
def transition(
    case_id: str,
    body: TransitionIn,
    request: Request,
    response: Response,
    principal: allowed("case.transition"),
    if_match: IfMatch = None,
) -> CaseRead:
    version = expected_version(if_match=if_match, body_version=body.version)
    with unit_of_work(request, principal) as (session, outbox):
        case = load_case(session=session, case_id=case_id, principal=principal, for_update=True)
        check_version(case, version)
        service.transition(
            session=session,
            outbox=outbox,
            case=case,
            principal=principal,
            to_status=body.to_status,
            reason=body.reason,
            outcome=body.outcome,
        )
        audit(
            session=session,
            principal=principal,
            what="case.transition",
            case_id=case.id,
            detail={"to_status": body.to_status, "outcome": body.outcome},
        )
        return _read(case, response)


@router.post(
    "/cases/{case_id}/quick-answer",
    response_model=CaseRead,
    responses=PROBLEMS,
    summary="Answer an information request on the spot and close it as advice given",
)
def quick_answer(
    case_id: str,
    body: QuickAnswerIn,
    request: Request,
    response: Response,
    principal: allowed("case.quick_answer"),
    if_match: IfMatch = None,
) -> CaseRead:
    version = expected_version(if_match=if_match, body_version=body.version)
    with unit_of_work(request, principal) as (session, outbox):
        case = load_case(session=session, case_id=case_id, principal=principal, for_update=True)
        check_version(case, version)
        if case.status != wf.QUICK_ANSWER:
            raise Problem(
                409,
                f"Only a case on the quick-answer path can be answered this way; this one is "
                f"in '{case.status}'.",
                title="Transition not allowed",
                current_status=case.status,
                allowed=wf.allowed_from(case.status, anonymous=case.anonymous),
            )
        actions.record(
            session=session,
            outbox=outbox,
            case=case,
            principal=principal,
            action_type="advice",
            summary=body.answer,
            occurred_at=utcnow(),
        )
        service.transition(
            session=session,
            outbox=outbox,
            case=case,
            principal=principal,
            to_status=wf.CLOSED,
            reason="information request answered",
            outcome="advice_given",
        )
        audit(session=session, principal=principal, what="case.quick_answer", case_id=case.id)
        return _read(case, response)


@router.get(
    "/cases/{case_id}/history",
    response_model=HistoryRead,
    responses=PROBLEMS,
    summary="Status changes and assignments of a case, oldest first",
)
def history(case_id: str, request: Request, principal: allowed("history.read")) -> HistoryRead:
    with unit_of_work(request, principal) as (session, _):
        case = load_case(session=session, case_id=case_id, principal=principal)
        audit(session=session, principal=principal, what="case.history", case_id=case.id)
        return HistoryRead(
            status_changes=[
                StatusChangeRead.model_validate(c, from_attributes=True)
                for c in service.history(session=session, case_id=case.id)
            ],
            assignments=[
                AssignmentRead.model_validate(a, from_attributes=True)
                for a in staff.assignments(session=session, case_id=case.id)
            ],
            allowed_next=wf.allowed_from(case.status, anonymous=case.anonymous),
        )


@router.get(
    "/triage",
    response_model=list[CaseRead],
    responses=PROBLEMS,
    summary="The triage queue of an office: cases in triage, oldest first",
)
def triage_queue(
    request: Request,
    principal: allowed("triage.read"),
    office: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[CaseRead]:
    # Volunteers see their own office's queue whatever they ask for.
    if principal.has_any("lawyer", "coordinator"):
        office = office or principal.office
    else:
        office = principal.office or "-"
    with unit_of_work(request, principal) as (session, _):
        query = (
            select(Case)
            .where(Case.status == wf.TRIAGE)
            .order_by(Case.opened_at, Case.id)
            .limit(limit)
        )
        if office:
            query = query.where(Case.office == office)
        cases = list(session.execute(query).scalars())
        audit(
            session=session,
            principal=principal,
            what="triage.list",
            detail={"office": office, "case_ids": [c.id for c in cases]},
        )
        return [CaseRead.model_validate(c, from_attributes=True) for c in cases]
