"""Search's use cases: a full-text search and "similar complaints", each for one caller.

Plain functions over the index and search's database; what a caller may see is decided in
access.py; refusals are domain errors (alac_kernel.errors), turned into problems by the app.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from alac_kernel import staff_names
from alac_kernel.auth.principal import Principal
from alac_kernel.db import session_scope
from alac_kernel.errors import BadInput, NotFound
from alac_kernel.visibility import Visibility, visibility
from alac_search import access, privacy
from alac_search.engines.base import (
    FACET_FIELDS,
    CursorError,
    FacetField,
    Hit,
    SearchEngine,
    SearchRequest,
    Sort,
)
from alac_search.models import staff_names as staff_names_table
from alac_search.query.parser import QueryError, parse
from alac_search.schemas import SearchHit, SearchResults, SimilarResults


@dataclass(frozen=True)
class SearchQuery:
    """What the caller asked: a query in the query language, filters, a page."""

    q: str
    filters: dict[str, str] = field(default_factory=dict)
    received_from: datetime | None = None
    received_to: datetime | None = None
    sort: Sort = "relevance"
    cursor: str | None = None
    facets: list[FacetField] = field(default_factory=list)
    limit: int = 20


def search(
    *,
    engine: SearchEngine,
    session_factory: sessionmaker[Session],
    principal: Principal,
    asked: SearchQuery,
) -> SearchResults:
    """The caller's tenant's complaints and cases matching `asked`, as far as they may see
    them; counts only (small cells hidden) for analysts."""
    seen = visibility(principal)
    filters = dict(asked.filters)
    facets: list[str] = list(dict.fromkeys(asked.facets))
    if not seen.records and not facets:
        facets = list(FACET_FIELDS)
    access.refuse_hidden_fields(seen, filters, facets)
    narrowed = access.office_filters(seen, filters) if seen.records else filters
    if narrowed is None:
        return SearchResults(query=asked.q, total=0, items=[], facets={}, next_cursor=None)
    try:
        node = parse(asked.q)
    except QueryError as exc:
        raise BadInput.one("query.q", str(exc)) from exc
    try:
        page = engine.search(
            SearchRequest(
                tenant=principal.tenant,
                query=node,
                filters=narrowed,
                received_from=_utc(asked.received_from, "query.received_from"),
                received_to=_utc(asked.received_to, "query.received_to"),
                sort=asked.sort,
                cursor=asked.cursor,
                limit=asked.limit,
                facets=facets,
                # limit=0 (a facets-only request): the matches are counted, never ranked.
                with_hits=seen.records and asked.limit > 0,
                highlight=seen.records,
                cell_keys=not seen.records,
            )
        )
    except QueryError as exc:
        raise BadInput.one("query.q", str(exc)) from exc
    except CursorError as exc:
        raise BadInput.one("query.cursor", str(exc)) from exc
    if not seen.records:
        threshold = _threshold(session_factory, principal.tenant)
        total, shown = access.suppressed(page, threshold)
        return SearchResults(
            query=asked.q,
            total=total,
            items=[],
            facets=shown,
            next_cursor=None,
            small_cell_threshold=threshold,
        )
    items = [_hit(h, seen) for h in page.hits]
    in_facet = list(page.facets.get("assignee", {}))
    names = _names(session_factory, principal.tenant, [*(i.assignee for i in items), *in_facet])
    for item in items:
        item.assignee_name = names.get(item.assignee or "")
    return SearchResults(
        query=asked.q,
        total=page.total,
        items=items,
        facets={name: {v: n for v, n in cells.items()} for name, cells in page.facets.items()},
        next_cursor=page.next_cursor,
        assignee_names={s: names[s] for s in in_facet if s in names},
    )


def similar(
    *, engine: SearchEngine, principal: Principal, complaint_id: str, limit: int
) -> SimilarResults:
    """Complaints about the same kind of respondent body with similar text, among those the
    caller may see; another tenant's (or office's) complaint answers exactly like a missing
    one."""
    seen = visibility(principal)
    filters = {"office": seen.office} if seen.office is not None else {}
    document = engine.get(principal.tenant, complaint_id)
    if document is None or not seen.sees_office(document["office"]):
        raise NotFound("complaint")
    hits = engine.similar(principal.tenant, complaint_id, limit=limit, filters=filters)
    return SimilarResults(complaint_id=complaint_id, items=[_hit(h, seen) for h in hits])


def _names(
    session_factory: sessionmaker[Session], tenant: str, subjects: list[str | None]
) -> dict[str, str]:
    with session_scope(session_factory, tenant=tenant) as session:
        known = staff_names.names_of(session, staff_names_table, tenant, subjects)
        return {subject: person.name for subject, person in known.items()}


def _threshold(session_factory: sessionmaker[Session], tenant: str) -> int:
    """The tenant's own small-cell threshold where it set one (never below the platform's),
    as analytics announced it (tenant.privacy_settings_changed)."""
    with session_scope(session_factory, tenant=tenant) as session:
        return privacy.threshold(session=session, tenant=tenant)


def _hit(hit: Hit, seen: Visibility) -> SearchHit:
    fields = access.hit_fields(hit, seen)
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
        raise BadInput.one(field, "out of range once converted to UTC") from exc
