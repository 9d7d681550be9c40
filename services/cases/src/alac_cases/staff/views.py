"""HTTP API of office staff and case assignment."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from alac_cases import views as http
from alac_cases.case.schemas import CaseRead
from alac_cases.staff import administration, service
from alac_kernel.auth.principal import Principal
from alac_kernel.languages import Language

router = APIRouter(prefix="/v1", tags=["staff"])

# The callers each route lets in (permissions.MATRIX).
StaffWriter = Annotated[Principal, http.allowed("staff.write")]
StaffReader = Annotated[Principal, http.allowed("staff.read")]
Assigner = Annotated[http.CaseCommand, http.command("case.assign")]

# The roles as the OpenAPI document's enums, which need the names written out: they are
# service.ASSIGNABLE_ROLES and service.INVITABLE_ROLES (the kernel's constants), checked by
# tests/test_staff_roles.py.
DeclaredRole = Literal["lawyer", "volunteer", "coordinator"]
InvitedRole = Literal["volunteer", "lawyer", "coordinator", "analyst"]

# Staff administration goes through the identity provider first.
ADMINISTRATION = {
    **http.PROBLEMS,
    409: {"description": "Username or e-mail taken by someone else (named in `errors`)"},
    **http.unavailable("The identity provider cannot be reached; nothing changed; retry"),
}


class StaffIn(http.Strict):
    subject: str = Field(min_length=1, max_length=128, description="Token subject (sub)")
    office: str = Field(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_-]*$")
    role: DeclaredRole
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


class InvitationIn(http.Strict):
    username: str = Field(min_length=3, max_length=64, pattern=r"^[a-z0-9][a-z0-9._-]*$")
    email: str = Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    first_name: str = Field(min_length=1, max_length=100)
    last_name: str = Field(min_length=1, max_length=100)
    office: str = Field(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_-]*$")
    role: InvitedRole
    position: str | None = Field(
        default=None, max_length=200, description="Shown under the name on letters"
    )
    language: Language = "ru"


class MoveIn(http.Strict):
    office: str | None = Field(
        default=None, min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_-]*$"
    )
    role: InvitedRole | None = None
    position: str | None = Field(default=None, max_length=200)


class AssignmentIn(http.Versioned):
    assignee: str | None = Field(default=None, min_length=1, max_length=128)
    strategy: Literal["by_hand", "least_loaded"] = "by_hand"


def _answer(member: object) -> StaffRead:
    return StaffRead.model_validate(member, from_attributes=True)


@router.post(
    "/staff", **http.answers(StaffRead, "Add or update a staff member of an office (tenant admin)")
)
def put_staff(body: StaffIn, runtime: http.Runtime, principal: StaffWriter) -> StaffRead:
    member = service.declare_member(runtime, principal, **body.model_dump())
    return _answer(member)


@router.get("/staff", **http.answers(list[StaffRead], "Office staff"))
def get_staff(
    runtime: http.Runtime,
    principal: StaffReader,
    office: Annotated[str | None, Query(max_length=64)] = None,
) -> list[StaffRead]:
    return http.read_all(StaffRead, service.list_staff(runtime, principal, office=office))


@router.post(
    "/cases/{case_id}/assignment",
    **http.answers(CaseRead, "Assign a case by hand or to the least-loaded lawyer of its office"),
)
def assign(body: AssignmentIn, command: Assigner) -> CaseRead:
    case = service.assign(**command.arguments(body), assignee=body.assignee, strategy=body.strategy)
    return command.case(case)


@router.post(
    "/staff/invitations",
    **http.creates(
        StaffRead,
        "Invite a volunteer, lawyer, coordinator or analyst into an office (tenant admin)",
        responses=ADMINISTRATION,
        description="Creates the person's account in the identity provider (a member of the "
        "tenant's organization, with the role and the office), who sets a password and verifies "
        "the e-mail on first sign-in; announces `staff.invited` with name and position. Inviting "
        "the same username again completes an interrupted invitation.",
    ),
)
def invite(body: InvitationIn, runtime: http.Runtime, principal: StaffWriter) -> StaffRead:
    member = administration.invite(runtime, principal, **body.model_dump())
    return _answer(member)


@router.post(
    "/staff/{who}/move",
    **http.answers(
        StaffRead,
        "Move a staff member to another office and/or role (by username, e-mail or id)",
        responses=ADMINISTRATION,
    ),
)
def move(who: str, body: MoveIn, runtime: http.Runtime, principal: StaffWriter) -> StaffRead:
    member = administration.move(runtime, principal, who=who, **body.model_dump())
    return _answer(member)


@router.post(
    "/staff/{who}/deactivate",
    **http.answers(
        StaffRead,
        "Deactivate a staff member: no more sign-in, no new assignments; name kept",
        responses=ADMINISTRATION,
    ),
)
def deactivate(who: str, runtime: http.Runtime, principal: StaffWriter) -> StaffRead:
    member = administration.deactivate(runtime, principal, who=who)
    return _answer(member)
