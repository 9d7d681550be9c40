"""Projections of complaint.* and case.* events into the analytics read model."""

from __future__ import annotations

from alac_analytics.models import ComplaintFact, DailyCount, MonthlyCount
from alac_analytics.projections.facts import Projection

LIVE = Projection(
    ComplaintFact.__table__,  # type: ignore[arg-type]
    DailyCount.__table__,  # type: ignore[arg-type]
    MonthlyCount.__table__,  # type: ignore[arg-type]
)
HANDLERS = LIVE.handlers()

__all__ = ["HANDLERS", "LIVE", "Projection"]
