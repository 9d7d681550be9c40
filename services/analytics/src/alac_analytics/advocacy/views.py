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
from alac_kernel.app import runtime_of
from alac_kernel.auth import roles
from alac_kernel.auth.fastapi import require_roles
from alac_kernel.auth.principal import Principal
from alac_kernel.db import session_scope
from alac_kernel.exports import csv_text
from alac_kernel.problems import PROBLEM_JSON, field_error

router = APIRouter(tags=["advocacy"])
Reader = Annotated[
    Principal,
    Depends(require_roles(roles.LAWYER, roles.COORDINATOR, roles.TENANT_ADMIN, roles.ANALYST)),
]
Writer = Annotated[Principal, Depends(require_roles(roles.COORDINATOR, roles.TENANT_ADMIN))]
ERRORS = {
    401: {"description": "Missing or invalid access token", "content": {PROBLEM_JSON: {}}},
    403: {"description": "Role not allowed", "content": {PROBLEM_JSON: {}}},
    404: {"description": "No such proposal in your tenant", "content": {PROBLEM_JSON: {}}},
    412: {"description": "If-Match does not match the version", "content": {PROBLEM_JSON: {}}},
    422: {"description": "Invalid body or parameter", "content": {PROBLEM_JSON: {}}},
}
AreaFilter = Annotated[str | None, Query(max_length=64, pattern=r"^[a-z][a-z0-9_]*$")]


@router.post("/v1/proposals", response_model=ProposalRead, status_code=201, responses=ERRORS)
def create_proposal(request: Request, principal: Writer, body: ProposalCreate) -> ProposalRead:
    with session_scope(runtime_of(request).session_factory, tenant=principal.tenant) as session:
        proposal = service.create(
            session=session, tenant=principal.tenant, by=principal.subject, body=body
        )
        session.flush()
        return ProposalRead.model_validate(proposal)


@router.get("/v1/proposals", response_model=list[ProposalRead], responses=ERRORS)
def list_proposals(
    request: Request,
    principal: Reader,
    section: Section | None = None,
    result: Result | None = None,
    area: AreaFilter = None,
) -> list[ProposalRead]:
    with session_scope(runtime_of(request).session_factory, tenant=principal.tenant) as session:
        found = service.list_proposals(session=session, section=section, result=result, area=area)
        return [ProposalRead.model_validate(p) for p in found]


@router.get("/v1/proposals/{proposal_id}", response_model=ProposalRead, responses=ERRORS)
def get_proposal(request: Request, principal: Reader, proposal_id: str) -> ProposalRead:
    with session_scope(runtime_of(request).session_factory, tenant=principal.tenant) as session:
        return ProposalRead.model_validate(service.get(session=session, proposal_id=proposal_id))


@router.patch("/v1/proposals/{proposal_id}", response_model=ProposalRead, responses=ERRORS)
def update_proposal(
    request: Request,
    principal: Writer,
    proposal_id: str,
    body: ProposalUpdate,
    if_match: Annotated[str | None, Header(alias="If-Match")] = None,
) -> ProposalRead:
    version = None
    if if_match is not None:
        try:
            version = int(if_match.strip('"W/'))
        except ValueError:
            raise field_error("header.If-Match", 'the proposal\'s version, e.g. "3"') from None
    with session_scope(runtime_of(request).session_factory, tenant=principal.tenant) as session:
        proposal = service.update(
            session=session, proposal_id=proposal_id, body=body, if_match=version
        )
        session.flush()
        return ProposalRead.model_validate(proposal)


@router.get(
    "/v1/reports/proposals",
    summary='The report "proposals and adopted changes" (seeds/000 §4.2)',
    responses={**ERRORS, 200: {"content": {"text/csv": {}}}},
)
def proposals_report(
    request: Request,
    principal: Reader,
    period_from: Annotated[
        date | None, Query(alias="from", description="Proposed on or after")
    ] = None,
    period_to: Annotated[
        date | None, Query(alias="to", description="Proposed on or before")
    ] = None,
    fmt: Annotated[Literal["json", "csv"] | None, Query(alias="format")] = None,
) -> Response:
    if period_from and period_to and period_to < period_from:
        raise field_error("query.to", "must not be before `from`")
    with session_scope(runtime_of(request).session_factory, tenant=principal.tenant) as session:
        proposals = [
            p
            for p in service.list_proposals(session=session, section=None, result=None, area=None)
            if (period_from is None or p.proposed_on >= period_from)
            and (period_to is None or p.proposed_on <= period_to)
        ]
        body = service.report(proposals=proposals)
    body["scope"] = {
        "tenant": principal.tenant,
        "from": period_from.isoformat() if period_from else None,
        "to": period_to.isoformat() if period_to else None,
        "basis": "proposals by the date proposed",
    }
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
