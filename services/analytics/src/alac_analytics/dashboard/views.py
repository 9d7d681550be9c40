"""GET /v1/dashboard/timeseries and /v1/dashboard/breakdown: what the console charts."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from alac_analytics.dashboard import service
from alac_analytics.periods import FIRST_DAY, LAST_DAY
from alac_analytics.runtime import AnalyticsRuntime, runtime
from alac_kernel.auth import roles
from alac_kernel.auth.fastapi import require_roles
from alac_kernel.auth.principal import Principal
from alac_kernel.problems import problem_responses

router = APIRouter(prefix="/v1/dashboard", tags=["dashboard"])
Reader = Annotated[
    Principal,
    Depends(require_roles(roles.LAWYER, roles.COORDINATOR, roles.TENANT_ADMIN, roles.ANALYST)),
]
Runtime = Annotated[AnalyticsRuntime, Depends(runtime)]
ERRORS = problem_responses(401, 403, 422)

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


@router.get("/timeseries", summary="Complaints received per day, week or month", responses=ERRORS)
def get_timeseries(
    runtime: Runtime,
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
    return service.timeseries_for(
        session_factory=runtime.read_session_factory,
        principal=principal,
        period_from=period_from,
        period_to=period_to,
        office=office,
        interval=interval,
        raw_filters=filter_,
        dimension=dimension,
        value=value,
    )


@router.get(
    "/breakdown", summary="Complaints received by the values of one dimension", responses=ERRORS
)
def get_breakdown(
    runtime: Runtime,
    principal: Reader,
    dimension: Annotated[str, Query(description="e.g. area, channel, sex, region")],
    period_from: From,
    period_to: To,
    office: Offices = None,
    filter_: FilterParam = None,
) -> dict[str, Any]:
    return service.breakdown_for(
        session_factory=runtime.read_session_factory,
        principal=principal,
        dimension=dimension,
        period_from=period_from,
        period_to=period_to,
        office=office,
        raw_filters=filter_,
    )
