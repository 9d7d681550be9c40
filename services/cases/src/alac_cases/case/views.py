"""Cases' HTTP API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import AwareDatetime, BaseModel, Field

from alac_cases import service
from alac_cases.api import PROBLEMS
from alac_cases.files import audit, load_case, load_case_of_complaint, office_scope
from alac_cases.permissions import allowed
from alac_kernel.app import runtime_of
from alac_kernel.db import session_scope
from alac_kernel.problems import field_error

router = APIRouter(prefix="/v1", tags=["cases"])

CaseReader = allowed("case.read")


class CaseRead(BaseModel):
    id: str
    complaint_id: str
    office: str
    status: str
    channel: str
    request_type: str | None
    area: str | None
    anonymous: bool
    crux: str
    received_at: datetime
    opened_at: datetime
    version: int
    assignee: str | None = None
    assignee_name: str | None = Field(
        default=None, description="The assignee's name from the staff registry"
    )
    outcome: str | None = None
    closed_at: datetime | None = None


class CasePage(BaseModel):
    items: list[CaseRead]
    next_before: datetime | None
    next_before_id: str | None = None


@router.get("/cases", response_model=CasePage, responses=PROBLEMS, summary="Cases, newest first")
def list_cases(
    request: Request,
    principal: CaseReader,
    office: Annotated[str | None, Query(max_length=64)] = None,
    status: Annotated[str | None, Query(max_length=32)] = None,
    assignee: Annotated[
        str | None, Query(min_length=1, max_length=128, description="Token subject (sub)")
    ] = None,
    complaint_id: Annotated[str | None, Query(min_length=1, max_length=36)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    before: Annotated[
        AwareDatetime | None,
        Query(description="Cursor: `next_before` of the previous page (with a timezone)"),
    ] = None,
    before_id: Annotated[
        str | None,
        Query(max_length=36, description="Cursor tie-breaker: `next_before_id` of that page"),
    ] = None,
) -> CasePage:
    if before_id is not None and before is None:
        raise field_error("query.before_id", "only allowed together with query.before")
    scope = office_scope(principal)
    with session_scope(runtime_of(request).session_factory, tenant=principal.tenant) as session:
        cases = service.list_cases(
            session=session,
            office=scope or office,
            status=status,
            assignee=assignee,
            complaint_id=complaint_id,
            limit=limit,
            before=before,
            before_id=before_id,
        )
        items = [CaseRead.model_validate(c, from_attributes=True) for c in cases]
        audit(
            session=session,
            principal=principal,
            what="case.list",
            detail={"case_ids": [c.id for c in cases]},
        )
    last = items[-1] if len(items) == limit else None
    return CasePage(
        items=items,
        next_before=last.opened_at if last else None,
        next_before_id=last.id if last else None,
    )


@router.get(
    "/cases/by-complaint/{complaint_id}",
    response_model=CaseRead,
    responses=PROBLEMS,
    summary="The case of a complaint",
    description=(
        "The case opened for the complaint with this id (intake's `id`), with the same roles, "
        "office scope and audit as `GET /v1/cases/{case_id}`. 404 until cases has consumed "
        "the complaint's `complaint.received` (and for another tenant's or office's)."
    ),
)
def read_case_of_complaint(
    complaint_id: Annotated[str, Path(max_length=64)],
    request: Request,
    response: Response,
    principal: CaseReader,
) -> CaseRead:
    with session_scope(runtime_of(request).session_factory, tenant=principal.tenant) as session:
        case = load_case_of_complaint(
            session=session, complaint_id=complaint_id, principal=principal
        )
        audit(session=session, principal=principal, what="case.read", case_id=case.id)
        response.headers["ETag"] = f'"{case.version}"'
        return CaseRead.model_validate(case, from_attributes=True)


@router.get("/cases/{case_id}", response_model=CaseRead, responses=PROBLEMS, summary="One case")
def read_case(
    case_id: str, request: Request, response: Response, principal: CaseReader
) -> CaseRead:
    with session_scope(runtime_of(request).session_factory, tenant=principal.tenant) as session:
        case = load_case(session=session, case_id=case_id, principal=principal)
        audit(session=session, principal=principal, what="case.read", case_id=case.id)
        response.headers["ETag"] = f'"{case.version}"'
        return CaseRead.model_validate(case, from_attributes=True)
