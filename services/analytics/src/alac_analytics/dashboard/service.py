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
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from sqlalchemy import ColumnElement, Date, case, cast, false, func, or_, select, text
from sqlalchemy.orm import Session, sessionmaker

from alac_analytics.counts import count_sources, split_period, within_months
from alac_analytics.dashboard import filters as dashboard_filters
from alac_analytics.dashboard.filters import CODE, KNOWN, Filters
from alac_analytics.models import ComplaintFact, PairCount
from alac_analytics.privacy import service as privacy
from alac_analytics.projections.dimensions import CATEGORICAL, FLAGS, PAIRED, TOTAL, UNSPECIFIED
from alac_kernel.auth.principal import Principal
from alac_kernel.db import session_scope
from alac_kernel.errors import InvalidFields
from alac_kernel.small_cells import TOTAL as ROW_TOTAL
from alac_kernel.small_cells import suppress
from alac_kernel.visibility import sees_small_cells

Interval = Literal["day", "week", "month"]


def bucket(day: date, interval: Interval) -> str:
    if interval == "day":
        return day.isoformat()
    if interval == "week":
        return (day - timedelta(days=day.weekday())).isoformat()  # the Monday
    return f"{day:%Y-%m}"


def _where(
    t: Any, period: Any, tenant: str, offices: list[str] | None, start: date, end: date
) -> list[ColumnElement[bool]]:
    """One count table's rows of the tenant (and offices) whose period lies in [start, end]."""
    where = [t.c.tenant_id == tenant, period >= start, period <= end]
    if offices:
        where.append(t.c.office.in_(offices))
    return where


# ------------------------------------------------------------------ the use cases


def timeseries_for(
    *,
    session_factory: sessionmaker[Session],
    principal: Principal,
    period_from: date,
    period_to: date,
    office: list[str] | None,
    interval: Interval,
    raw_filters: list[str] | None,
    dimension: str | None = None,
    value: str | None = None,
) -> dict[str, Any]:
    """GET /v1/dashboard/timeseries: complaints received per interval, as this caller may
    see them. `raw_filters` are `dimension:value` as sent; `dimension` and `value` the older
    single filter."""
    offices = checked_offices(period_from, period_to, office)
    filters = dashboard_filters.parse(raw_filters, dimension=dimension, value=value)
    filter_field = "query.filter" if raw_filters else "query.value"
    combined = uses_facts(filters)
    if combined:
        dashboard_filters.refuse_durations(filters)
    published = _published_counts(
        session_factory,
        principal,
        filters,
        filter_field,
        lambda session: timeseries(
            session=session,
            tenant=principal.tenant,
            offices=offices,
            period_from=period_from,
            period_to=period_to,
            interval=interval,
            filters=filters,
        ),
    )
    return {
        "scope": _scope(
            principal,
            offices,
            period_from,
            period_to,
            filters,
            "complaint_facts" if combined else "daily_counts",
            interval=interval,
        ),
        "points": [{"period": k, "count": n} for k, n in published["values"].items()],
        "suppressed": published["suppressed"],
    }


def breakdown_for(
    *,
    session_factory: sessionmaker[Session],
    principal: Principal,
    dimension: str,
    period_from: date,
    period_to: date,
    office: list[str] | None,
    raw_filters: list[str] | None,
) -> dict[str, Any]:
    """GET /v1/dashboard/breakdown: complaints received by the values of one dimension."""
    offices = checked_offices(period_from, period_to, office)
    if dimension not in KNOWN:
        raise InvalidFields.one("query.dimension", f"one of {', '.join(sorted(KNOWN))}")
    filters = dashboard_filters.parse(raw_filters)
    combined = uses_facts(filters, breakdown_by=dimension)
    if combined:
        dashboard_filters.refuse_durations(filters, breakdown_by=dimension)
    published = _published_counts(
        session_factory,
        principal,
        filters,
        "query.filter",
        lambda session: breakdown(
            session=session,
            tenant=principal.tenant,
            offices=offices,
            period_from=period_from,
            period_to=period_to,
            dimension=dimension,
            filters=filters,
        ),
    )
    return {
        "scope": _scope(
            principal,
            offices,
            period_from,
            period_to,
            filters,
            "pair_counts"
            if uses_pairs(filters, breakdown_by=dimension)
            else "complaint_facts"
            if combined
            else "daily_counts",
            dimension=dimension,
        ),
        "values": [{"value": k, "count": n} for k, n in published["values"].items()],
        "suppressed": published["suppressed"],
    }


def checked_offices(
    period_from: date, period_to: date, office: list[str] | None
) -> list[str] | None:
    """The period and office codes checked; the offices asked for, once each, sorted."""
    if period_to < period_from:
        raise InvalidFields.one("query.to", "must not be before `from`")
    for code in office or []:
        if not CODE.fullmatch(code):
            raise InvalidFields.one("query.office", "an office code: a-z, 0-9, _; at most 64")
    return sorted(set(office)) if office else None


def _scope(
    principal: Principal,
    offices: list[str] | None,
    period_from: date,
    period_to: date,
    filters: Filters,
    source: str,
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
        "source": source,
    }


def _published_counts(
    session_factory: sessionmaker[Session],
    principal: Principal,
    filters: Filters,
    filter_field: str,
    count: Callable[[Session], dict[str, int]],
) -> dict[str, Any]:
    """In one unit of work: the filter values checked (`filter_field` names the parameter
    they came in), the counts taken and published to this caller."""
    with session_scope(session_factory, tenant=principal.tenant) as session:
        dashboard_filters.check_values(session, principal.tenant, filters, field=filter_field)
        return _published(principal, session, count(session))


def _published(principal: Principal, session: Session, counts: dict[str, int]) -> dict[str, Any]:
    """The counts as published to this caller: small cells hidden below coordinator."""
    if sees_small_cells(principal):
        return {"values": counts, "suppressed": []}
    limit = privacy.threshold(session=session, tenant=principal.tenant)
    hidden = suppress({"row": {**counts, ROW_TOTAL: sum(counts.values())}}, limit)
    shown = {k: (None if ("row", k) in hidden else n) for k, n in counts.items()}
    return {"values": shown, "suppressed": sorted(k for r, k in hidden if k != ROW_TOTAL)}


# ------------------------------------------------------------------ the figures


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
    values: tuple[str, ...]
    if not filters:
        dimension, values = TOTAL[0], (TOTAL[1],)
    else:
        ((dimension, values),) = filters.items()
    # Per month: whole months from monthly_counts (counts.py); per day or week: the days.
    series: dict[str, int] = defaultdict(int)
    sources = count_sources(period_from, period_to, whole_months=interval == "month")
    for t, period, start, end in sources:
        where = _where(t, period, tenant, offices, start, end)
        where += [t.c.dimension == dimension, t.c.value.in_(values)]
        rows = session.execute(select(period, func.sum(t.c.n)).where(*where).group_by(period))
        for day, n in rows.all():
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
    rows: Sequence[Any]
    if uses_pairs(filters, breakdown_by=dimension):
        rows = _pairs_breakdown(
            session, tenant, offices, period_from, period_to, dimension, filters
        )
    elif uses_facts(filters, breakdown_by=dimension):
        rows = _facts_breakdown(
            session, tenant, offices, period_from, period_to, dimension, filters
        )
    else:
        # Whole months from monthly_counts, the edge days from daily_counts (counts.py).
        summed: dict[str, int] = defaultdict(int)
        for t, period, start, end in count_sources(period_from, period_to):
            where = _where(t, period, tenant, offices, start, end) + [t.c.dimension == dimension]
            if filters:  # only on `dimension` itself: a subset of its values
                where.append(t.c.value.in_(filters[dimension]))
            query = select(t.c.value, func.sum(t.c.n)).where(*where).group_by(t.c.value)
            for value, n in session.execute(query).all():
                summed[value] += int(n or 0)
        rows = list(summed.items())
    return {v: int(n) for v, n in sorted(rows, key=lambda r: (-r[1], r[0])) if n}


def uses_facts(filters: Filters, *, breakdown_by: str | None = None) -> bool:
    """Whether the question spans two or more dimensions (then only the facts can answer)."""
    return len({*filters, *([breakdown_by] if breakdown_by else [])}) > 1


def uses_pairs(filters: Filters, *, breakdown_by: str) -> bool:
    """A breakdown under filters on one other dimension (a clicked bar): pair_counts holds
    every two dimensions' values, so whole months answer from there."""
    return len(filters) == 1 and breakdown_by not in filters and {breakdown_by, *filters} <= PAIRED


# ------------------------------------------------------------------ from pair_counts


def _pairs_breakdown(
    session: Session,
    tenant: str,
    offices: list[str] | None,
    period_from: date,
    period_to: date,
    dimension: str,
    filters: Filters,
) -> list[Any]:
    """Whole months from pair_counts; a partial month from the facts of its days in the
    period, or, when the month has fewer days outside the period, its pair_counts less the
    facts of those other days (pair_counts keeps months only, and equals the facts' pairs:
    projections.rebuild checks it). So at most 15 days' facts are read per edge month: the
    facts are the one source whose cost grows with the complaints (docs/performance.md,
    figure set 7)."""
    ((other, values),) = filters.items()
    days, months = split_period(period_from, period_to)
    summed: dict[str, int] = defaultdict(int)

    def add_facts(start: date, end: date, sign: int) -> None:
        for value, n in _facts_breakdown(session, tenant, offices, start, end, dimension, filters):
            summed[value] += sign * int(n)

    def add_pairs(first_month: date, last_month: date) -> None:
        t = PairCount.__table__
        if other < dimension:
            mine, where = t.c.by_value, [t.c.dimension == other, t.c.by_dimension == dimension]
            where.append(t.c.value.in_(values))
        else:
            mine, where = t.c.value, [t.c.dimension == dimension, t.c.by_dimension == other]
            where.append(t.c.by_value.in_(values))
        where += _where(t, t.c.month, tenant, offices, first_month, last_month)
        query = select(mine, func.sum(t.c.n)).where(*where).group_by(mine)
        for value, n in session.execute(query).all():
            summed[value] += int(n or 0)

    for start, end in days:
        for first, last, others in within_months(start, end):
            if sum((b - a).days + 1 for a, b in others) < (last - first).days + 1:
                add_pairs(first.replace(day=1), first.replace(day=1))
                for a, b in others:
                    add_facts(a, b, -1)
            else:
                add_facts(first, last, 1)
    if months:
        add_pairs(*months)
    return list(summed.items())


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


def facts_where(
    tenant: str,
    offices: list[str] | None,
    period_from: date,
    period_to: date,
    filters: Filters,
) -> list[Any]:
    """The facts counted in the period (both days inclusive) that match every filter, as the
    projection counts them (also the complaints behind an alert, alerts.service)."""
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
    day: ColumnElement[Any]
    if session.get_bind().dialect.name == "postgresql":
        day = cast(func.timezone("UTC", received), Date)  # the UTC day, whatever the session zone
    else:
        day = func.date(received)  # SQLite keeps UTC text: its date part
    where = facts_where(tenant, offices, period_from, period_to, filters)
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
    where = facts_where(tenant, offices, period_from, period_to, filters)
    where += _counted_in(dimension)
    query = select(value, func.count()).where(*where).group_by(text("1"))  # as in the series
    return list(session.execute(query).all())
