"""The summary: complaint counts by status, channel and area for one tenant."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session, sessionmaker

from alac_analytics.models import ComplaintFact
from alac_analytics.privacy import service as privacy
from alac_analytics.stats.schemas import Summary
from alac_kernel.auth.principal import Principal
from alac_kernel.db import session_scope
from alac_kernel.small_cells import suppress_summary
from alac_kernel.visibility import sees_small_cells


def summary(
    *,
    session_factory: sessionmaker[Session],
    principal: Principal,
    office: str | None,
    period_from: datetime | None,
    period_to: datetime | None,
) -> Summary:
    with session_scope(session_factory, tenant=principal.tenant) as session:
        # Only complaints intake has told us about count; a case event that overtook its
        # complaint waits for it.
        filters: list[ColumnElement[bool]] = [ComplaintFact.complaint_version > 0]
        if office:
            filters.append(ComplaintFact.office == office)
        if period_from:
            filters.append(ComplaintFact.received_at >= period_from)
        if period_to:
            filters.append(ComplaintFact.received_at < period_to)

        def counts(column: InstrumentedAttribute[Any]) -> dict[str, int]:
            rows = session.execute(
                select(column, func.count()).where(*filters).group_by(column)
            ).all()
            return {str(key) if key is not None else "unspecified": n for key, n in rows}

        by_status = counts(ComplaintFact.status)
        counted = {
            "by_status": by_status,
            "by_channel": counts(ComplaintFact.channel),
            "by_area": counts(ComplaintFact.area),
        }
        total: int | None = sum(by_status.values())
        breakdowns: dict[str, dict[str, int | None]] = {k: dict(v) for k, v in counted.items()}
        suppression = None
        if not sees_small_cells(principal):
            # Below the office level no small count is shown, whatever the filters: a narrow
            # window around one complaint would otherwise give its status, channel and area.
            limit = privacy.threshold(session=session, tenant=principal.tenant)
            total, breakdowns = suppress_summary(sum(by_status.values()), counted, limit)
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
