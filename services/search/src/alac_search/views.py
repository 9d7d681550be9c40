"""Search's HTTP API. What each role sees:

- volunteers: their own office's complaints, intake fields only (no case status, assignee or
  outcome, and no filtering or counting by them);
- lawyers, coordinators, tenant admins: every complaint and case of their tenant;
- analysts: counts only (total and facets), never text, snippets or ids; counts from 1 to the
  small-cell threshold - 1 are null, with complementary cells (alac_kernel.small_cells), since
  a query can be narrowed to one complaint (a rare word) and then ask yes/no questions about
  its text or read its fields from the facets.
The tenant always comes from the token and is part of the engine query itself.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from alac_kernel.app import runtime_of
from alac_kernel.auth import roles
from alac_kernel.auth.fastapi import require_roles
from alac_kernel.auth.principal import Principal
from alac_kernel.db import session_scope
from alac_kernel.problems import PROBLEM_JSON, Problem, not_found
from alac_kernel.small_cells import perturb, suppress_summary
from alac_search import privacy
from alac_search.engines.base import (
    CASE_FIELDS,
    FACET_FIELDS,
    CursorError,
    Hit,
    Page,
    SearchEngine,
    SearchRequest,
)
from alac_search.query.parser import QueryError, parse

router = APIRouter(prefix="/v1", tags=["search"])

STAFF = (roles.LAWYER, roles.COORDINATOR, roles.TENANT_ADMIN)
Searcher = Annotated[Principal, Depends(require_roles(roles.VOLUNTEER, *STAFF, roles.ANALYST))]
Reader = Annotated[Principal, Depends(require_roles(roles.VOLUNTEER, *STAFF))]
PROBLEMS: dict[int | str, dict[str, Any]] = {
    400: {"description": "A query or cursor that cannot be read", "content": {PROBLEM_JSON: {}}},
    401: {"description": "Missing or invalid access token", "content": {PROBLEM_JSON: {}}},
    403: {"description": "Role not allowed", "content": {PROBLEM_JSON: {}}},
    422: {"description": "Invalid parameter", "content": {PROBLEM_JSON: {}}},
}
CODE = r"^[a-z][a-z0-9_]*$"


class SearchHit(BaseModel):
    id: str
    office: str | None = None
    channel: str | None = None
    area: str | None = None
    sub_area: str | None = None
    authority_level: str | None = None
    respondent_body_type: str | None = None
    received_at: str | None = None
    status: str | None = None
    case_id: str | None = None
    assignee: str | None = None
    outcome: str | None = None
    snippet: str | None = None


class SearchResults(BaseModel):
    query: str
    total: int | None = Field(
        description="null when a counts-only role would see 0 to small_cell_threshold - 1"
    )
    items: list[SearchHit]
    facets: dict[str, dict[str, int | None]] = Field(
        description="null cells are hidden small cells (or their complements) for counts-only roles"
    )
    next_cursor: str | None
    small_cell_threshold: int | None = Field(
        default=None, description="set when small counts were hidden from this role's answer"
    )


#: The unpublished remainder of a facet (documents without a value for the field), so a hidden
#: cell whose complement is only this remainder is not over-protected by hiding the total.
_REST = "\x00rest"


def _suppressed(page: Page, threshold: int) -> tuple[
    int | None, dict[str, dict[str, int | None]]
]:  # fmt: skip
    """Small cells hidden (with their complements), then every figure left perturbed by its
    cell key, so two visible totals cannot be subtracted to reveal one complaint."""
    total, facets = page.total, page.facets
    if total < threshold:
        # Zero is hidden too, and so is which facet values occur: a query narrowed to one
        # complaint would otherwise answer yes/no (0 or hidden) and name the hit's fields.
        return None, {name: {} for name in facets}
    with_rest = {
        name: {**cells, _REST: max(0, total - sum(cells.values()))}
        for name, cells in facets.items()
    }
    shown_total, shown = suppress_summary(total, with_rest, threshold)
    if shown_total is not None:
        shown_total = perturb(shown_total, page.total_key or 0, threshold)
    return shown_total, {
        name: {
            v: (
                None
                if n is None
                else perturb(n, page.facet_keys.get(name, {}).get(v, 0), threshold)
            )
            for v, n in cells.items()
            if v != _REST
        }
        for name, cells in shown.items()
    }


def _threshold(request: Request, tenant: str) -> int:
    """The tenant's own small-cell threshold where it set one (never below the platform's),
    as analytics announced it (tenant.privacy_settings_changed)."""
    with session_scope(runtime_of(request).session_factory, tenant=tenant) as session:
        return privacy.threshold(session=session, tenant=tenant)


def _engine(request: Request) -> SearchEngine:
    return request.app.state.search_engine


def _sees_cases(principal: Principal) -> bool:
    return principal.has_any(*STAFF)


def _hit(hit: Hit, principal: Principal) -> SearchHit:
    fields = dict(hit.fields)
    if not _sees_cases(principal):
        for name in CASE_FIELDS:
            fields.pop(name, None)
    return SearchHit(id=hit.id, snippet=hit.snippet, **{
        k: v for k, v in fields.items() if k in SearchHit.model_fields and k != "id"
    })  # fmt: skip


def _utc(value: datetime | None, field: str) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC).isoformat()
    except OverflowError as exc:  # e.g. year 1 at +05:00 falls before year 1 in UTC
        raise _bad(field, "out of range once converted to UTC") from exc


def _bad(field: str, reason: str) -> Problem:
    return Problem(400, reason, errors=[{"field": field, "reason": reason}])


@router.get(
    "/search",
    response_model=SearchResults,
    summary="Full-text search over the caller's tenant's complaints and cases",
    responses=PROBLEMS,
)
def search(
    request: Request,
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
    facet: Annotated[list[Literal[*FACET_FIELDS]] | None, Query()] = None,  # type: ignore[valid-type]
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> SearchResults:
    filters = {
        k: v
        for k, v in {
            "status": status,
            "area": area,
            "office": office,
            "channel": channel,
            "authority_level": authority_level,
            "assignee": assignee,
        }.items()
        if v is not None
    }
    facets = list(dict.fromkeys(facet or []))
    analyst_only = not principal.has_any(roles.VOLUNTEER, *STAFF)
    if analyst_only and not facets:
        facets = list(FACET_FIELDS)
    if not _sees_cases(principal) and not analyst_only:
        for name in ("status", "assignee"):
            if name in filters or name in facets:
                field = f"query.{name}" if name in filters else "query.facet"
                raise _bad(field, f"{name} is a case field this role does not see")
    if principal.has_any(roles.VOLUNTEER) and not _sees_cases(principal):
        own = principal.office or "-"
        if filters.get("office", own) != own:
            return SearchResults(query=q, total=0, items=[], facets={}, next_cursor=None)
        filters["office"] = own
    try:
        node = parse(q)
    except QueryError as exc:
        raise _bad("query.q", str(exc)) from exc
    try:
        page = _engine(request).search(
            SearchRequest(
                tenant=principal.tenant,
                query=node,
                filters=filters,
                received_from=_utc(received_from, "query.received_from"),
                received_to=_utc(received_to, "query.received_to"),
                sort=sort,
                cursor=cursor,
                limit=limit,
                facets=facets,
                with_hits=not analyst_only,
                highlight=not analyst_only,
                cell_keys=analyst_only,
            )
        )
    except QueryError as exc:
        raise _bad("query.q", str(exc)) from exc
    except CursorError as exc:
        raise _bad("query.cursor", str(exc)) from exc
    if analyst_only:
        threshold = _threshold(request, principal.tenant)
        total, shown = _suppressed(page, threshold)
        return SearchResults(
            query=q,
            total=total,
            items=[],
            facets=shown,
            next_cursor=None,
            small_cell_threshold=threshold,
        )
    return SearchResults(
        query=q,
        total=page.total,
        items=[_hit(h, principal) for h in page.hits],
        facets=page.facets,
        next_cursor=page.next_cursor,
    )


class SimilarResults(BaseModel):
    complaint_id: str
    items: list[SearchHit]


@router.get(
    "/search/similar/{complaint_id}",
    response_model=SimilarResults,
    summary="Complaints about the same kind of respondent body with similar text",
    responses=PROBLEMS | {404: {"description": "No such complaint", "content": {PROBLEM_JSON: {}}}},
)
def similar(
    request: Request,
    principal: Reader,
    complaint_id: str,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> SimilarResults:
    engine = _engine(request)
    filters: dict[str, str] = {}
    if not _sees_cases(principal):
        filters["office"] = principal.office or "-"
    document = engine.get(principal.tenant, complaint_id)
    if document is None or ("office" in filters and document["office"] != filters["office"]):
        # Another tenant's (or office's) complaint answers exactly like a missing one.
        raise not_found("complaint")
    hits = engine.similar(principal.tenant, complaint_id, limit=limit, filters=filters)
    return SimilarResults(complaint_id=complaint_id, items=[_hit(h, principal) for h in hits])
