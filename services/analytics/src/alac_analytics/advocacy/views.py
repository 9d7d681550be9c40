"""The advocacy tracker's API and the "proposals and adopted changes" report."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import JSONResponse

from alac_analytics.advocacy import service
from alac_analytics.advocacy.schemas import (
    ProposalCreate,
    ProposalRead,
    ProposalUpdate,
    Result,
    Section,
)
from alac_analytics.runtime import AnalyticsRuntime, runtime
from alac_kernel.auth import roles
from alac_kernel.auth.fastapi import require_roles
from alac_kernel.auth.principal import Principal
from alac_kernel.exports import csv_text
from alac_kernel.problems import problem_responses
from alac_kernel.versions import parse_if_match

router = APIRouter(tags=["advocacy"])
Reader = Annotated[
    Principal,
    Depends(require_roles(roles.LAWYER, roles.COORDINATOR, roles.TENANT_ADMIN, roles.ANALYST)),
]
Writer = Annotated[Principal, Depends(require_roles(roles.COORDINATOR, roles.TENANT_ADMIN))]
Runtime = Annotated[AnalyticsRuntime, Depends(runtime)]
ERRORS = problem_responses(
    401, 403, (404, "No such proposal in your tenant"), 412, (422, "Invalid body or parameter")
)
AreaFilter = Annotated[str | None, Query(max_length=64, pattern=r"^[a-z][a-z0-9_]*$")]


@router.post("/v1/proposals", response_model=ProposalRead, status_code=201, responses=ERRORS)
def create_proposal(runtime: Runtime, principal: Writer, body: ProposalCreate) -> ProposalRead:
    return service.create_proposal(
        session_factory=runtime.session_factory,
        tenant=principal.tenant,
        by=principal.subject,
        body=body,
    )


@router.get("/v1/proposals", response_model=list[ProposalRead], responses=ERRORS)
def list_proposals(
    runtime: Runtime,
    principal: Reader,
    section: Section | None = None,
    result: Result | None = None,
    area: AreaFilter = None,
) -> list[ProposalRead]:
    return service.proposals_of(
        session_factory=runtime.session_factory,
        tenant=principal.tenant,
        section=section,
        result=result,
        area=area,
    )


@router.get("/v1/proposals/{proposal_id}", response_model=ProposalRead, responses=ERRORS)
def get_proposal(runtime: Runtime, principal: Reader, proposal_id: str) -> ProposalRead:
    return service.proposal(
        session_factory=runtime.session_factory, tenant=principal.tenant, proposal_id=proposal_id
    )


@router.patch("/v1/proposals/{proposal_id}", response_model=ProposalRead, responses=ERRORS)
def update_proposal(
    runtime: Runtime,
    principal: Writer,
    proposal_id: str,
    body: ProposalUpdate,
    if_match: Annotated[str | None, Header(alias="If-Match")] = None,
) -> ProposalRead:
    return service.change_proposal(
        session_factory=runtime.session_factory,
        tenant=principal.tenant,
        proposal_id=proposal_id,
        body=body,
        # Optional here: without it the change applies to whatever version is current.
        if_match=parse_if_match(if_match, what="proposal") if if_match is not None else None,
    )


@router.get(
    "/v1/reports/proposals",
    summary='The report "proposals and adopted changes" (seeds/000 §4.2)',
    responses=ERRORS | {200: {"content": {"text/csv": {}}}},
)
def proposals_report(
    request: Request,
    runtime: Runtime,
    principal: Reader,
    period_from: Annotated[
        date | None, Query(alias="from", description="Proposed on or after")
    ] = None,
    period_to: Annotated[
        date | None, Query(alias="to", description="Proposed on or before")
    ] = None,
    fmt: Annotated[Literal["json", "csv"] | None, Query(alias="format")] = None,
) -> Response:
    body = service.proposals_report(
        session_factory=runtime.session_factory,
        tenant=principal.tenant,
        period_from=period_from,
        period_to=period_to,
    )
    wants_csv = fmt == "csv" or (fmt is None and "text/csv" in request.headers.get("accept", ""))
    if not wants_csv:
        return JSONResponse(body)
    header = ("section", "proposal", "result", "detail", "document", "proposed_on",
              "result_on", "complaints", "alerts")  # fmt: skip
    rows = (
        (
            section["title"],
            p["proposal"],
            p["result"],
            p["detail"],
            p["document"],
            p["proposed_on"],
            p["result_on"],
            p["motivated_by"]["complaints"],
            p["motivated_by"]["alerts"],
        )  # fmt: skip
        for section in body["sections"]
        for p in section["proposals"]
    )
    return Response(csv_text(header, rows), media_type="text/csv; charset=utf-8")
