"""Search's HTTP API: query parameters to a `SearchQuery`, the use case's answer to JSON.

What each role sees is decided in access.py, the use cases are in service.py."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query

from alac_kernel.auth import roles
from alac_kernel.auth.fastapi import require_roles
from alac_kernel.auth.principal import Principal
from alac_kernel.problems import problem_responses
from alac_search import service
from alac_search.engines.base import FacetField
from alac_search.runtime import SearchRuntime, runtime
from alac_search.schemas import SearchResults, SimilarResults

router = APIRouter(prefix="/v1", tags=["search"])

STAFF = (roles.LAWYER, roles.COORDINATOR, roles.TENANT_ADMIN)
Searcher = Annotated[Principal, Depends(require_roles(roles.VOLUNTEER, *STAFF, roles.ANALYST))]
Reader = Annotated[Principal, Depends(require_roles(roles.VOLUNTEER, *STAFF))]
Runtime = Annotated[SearchRuntime, Depends(runtime)]
PROBLEMS = problem_responses((400, "A query or cursor that cannot be read"), 401, 403, 422)
CODE = r"^[a-z][a-z0-9_]*$"


@router.get(
    "/search",
    response_model=SearchResults,
    summary="Full-text search over the caller's tenant's complaints and cases",
    responses=PROBLEMS,
)
def search(
    runtime: Runtime,
    principal: Searcher,
    q: Annotated[str, Query(min_length=1, max_length=500, description="Query language")],
    status: Annotated[str | None, Query(pattern=CODE, max_length=64)] = None,
    area: Annotated[str | None, Query(pattern=CODE, max_length=64)] = None,
    office: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    channel: Annotated[str | None, Query(pattern=CODE, max_length=64)] = None,
    authority_level: Annotated[str | None, Query(pattern=CODE, max_length=64)] = None,
    assignee: Annotated[str | None, Query(min_length=1, max_length=128)] = None,
    received_from: datetime | None = None,
    received_to: datetime | None = None,
    sort: Literal["relevance", "date"] = "relevance",
    cursor: Annotated[str | None, Query(max_length=2000)] = None,
    facet: Annotated[list[FacetField] | None, Query()] = None,
    limit: Annotated[
        int, Query(ge=0, le=100, description="Hits per page; 0: only the total and the facets")
    ] = 20,
) -> SearchResults:
    filters = {
        "status": status,
        "area": area,
        "office": office,
        "channel": channel,
        "authority_level": authority_level,
        "assignee": assignee,
    }
    return service.search(
        engine=runtime.search_engine,
        session_factory=runtime.session_factory,
        principal=principal,
        asked=service.SearchQuery(
            q=q,
            filters={k: v for k, v in filters.items() if v is not None},
            received_from=received_from,
            received_to=received_to,
            sort=sort,
            cursor=cursor,
            facets=facet or [],
            limit=limit,
        ),
    )


@router.get(
    "/search/similar/{complaint_id}",
    response_model=SimilarResults,
    summary="Complaints about the same kind of respondent body with similar text",
    responses=PROBLEMS | problem_responses((404, "No such complaint")),
)
def similar(
    runtime: Runtime,
    principal: Reader,
    complaint_id: str,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> SimilarResults:
    return service.similar(
        engine=runtime.search_engine, principal=principal, complaint_id=complaint_id, limit=limit
    )
