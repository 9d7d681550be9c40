"""Search's HTTP API."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel

from alac_kernel.auth import roles
from alac_kernel.auth.fastapi import require_roles
from alac_kernel.auth.principal import Principal
from alac_kernel.problems import PROBLEM_JSON, Problem
from alac_search.engine import EmbeddedIndex, QueryError

router = APIRouter(prefix="/v1", tags=["search"])

Searcher = Annotated[
    Principal,
    Depends(require_roles(roles.VOLUNTEER, roles.LAWYER, roles.COORDINATOR, roles.TENANT_ADMIN)),
]


class SearchHit(BaseModel):
    id: str
    office: str | None
    status: str | None
    channel: str | None
    area: str | None
    case_id: str | None
    received_at: str | None
    snippet: str


class SearchResults(BaseModel):
    query: str
    items: list[SearchHit]


@router.get(
    "/search",
    response_model=SearchResults,
    summary="Full-text search over the caller's tenant's complaints",
    responses={
        400: {"description": "A query the engine cannot read", "content": {PROBLEM_JSON: {}}},
        401: {"description": "Missing or invalid access token", "content": {PROBLEM_JSON: {}}},
        403: {"description": "Role not allowed", "content": {PROBLEM_JSON: {}}},
        422: {"description": "Invalid parameter", "content": {PROBLEM_JSON: {}}},
    },
)
def search(
    request: Request,
    principal: Searcher,
    q: Annotated[str, Query(min_length=1, max_length=500)],
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> SearchResults:
    index: EmbeddedIndex = request.app.state.search_index
    # Volunteers see their own office's intake only.
    office = (
        None
        if principal.has_any(roles.LAWYER, roles.COORDINATOR, roles.TENANT_ADMIN)
        else principal.office or "-"
    )
    try:
        hits = index.search(principal.tenant, q, office=office, limit=limit)
    except QueryError as exc:
        raise Problem(400, str(exc), errors=[{"field": "query.q", "reason": str(exc)}]) from exc
    return SearchResults(query=q, items=[SearchHit(**hit.__dict__) for hit in hits])
