"""Analytics' HTTP API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import AwareDatetime, BaseModel
from sqlalchemy import func, select

from alac_analytics.models import ComplaintFact
from alac_analytics.periods import END_INSTANT, FIRST_INSTANT
from alac_analytics.privacy import service as privacy
from alac_kernel.app import runtime_of
from alac_kernel.auth import roles
from alac_kernel.auth.fastapi import require_roles
from alac_kernel.auth.principal import Principal
from alac_kernel.db import session_scope
from alac_kernel.problems import PROBLEM_JSON
from alac_kernel.small_cells import suppress_summary

router = APIRouter(prefix="/v1/stats", tags=["statistics"])

StatsReader = Annotated[
    Principal,
    Depends(require_roles(roles.LAWYER, roles.COORDINATOR, roles.TENANT_ADMIN, roles.ANALYST)),
]


class Summary(BaseModel):
    tenant: str
    office: str | None
    period_from: datetime | None
    period_to: datetime | None
    total: int | None
    by_status: dict[str, int | None]
    by_channel: dict[str, int | None]
    by_area: dict[str, int | None]
    suppression: dict[str, object] | None = None


@router.get(
    "/summary",
    response_model=Summary,
    summary="Complaint counts by status, channel and area",
    responses={
        401: {"description": "Missing or invalid access token", "content": {PROBLEM_JSON: {}}},
        403: {"description": "Role not allowed", "content": {PROBLEM_JSON: {}}},
        422: {"description": "Invalid parameter", "content": {PROBLEM_JSON: {}}},
    },
)
def summary(
    request: Request,
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
    with session_scope(runtime_of(request).session_factory, tenant=principal.tenant) as session:
        # Only complaints intake has told us about count; a case event that overtook its
        # complaint waits for it.
        filters = [ComplaintFact.complaint_version > 0]
        if office:
            filters.append(ComplaintFact.office == office)
        if period_from:
            filters.append(ComplaintFact.received_at >= period_from)
        if period_to:
            filters.append(ComplaintFact.received_at < period_to)

        def counts(column) -> dict[str, int]:  # type: ignore[no-untyped-def]
            rows = session.execute(
                select(column, func.count()).where(*filters).group_by(column)
            ).all()
            return {str(key) if key is not None else "unspecified": n for key, n in rows}

        by_status = counts(ComplaintFact.status)
        total: int | None = sum(by_status.values())
        breakdowns: dict[str, dict[str, int | None]] = {
            "by_status": dict(by_status),
            "by_channel": dict(counts(ComplaintFact.channel)),
            "by_area": dict(counts(ComplaintFact.area)),
        }
        suppression = None
        if not privacy.sees_small_cells(principal):
            # Below the office level no small count is shown, whatever the filters: a narrow
            # window around one complaint would otherwise give its status, channel and area.
            limit = privacy.threshold(session=session, tenant=principal.tenant)
            total, breakdowns = suppress_summary(total or 0, breakdowns, limit)  # type: ignore[arg-type]
            suppression = {
                "threshold": limit,
                "rule": "counts from 1 to threshold-1 hidden (null), with complementary cells",
            }
        return Summary(
            tenant=principal.tenant,
            office=office,
            period_from=period_from,
            period_to=period_to,
            total=total,
            suppression=suppression,
            **breakdowns,
        )
