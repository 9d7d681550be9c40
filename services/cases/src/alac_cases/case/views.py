"""HTTP API of cases: the list, one case, the case of a complaint."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from pydantic import AwareDatetime

from alac_cases import views as http
from alac_cases.case import service
from alac_cases.case.schemas import CasePage, CaseRead, case_page
from alac_kernel.auth.principal import Principal

router = APIRouter(prefix="/v1", tags=["cases"])

# The callers each route lets in (permissions.MATRIX).
CaseReader = Annotated[Principal, http.allowed("case.read")]


@router.get("/cases", **http.answers(CasePage, "Cases, newest first"))
def list_cases(
    runtime: http.Runtime,
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
    cases = service.list_cases(
        runtime, principal, office=office, status=status, assignee=assignee,
        complaint_id=complaint_id, limit=limit, before=before, before_id=before_id,
    )  # fmt: skip
    return case_page(cases, limit)


@router.get(
    "/cases/by-complaint/{complaint_id}",
    **http.answers(
        CaseRead,
        "The case of a complaint",
        description=(
            "The case opened for the complaint with this id (intake's `id`), with the same roles, "
            "office scope and audit as `GET /v1/cases/{case_id}`. 404 until cases has consumed "
            "the complaint's `complaint.received` (and for another tenant's or office's)."
        ),
    ),
)
def read_case_of_complaint(
    complaint_id: Annotated[str, Path(max_length=64)],
    runtime: http.Runtime,
    response: Response,
    principal: CaseReader,
) -> CaseRead:
    case = service.get_case_of_complaint(runtime, principal, complaint_id=complaint_id)
    return http.case_answer(case, response)


@router.get("/cases/{case_id}", **http.answers(CaseRead, "One case"))
def read_case(
    case_id: str, runtime: http.Runtime, response: Response, principal: CaseReader
) -> CaseRead:
    return http.case_answer(service.get_case(runtime, principal, case_id=case_id), response)
