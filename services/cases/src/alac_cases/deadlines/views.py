"""HTTP API of deadlines: the tenant's rule table, a case's deadlines, overdue work."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from alac_cases import views as http
from alac_cases.deadlines import service
from alac_kernel.auth.principal import Principal

router = APIRouter(prefix="/v1", tags=["deadlines"])

# The callers each route lets in (permissions.MATRIX).
DeadlineRuleReader = Annotated[Principal, http.allowed("deadline_rule.read")]
DeadlineRuleWriter = Annotated[Principal, http.allowed("deadline_rule.write")]
DeadlineWriter = Annotated[Principal, http.allowed("deadline.write")]
DeadlineReader = Annotated[Principal, http.allowed("deadline.read")]
DeadlineSetter = Annotated[http.OneCase, http.one_case("deadline.write")]
DeadlinesReader = Annotated[http.OneCase, http.one_case("deadline.read")]

Code = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]


class RuleIn(http.Strict):
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


class DeadlineIn(http.Strict):
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


@router.get("/deadline-rules", **http.answers(list[RuleRead], "The tenant's deadline rules"))
def list_rules(runtime: http.Runtime, principal: DeadlineRuleReader) -> list[RuleRead]:
    return http.read_all(RuleRead, service.list_rules(runtime, principal))


@router.put(
    "/deadline-rules/{code}",
    **http.answers(RuleRead, "Create or change a deadline rule of the tenant"),
)
def put_rule(
    code: Annotated[str, Path(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)],
    body: RuleIn,
    runtime: http.Runtime,
    principal: DeadlineRuleWriter,
) -> RuleRead:
    rule = service.put_rule(runtime, principal, code=code, **body.model_dump())
    return RuleRead.model_validate(rule, from_attributes=True)


@router.post(
    "/cases/{case_id}/deadlines",
    **http.creates(
        DeadlineRead, "Set a deadline from a rule and a start date, or with an explicit due date"
    ),
)
def set_deadline(body: DeadlineIn, case: DeadlineSetter) -> DeadlineRead:
    deadline = service.set_deadline(
        **case.arguments(), rule_code=body.rule, starts_on=body.starts_on, due_on=body.due_on
    )
    return DeadlineRead.model_validate(deadline, from_attributes=True)


@router.get(
    "/cases/{case_id}/deadlines",
    **http.answers(list[DeadlineRead], "Deadlines of a case, soonest first"),
)
def list_deadlines(case: DeadlinesReader) -> list[DeadlineRead]:
    return http.read_all(DeadlineRead, service.deadlines_of_case(**case.arguments()))


@router.post(
    "/cases/{case_id}/deadlines/{deadline_id}/met",
    **http.answers(DeadlineRead, "Mark a deadline met (the scheduler stops following it)"),
)
def meet_deadline(
    case_id: str, deadline_id: str, runtime: http.Runtime, principal: DeadlineWriter
) -> DeadlineRead:
    deadline = service.meet(runtime, principal, case_id=case_id, deadline_id=deadline_id)
    return DeadlineRead.model_validate(deadline, from_attributes=True)


@router.get(
    "/overdue",
    **http.answers(
        list[OverdueRead], "Deadlines past due and not met, per office and/or per lawyer"
    ),
)
def list_overdue(
    runtime: http.Runtime,
    principal: DeadlineReader,
    office: Annotated[str | None, Query(max_length=64)] = None,
    assignee: Annotated[str | None, Query(max_length=128)] = None,
) -> list[OverdueRead]:
    rows = service.overdue(runtime, principal, office=office, assignee=assignee)
    return [
        OverdueRead(
            **DeadlineRead.model_validate(d, from_attributes=True).model_dump(),
            office=c.office,
            assignee=c.assignee,
        )
        for d, c in rows
    ]
