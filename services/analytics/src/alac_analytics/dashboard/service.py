"""Time series and breakdowns for the console.

A question about one dimension reads `daily_counts`. Filters on two or more dimensions (or a
breakdown under a filter on another dimension) need the dimensions together, which only
`complaint_facts` has: one GROUP BY over the tenant's facts received in the period, through
`ix_complaint_facts_period`. Both count a fact exactly as the projection does
(`projections/dimensions.contributions`): only once its complaint arrived, a missing value as
`unspecified`, flags as yes/no, outcome only for closed cases.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from sqlalchemy import Date, case, cast, false, func, or_, select, text
from sqlalchemy.orm import Session

from alac_analytics.dashboard.filters import Filters
from alac_analytics.models import ComplaintFact, DailyCount
from alac_analytics.projections.dimensions import CATEGORICAL, FLAGS, TOTAL, UNSPECIFIED

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
    filters: Filters,
) -> dict[str, int]:
    """Complaints received per interval (those matching every filter when given)."""
    if len(filters) > 1:
        return _facts_timeseries(
            session, tenant, offices, period_from, period_to, interval, filters
        )
    t = DailyCount.__table__
    where = _where(tenant, offices, period_from, period_to)
    if not filters:
        where += [t.c.dimension == TOTAL[0], t.c.value == TOTAL[1]]
    else:
        ((dimension, values),) = filters.items()
        where += [t.c.dimension == dimension, t.c.value.in_(values)]
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
    filters: Filters,
) -> dict[str, int]:
    """Complaints received by the values of `dimension` (those matching every filter)."""
    if uses_facts(filters, breakdown_by=dimension):
        rows = _facts_breakdown(
            session, tenant, offices, period_from, period_to, dimension, filters
        )
    else:
        t = DailyCount.__table__
        where = _where(tenant, offices, period_from, period_to) + [t.c.dimension == dimension]
        if filters:  # only on `dimension` itself: a subset of its values
            where.append(t.c.value.in_(filters[dimension]))
        rows = session.execute(
            select(t.c.value, func.sum(t.c.n)).where(*where).group_by(t.c.value)
        ).all()
    return {v: int(n) for v, n in sorted(rows, key=lambda r: (-r[1], r[0])) if n}


def uses_facts(filters: Filters, *, breakdown_by: str | None = None) -> bool:
    """Whether the question spans two or more dimensions (then only the facts can answer)."""
    return len({*filters, *([breakdown_by] if breakdown_by else [])}) > 1


# ------------------------------------------------------------------ from complaint_facts


def _value_of(dimension: str) -> Any:
    """The fact's value in `dimension`, as the projection names it."""
    column = ComplaintFact.__table__.c[dimension if dimension in FLAGS else _column(dimension)]
    if dimension in FLAGS:
        return case((column.is_(True), "yes"), (column.is_(False), "no"), else_=UNSPECIFIED)
    return case((or_(column.is_(None), column == ""), UNSPECIFIED), else_=column)


def _column(dimension: str) -> str:
    return next(c for c, d in CATEGORICAL.items() if d == dimension)


def _counted_in(dimension: str) -> list[Any]:
    """Facts the counts leave out of `dimension` (projections.dimensions.contributions)."""
    f = ComplaintFact.__table__.c
    if dimension == "outcome":
        return [f.outcome.is_not(None)]  # open cases have no outcome
    if dimension == "non_corruption_reason":
        return [f.corruption_related == "no"]  # asked only of non-corruption complaints
    return []


def _facts_where(
    tenant: str,
    offices: list[str] | None,
    period_from: date,
    period_to: date,
    filters: Filters,
) -> list[Any]:
    f = ComplaintFact.__table__.c
    where = [
        f.tenant_id == tenant,
        f.received_at >= datetime.combine(period_from, time(), UTC),
        f.received_at < datetime.combine(period_to + timedelta(days=1), time(), UTC),
        f.complaint_version > 0,  # a case event that overtook its complaint counts nowhere
    ]
    if offices:
        office = f.office.in_(offices)
        where.append(or_(office, f.office.is_(None)) if UNSPECIFIED in offices else office)
    for dimension, values in filters.items():
        where += _counted_in(dimension)
        where.append(_value_of(dimension).in_(values) if values else false())
    return where


def _facts_timeseries(
    session: Session,
    tenant: str,
    offices: list[str] | None,
    period_from: date,
    period_to: date,
    interval: Interval,
    filters: Filters,
) -> dict[str, int]:
    received = ComplaintFact.__table__.c.received_at
    if session.get_bind().dialect.name == "postgresql":
        day = cast(func.timezone("UTC", received), Date)  # the UTC day, whatever the session zone
    else:
        day = func.date(received)  # SQLite keeps UTC text: its date part
    where = _facts_where(tenant, offices, period_from, period_to, filters)
    # By position: the expression's bound parameters would otherwise be rendered twice, and
    # PostgreSQL cannot tell the SELECT and GROUP BY copies are the same expression.
    rows = session.execute(select(day, func.count()).where(*where).group_by(text("1"))).all()
    series: dict[str, int] = defaultdict(int)
    for received_on, n in rows:
        if isinstance(received_on, str):
            received_on = date.fromisoformat(received_on)
        series[bucket(received_on, interval)] += int(n)
    return dict(sorted(series.items()))


def _facts_breakdown(
    session: Session,
    tenant: str,
    offices: list[str] | None,
    period_from: date,
    period_to: date,
    dimension: str,
    filters: Filters,
) -> list[Any]:
    value = _value_of(dimension)
    where = _facts_where(tenant, offices, period_from, period_to, filters)
    where += _counted_in(dimension)
    query = select(value, func.count()).where(*where).group_by(text("1"))  # as in the series
    return list(session.execute(query).all())
