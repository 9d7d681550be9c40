"""Time series and breakdowns for the console, from daily_counts (never the facts)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alac_analytics.models import DailyCount
from alac_analytics.projections.dimensions import TOTAL

Interval = Literal["day", "week", "month"]


def bucket(day: date, interval: Interval) -> str:
    if interval == "day":
        return day.isoformat()
    if interval == "week":
        return (day - timedelta(days=day.weekday())).isoformat()  # the Monday
    return f"{day:%Y-%m}"


def _where(tenant: str, offices: list[str] | None, period_from: date, period_to: date):  # type: ignore[no-untyped-def]
    t = DailyCount.__table__
    where = [t.c.tenant_id == tenant, t.c.day >= period_from, t.c.day <= period_to]
    if offices:
        where.append(t.c.office.in_(offices))
    return where


def timeseries(
    *,
    session: Session,
    tenant: str,
    offices: list[str] | None,
    period_from: date,
    period_to: date,
    interval: Interval,
    dimension: str | None,
    value: str | None,
) -> dict[str, int]:
    """Complaints received per interval (those with `value` in `dimension` when given)."""
    t = DailyCount.__table__
    where = _where(tenant, offices, period_from, period_to)
    if dimension is None:
        where += [t.c.dimension == TOTAL[0], t.c.value == TOTAL[1]]
    else:
        where += [t.c.dimension == dimension, t.c.value == value]
    series: dict[str, int] = defaultdict(int)
    rows = session.execute(select(t.c.day, func.sum(t.c.n)).where(*where).group_by(t.c.day)).all()
    for day, n in rows:
        if n:
            series[bucket(day, interval)] += int(n)
    return dict(sorted(series.items()))


def breakdown(
    *,
    session: Session,
    tenant: str,
    offices: list[str] | None,
    period_from: date,
    period_to: date,
    dimension: str,
) -> dict[str, int]:
    t = DailyCount.__table__
    where = _where(tenant, offices, period_from, period_to) + [t.c.dimension == dimension]
    rows = session.execute(
        select(t.c.value, func.sum(t.c.n)).where(*where).group_by(t.c.value)
    ).all()
    return {v: int(n) for v, n in sorted(rows, key=lambda r: (-r[1], r[0])) if n}
