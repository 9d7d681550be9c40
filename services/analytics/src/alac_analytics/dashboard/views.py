"""GET /v1/dashboard/timeseries and /v1/dashboard/breakdown: what the console charts."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from alac_analytics.dashboard import filters as dashboard_filters
from alac_analytics.dashboard import service
from alac_analytics.dashboard.filters import CODE, KNOWN
from alac_analytics.periods import FIRST_DAY, LAST_DAY
from alac_analytics.privacy import service as privacy
from alac_kernel.app import runtime_of
from alac_kernel.auth import roles
from alac_kernel.auth.fastapi import require_roles
from alac_kernel.auth.principal import Principal
from alac_kernel.db import session_scope
from alac_kernel.problems import PROBLEM_JSON, field_error
from alac_kernel.small_cells import TOTAL, suppress

router = APIRouter(prefix="/v1/dashboard", tags=["dashboard"])
Reader = Annotated[
    Principal,
    Depends(require_roles(roles.LAWYER, roles.COORDINATOR, roles.TENANT_ADMIN, roles.ANALYST)),
]
ERRORS = {
    401: {"description": "Missing or invalid access token", "content": {PROBLEM_JSON: {}}},
    403: {"description": "Role not allowed", "content": {PROBLEM_JSON: {}}},
    422: {"description": "Invalid parameter", "content": {PROBLEM_JSON: {}}},
}

From = Annotated[
    date, Query(alias="from", description="First day received", ge=FIRST_DAY, le=LAST_DAY)
]
To = Annotated[
    date,
    Query(alias="to", description="Last day received (inclusive)", ge=FIRST_DAY, le=LAST_DAY),
]
Offices = Annotated[list[str] | None, Query(description="An office code; repeatable")]
FilterParam = Annotated[
    list[str] | None,
    Query(
        alias="filter",
        description="dimension:value, e.g. channel:hotline; repeatable. Different dimensions "
        "must all match; values given for the same dimension are alternatives (OR).",
    ),
]


def _scope(
    principal: Principal,
    offices: list[str] | None,
    period_from: date,
    period_to: date,
    filters: dashboard_filters.Filters,
    combined: bool,
    **question: str,
) -> dict[str, Any]:
    """What the figures cover, echoed in every answer so a chart can label itself."""
    return {
        "tenant": principal.tenant,
        "offices": offices or "all",
        "from": period_from.isoformat(),
        "to": period_to.isoformat(),
        **question,
        "filter": dashboard_filters.scope(filters),
        "source": "complaint_facts" if combined else "daily_counts",
    }


def _checked(period_from: date, period_to: date, office: list[str] | None) -> list[str] | None:
    if period_to < period_from:
        raise field_error("query.to", "must not be before `from`")
    for code in office or []:
        if not CODE.fullmatch(code):
            raise field_error("query.office", "an office code: a-z, 0-9, _; at most 64")
    return sorted(set(office)) if office else None


def _protected(principal: Principal, session, counts: dict[str, int]) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """The counts as published to this caller: small cells hidden below coordinator."""
    if privacy.sees_small_cells(principal):
        return {"values": counts, "suppressed": []}
    limit = privacy.threshold(session=session, tenant=principal.tenant)
    hidden = suppress({"row": {**counts, TOTAL: sum(counts.values())}}, limit)
    shown = {k: (None if ("row", k) in hidden else n) for k, n in counts.items()}
    return {"values": shown, "suppressed": sorted(k for r, k in hidden if k != TOTAL)}


@router.get("/timeseries", summary="Complaints received per day, week or month", responses=ERRORS)
def get_timeseries(
    request: Request,
    principal: Reader,
    period_from: From,
    period_to: To,
    office: Offices = None,
    interval: service.Interval = "month",
    dimension: Annotated[str | None, Query(description="Filter: a dimension...")] = None,
    value: Annotated[
        str | None, Query(description="...and its value, e.g. channel=hotline")
    ] = None,
    filter_: FilterParam = None,
) -> dict[str, Any]:
    offices = _checked(period_from, period_to, office)
    filters = dashboard_filters.parse(filter_, dimension=dimension, value=value)
    combined = service.uses_facts(filters)
    if combined:
        dashboard_filters.refuse_durations(filters)
    with session_scope(runtime_of(request).session_factory, tenant=principal.tenant) as session:
        field = "query.filter" if filter_ else "query.value"
        dashboard_filters.check_values(session, principal.tenant, filters, field=field)
        series = service.timeseries(
            session=session,
            tenant=principal.tenant,
            offices=offices,
            period_from=period_from,
            period_to=period_to,
            interval=interval,
            filters=filters,
        )
        published = _protected(principal, session, series)
    return {
        "scope": _scope(
            principal, offices, period_from, period_to, filters, combined, interval=interval
        ),
        "points": [{"period": k, "count": n} for k, n in published["values"].items()],
        "suppressed": published["suppressed"],
    }


@router.get(
    "/breakdown", summary="Complaints received by the values of one dimension", responses=ERRORS
)
def get_breakdown(
    request: Request,
    principal: Reader,
    dimension: Annotated[str, Query(description="e.g. area, channel, sex, region")],
    period_from: From,
    period_to: To,
    office: Offices = None,
    filter_: FilterParam = None,
) -> dict[str, Any]:
    offices = _checked(period_from, period_to, office)
    if dimension not in KNOWN:
        raise field_error("query.dimension", f"one of {', '.join(sorted(KNOWN))}")
    filters = dashboard_filters.parse(filter_)
    combined = service.uses_facts(filters, breakdown_by=dimension)
    if combined:
        dashboard_filters.refuse_durations(filters, breakdown_by=dimension)
    with session_scope(runtime_of(request).session_factory, tenant=principal.tenant) as session:
        dashboard_filters.check_values(session, principal.tenant, filters, field="query.filter")
        counts = service.breakdown(
            session=session,
            tenant=principal.tenant,
            offices=offices,
            period_from=period_from,
            period_to=period_to,
            dimension=dimension,
            filters=filters,
        )
        published = _protected(principal, session, counts)
    return {
        "scope": _scope(
            principal, offices, period_from, period_to, filters, combined, dimension=dimension
        ),
        "values": [{"value": k, "count": n} for k, n in published["values"].items()],
        "suppressed": published["suppressed"],
    }
