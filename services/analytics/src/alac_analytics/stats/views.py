"""GET /v1/stats/summary."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import AwareDatetime

from alac_analytics.periods import END_INSTANT, FIRST_INSTANT
from alac_analytics.runtime import AnalyticsRuntime, runtime
from alac_analytics.stats import service
from alac_analytics.stats.schemas import Summary
from alac_kernel.auth import roles
from alac_kernel.auth.fastapi import require_roles
from alac_kernel.auth.principal import Principal
from alac_kernel.problems import problem_responses

router = APIRouter(prefix="/v1/stats", tags=["statistics"])

StatsReader = Annotated[
    Principal,
    Depends(require_roles(roles.LAWYER, roles.COORDINATOR, roles.TENANT_ADMIN, roles.ANALYST)),
]
Runtime = Annotated[AnalyticsRuntime, Depends(runtime)]


@router.get(
    "/summary",
    response_model=Summary,
    summary="Complaint counts by status, channel and area",
    responses=problem_responses(401, 403, 422),
)
def summary(
    runtime: Runtime,
    principal: StatsReader,
    office: Annotated[str | None, Query(max_length=64)] = None,
    period_from: Annotated[
        AwareDatetime | None,
        Query(
            alias="from",
            description="Inclusive; with a timezone offset",
            ge=FIRST_INSTANT,
            lt=END_INSTANT,
        ),
    ] = None,
    period_to: Annotated[
        AwareDatetime | None,
        Query(
            alias="to",
            description="Exclusive; with a timezone offset",
            ge=FIRST_INSTANT,
            lt=END_INSTANT,
        ),
    ] = None,
) -> Summary:
    return service.summary(
        session_factory=runtime.session_factory,
        principal=principal,
        office=office,
        period_from=period_from,
        period_to=period_to,
    )
