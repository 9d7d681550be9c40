"""HTTP API of office staff and case assignment."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from alac_cases.api import PROBLEMS, IfMatch, Strict, Versioned, unit_of_work
from alac_cases.files import audit, check_version, expected_version, load_case
from alac_cases.permissions import allowed
from alac_cases.staff import administration, service
from alac_cases.views import CaseRead

router = APIRouter(prefix="/v1", tags=["staff"])


class StaffIn(Strict):
    subject: str = Field(min_length=1, max_length=128, description="Token subject (sub)")
    office: str = Field(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_-]*$")
    role: Literal["lawyer", "volunteer", "coordinator"]
    active: bool = True
    display_name: str | None = Field(
        default=None, min_length=1, max_length=200, description="Name signing letters of support"
    )
    position: str | None = Field(
        default=None, min_length=1, max_length=200, description="Position under the signature"
    )


class StaffRead(BaseModel):
    subject: str
    office: str
    role: str
    active: bool
    added_at: datetime
    # Filled for staff invited through the platform (identity provider); null for members
    # declared by subject alone.
    username: str | None = None
    display_name: str | None = None
    position: str | None = None
    email: str | None = None
    language: str | None = None


class InvitationIn(Strict):
    username: str = Field(min_length=3, max_length=64, pattern=r"^[a-z0-9][a-z0-9._-]*$")
    email: str = Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    first_name: str = Field(min_length=1, max_length=100)
    last_name: str = Field(min_length=1, max_length=100)
    office: str = Field(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_-]*$")
    role: Literal["volunteer", "lawyer", "coordinator", "analyst"]
    position: str | None = Field(
        default=None, max_length=200, description="Shown under the name on letters"
    )
    language: Literal["kk", "ru", "en"] = "ru"


class MoveIn(Strict):
    office: str | None = Field(
        default=None, min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_-]*$"
    )
    role: Literal["volunteer", "lawyer", "coordinator", "analyst"] | None = None
    position: str | None = Field(default=None, max_length=200)


class AssignmentIn(Versioned):
    assignee: str | None = Field(default=None, min_length=1, max_length=128)
    strategy: Literal["by_hand", "least_loaded"] = "by_hand"


@router.post(
    "/staff",
    response_model=StaffRead,
    responses=PROBLEMS,
    summary="Add or update a staff member of an office (tenant admin)",
)
def put_staff(body: StaffIn, request: Request, principal: allowed("staff.write")) -> StaffRead:
    with unit_of_work(request, principal) as (session, _):
        member = service.upsert_staff(
            session=session,
            tenant_id=principal.tenant,
            subject=body.subject,
            office=body.office,
            role=body.role,
            active=body.active,
            display_name=body.display_name,
            position=body.position,
        )
        audit(session=session, principal=principal, what="staff.write", detail=body.model_dump())
        return StaffRead.model_validate(member, from_attributes=True)


@router.get("/staff", response_model=list[StaffRead], responses=PROBLEMS, summary="Office staff")
def get_staff(
    request: Request,
    principal: allowed("staff.read"),
    office: Annotated[str | None, Query(max_length=64)] = None,
) -> list[StaffRead]:
    with unit_of_work(request, principal) as (session, _):
        return [
            StaffRead.model_validate(m, from_attributes=True)
            for m in service.list_staff(session=session, office=office)
        ]


@router.post(
    "/cases/{case_id}/assignment",
    response_model=CaseRead,
    responses=PROBLEMS,
    summary="Assign a case by hand or to the least-loaded lawyer of its office",
)
def assign(
    case_id: str,
    body: AssignmentIn,
    request: Request,
    response: Response,
    principal: allowed("case.assign"),
    if_match: IfMatch = None,
) -> CaseRead:
    version = expected_version(if_match=if_match, body_version=body.version)
    with unit_of_work(request, principal) as (session, outbox):
        case = load_case(session=session, case_id=case_id, principal=principal, for_update=True)
        check_version(case, version)
        assignment = service.assign(
            session=session,
            outbox=outbox,
            case=case,
            principal=principal,
            assignee=body.assignee,
            strategy=body.strategy,
        )
        audit(
            session=session,
            principal=principal,
            what="case.assign",
            case_id=case.id,
            detail={"assignee": assignment.assignee, "strategy": body.strategy},
        )
        response.headers["ETag"] = f'"{case.version}"'
        return CaseRead.model_validate(case, from_attributes=True)


@router.post(
    "/staff/invitations",
    status_code=201,
    response_model=StaffRead,
    responses=administration.RESPONSES,
    summary="Invite a volunteer, lawyer, coordinator or analyst into an office (tenant admin)",
    description="Creates the person's account in the identity provider (a member of the "
    "tenant's organization, with the role and the office), who sets a password and verifies "
    "the e-mail on first sign-in; announces `staff.invited` with name and position. Inviting "
    "the same username again completes an interrupted invitation.",
)
def invite(body: InvitationIn, request: Request, principal: allowed("staff.write")) -> StaffRead:
    member = administration.invite(request=request, principal=principal, body=body)
    return StaffRead.model_validate(member, from_attributes=True)


@router.post(
    "/staff/{who}/move",
    response_model=StaffRead,
    responses=administration.RESPONSES,
    summary="Move a staff member to another office and/or role (by username, e-mail or id)",
)
def move(who: str, body: MoveIn, request: Request, principal: allowed("staff.write")) -> StaffRead:
    member = administration.move(request=request, principal=principal, who=who, body=body)
    return StaffRead.model_validate(member, from_attributes=True)


@router.post(
    "/staff/{who}/deactivate",
    response_model=StaffRead,
    responses=administration.RESPONSES,
    summary="Deactivate a staff member: no more sign-in, no new assignments; name kept",
)
def deactivate(who: str, request: Request, principal: allowed("staff.write")) -> StaffRead:
    member = administration.deactivate(request=request, principal=principal, who=who)
    return StaffRead.model_validate(member, from_attributes=True)
