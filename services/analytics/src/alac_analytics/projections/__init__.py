"""Projections of complaint.* and case.* events into the analytics read model."""

from __future__ import annotations

from alac_analytics.models import ComplaintFact, DailyCount, MonthlyCount, PairCount
from alac_analytics.projections.facts import Projection
from alac_kernel.tables import table_of

LIVE = Projection(
    table_of(ComplaintFact), table_of(DailyCount), table_of(MonthlyCount), table_of(PairCount)
)
HANDLERS = LIVE.handlers()

__all__ = ["HANDLERS", "LIVE", "Projection"]
