"""HTTP API of deadlines: the tenant's rule table, a case's deadlines, overdue work."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, Field

from alac_cases.api import PROBLEMS, Strict, list_of_case, unit_of_work
from alac_cases.deadlines import service
from alac_cases.files import audit, load_case
from alac_cases.permissions import allowed

router = APIRouter(prefix="/v1", tags=["deadlines"])

Code = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]


class RuleIn(Strict):
    days: int = Field(ge=1, le=3650)
    day_kind: Literal["calendar", "working"]
    warn_days: int = Field(ge=0, le=60)
    description: str = Field(min_length=1, max_length=400)


class RuleRead(BaseModel):
    code: str
    days: int
    day_kind: str
    warn_days: int
    description: str


class DeadlineIn(Strict):
    rule: Code | None = Field(default=None, description="Code of a deadline rule of the tenant")
    starts_on: date | None = Field(default=None, description="Day the term starts counting from")
    due_on: date | None = Field(default=None, description="Explicit last day (instead of a rule)")


class DeadlineRead(BaseModel):
    id: str
    case_id: str
    rule: str
    starts_on: date
    due_at: datetime
    met_at: datetime | None
    warned: bool
    missed: bool
    created_by: str


class OverdueRead(DeadlineRead):
    office: str
    assignee: str | None


@router.get(
    "/deadline-rules",
    response_model=list[RuleRead],
    responses=PROBLEMS,
    summary="The tenant's deadline rules",
)
def list_rules(request: Request, principal: allowed("deadline_rule.read")) -> list[RuleRead]:
    with unit_of_work(request, principal) as (session, _):
        rules = service.list_rules(session=session, tenant_id=principal.tenant)
        return [RuleRead.model_validate(r, from_attributes=True) for r in rules]


@router.put(
    "/deadline-rules/{code}",
    response_model=RuleRead,
    responses=PROBLEMS,
    summary="Create or change a deadline rule of the tenant",
)
def put_rule(
    code: Annotated[str, Path(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)],
    body: RuleIn,
    request: Request,
    principal: allowed("deadline_rule.write"),
) -> RuleRead:
    with unit_of_work(request, principal) as (session, _):
        rule = service.put_rule(
            session=session, tenant_id=principal.tenant, code=code, **body.model_dump()
        )
        return RuleRead.model_validate(rule, from_attributes=True)


@router.post(
    "/cases/{case_id}/deadlines",
    response_model=DeadlineRead,
    status_code=201,
    responses=PROBLEMS,
    summary="Set a deadline from a rule and a start date, or with an explicit due date",
)
def set_deadline(
    case_id: str, body: DeadlineIn, request: Request, principal: allowed("deadline.write")
) -> DeadlineRead:
    with unit_of_work(request, principal) as (session, _):
        case = load_case(session=session, case_id=case_id, principal=principal, for_update=True)
        deadline = service.set_deadline(
            session=session,
            case=case,
            principal=principal,
            rule_code=body.rule,
            starts_on=body.starts_on,
            due_on=body.due_on,
        )
        audit(
            session=session,
            principal=principal,
            what="deadline.set",
            case_id=case.id,
            detail={"deadline_id": deadline.id, "rule": deadline.rule},
        )
        return DeadlineRead.model_validate(deadline, from_attributes=True)


@router.get(
    "/cases/{case_id}/deadlines",
    response_model=list[DeadlineRead],
    responses=PROBLEMS,
    summary="Deadlines of a case, soonest first",
)
def list_deadlines(
    case_id: str, request: Request, principal: allowed("deadline.read")
) -> list[DeadlineRead]:
    return list_of_case(
        request,
        principal,
        case_id=case_id,
        what="deadline.read",
        rows=service.list_deadlines,
        read=DeadlineRead,
    )


@router.post(
    "/cases/{case_id}/deadlines/{deadline_id}/met",
    response_model=DeadlineRead,
    responses=PROBLEMS,
    summary="Mark a deadline met (the scheduler stops following it)",
)
def meet_deadline(
    case_id: str, deadline_id: str, request: Request, principal: allowed("deadline.write")
) -> DeadlineRead:
    with unit_of_work(request, principal) as (session, _):
        case = load_case(session=session, case_id=case_id, principal=principal)
        deadline = service.meet(session=session, case=case, deadline_id=deadline_id)
        audit(
            session=session,
            principal=principal,
            what="deadline.met",
            case_id=case.id,
            detail={"deadline_id": deadline.id},
        )
        return DeadlineRead.model_validate(deadline, from_attributes=True)


@router.get(
    "/overdue",
    response_model=list[OverdueRead],
    responses=PROBLEMS,
    summary="Deadlines past due and not met, per office and/or per lawyer",
)
def list_overdue(
    request: Request,
    principal: allowed("deadline.read"),
    office: Annotated[str | None, Query(max_length=64)] = None,
    assignee: Annotated[str | None, Query(max_length=128)] = None,
) -> list[OverdueRead]:
    with unit_of_work(request, principal) as (session, _):
        rows = service.overdue(session=session, office=office, assignee=assignee)
        audit(
            session=session,
            principal=principal,
            what="deadline.overdue",
            detail={"office": office, "assignee": assignee},
        )
        return [
            OverdueRead(
                **DeadlineRead.model_validate(d, from_attributes=True).model_dump(),
                office=c.office,
                assignee=c.assignee,
            )
            for d, c in rows
        ]
