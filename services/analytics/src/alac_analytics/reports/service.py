"""The ALAC statistical report (seeds/000 §1), computed from daily_counts only.

Every block states its `n` (the complaints it is computed over); the report's `scope` states
the tenant, offices and period (dates received, UTC, both ends inclusive) behind all of them.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date
from math import ceil
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from alac_analytics import tenants
from alac_analytics.counts import count_sources
from alac_analytics.privacy import report as privacy
from alac_analytics.privacy import service as privacy_settings
from alac_analytics.projections.dimensions import (
    DIMENSIONS,
    DURATIONS,
    LIVE,
    TOTAL,
    UNSPECIFIED,
)
from alac_kernel.auth.principal import Principal
from alac_kernel.db import session_scope
from alac_kernel.errors import InvalidFields
from alac_kernel.visibility import sees_small_cells

DATA_BASIS = "complaints received in the period, per the analytics read model (daily_counts)"
RESOLVED_OUTCOMES = ("resolved", "advice_given")
#: Dimensions counted over part of the complaints only: their n is their own sum.
PARTIAL = ("outcome", "non_corruption_reason")
DURATION_BASIS = (
    "complaints received live only: historical imports and complaints registered more than "
    "72 hours after their received date are left out"
)

Cells = dict[str, dict[str, dict[str, int]]]  # office -> dimension -> value -> n


def percent(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def load_cells(
    session: Session,
    *,
    tenant: str | None,
    offices: list[str] | None,
    period_from: date,
    period_to: date,
) -> tuple[Cells, dict[str, dict[str, int]]]:
    """Counts per office/dimension/value and complaints per office/month in the period.

    Whole months come from monthly_counts, the days before the first and after the last
    whole month from daily_counts. With `tenant=None` (the network view) the rows are
    tenants instead of offices.
    """
    cells: Cells = defaultdict(lambda: defaultdict(lambda: defaultdict(int)))
    monthly: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for t, period, start, end in count_sources(period_from, period_to):
        where = [period >= start, period <= end, t.c.n != 0]
        if tenant is not None:
            where.append(t.c.tenant_id == tenant)
        if offices:
            where.append(t.c.office.in_(offices))
        group = t.c.office if tenant is not None else t.c.tenant_id
        rows = session.execute(
            select(group, t.c.dimension, t.c.value, func.sum(t.c.n))
            .where(*where)
            .group_by(group, t.c.dimension, t.c.value)
        ).all()
        for office, dimension, value, n in rows:
            if n:
                cells[office][dimension][value] += int(n)
        totals = session.execute(
            select(group, period, func.sum(t.c.n))
            .where(*where, t.c.dimension == TOTAL[0])
            .group_by(group, period)
        ).all()
        for office, day, n in totals:
            monthly[office][f"{day:%Y-%m}"] += int(n)
    return cells, monthly


def merge(cells: Cells) -> dict[str, dict[str, int]]:
    merged: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for dimensions in cells.values():
        for dimension, values in dimensions.items():
            for value, n in values.items():
                merged[dimension][value] += n
    return merged


def breakdown(values: dict[str, int], total: int | None) -> dict[str, Any]:
    """Values ranked by count, with percentages of `total` (None: of their own sum)."""
    if total is None:
        total = sum(values.values())
    ranked = sorted(values.items(), key=lambda kv: (-kv[1], kv[0]))
    return {
        "n": total,
        "values": [{"value": v, "count": n, "percent": percent(n, total)} for v, n in ranked],
    }


def percentiles(histogram: dict[str, int]) -> dict[str, Any]:
    """Median and 90th percentile (nearest rank) over whole-hour buckets."""
    points = sorted((int(h), n) for h, n in histogram.items())
    n = sum(c for _, c in points)

    def rank(p: float) -> int | None:
        if not n:
            return None
        wanted, seen = max(1, ceil(p * n)), 0
        for hours, count in points:
            seen += count
            if seen >= wanted:
                return hours
        return points[-1][0]

    return {"n": n, "unit": "hours", "median": rank(0.5), "p90": rank(0.9)}


def section(dimensions: dict[str, dict[str, int]], monthly: dict[str, int]) -> dict[str, Any]:
    """The report body for one set of counts (all offices merged, or one office)."""
    total = sum(dimensions.get(TOTAL[0], {}).values())
    by = {
        d: breakdown(dimensions.get(d, {}), total if d not in PARTIAL else None)
        for d in DIMENSIONS
        if d != "outcome"
    }
    outcomes = dimensions.get("outcome", {})
    closed = sum(outcomes.values())
    anonymous = dimensions.get("anonymous", {}).get("yes", 0)
    areas = {k: v for k, v in dimensions.get("area", {}).items() if k != UNSPECIFIED}
    return {
        "total": total,
        "dimensions": by,
        "areas_ranked": breakdown(areas, total)["values"],
        "anonymous_share": {"n": total, "count": anonymous, "percent": percent(anonymous, total)},
        "outcomes": {
            **breakdown(outcomes, closed),
            "resolution_rate": percent(sum(outcomes.get(o, 0) for o in RESOLVED_OUTCOMES), closed),
            "rejection_rate": percent(outcomes.get("rejected", 0), closed),
            "basis": "closed cases among the complaints received in the period",
        },
        "monthly": [{"month": m, "count": monthly[m]} for m in sorted(monthly)],
        **{d: _duration(dimensions, d) for d in DURATIONS},
    }


def _duration(dimensions: dict[str, dict[str, int]], name: str) -> dict[str, Any]:
    live = dimensions.get(LIVE, {})
    return {
        **percentiles(dimensions.get(name, {})),
        "basis": DURATION_BASIS,
        "not_live": live.get("no", 0),
    }


def statistics(
    session: Session,
    *,
    tenant: str | None,
    offices: list[str] | None,
    period_from: date,
    period_to: date,
) -> dict[str, Any]:
    """The report for one tenant (sections per office) or, with tenant=None, for the whole
    network (sections per tenant, no office detail)."""
    cells, monthly = load_cells(
        session, tenant=tenant, offices=offices, period_from=period_from, period_to=period_to
    )
    months: dict[str, int] = defaultdict(int)
    for per_office in monthly.values():
        for month, n in per_office.items():
            months[month] += n
    shown = sorted(set(offices or []) | set(cells))
    key = "offices" if tenant is not None else "tenants"
    scope: dict[str, Any] = (
        {"tenant": tenant, "offices": offices or "all"}
        if tenant is not None
        else {"tenants": "all"}
    )
    return {
        "scope": {
            **scope,
            "from": period_from.isoformat(),
            "to": period_to.isoformat(),
            "period_basis": "date received (UTC), both ends inclusive",
            "data": DATA_BASIS,
        },
        **section(merge(cells), months),
        key: {o: section(cells.get(o, {}), monthly.get(o, {})) for o in shown},
    }


# ------------------------------------------------------------------ the use cases

OFFICE_CODE = re.compile(r"[a-z][a-z0-9_]{0,63}")
#: Most offices one report may name.
MAX_OFFICES = 50


def tenant_report(
    *,
    session_factory: sessionmaker[Session],
    principal: Principal,
    offices: list[str] | None,
    period_from: date,
    period_to: date,
    lang: str,
) -> tuple[dict[str, Any], dict[str, str]]:
    """The caller's tenant's report (small cells hidden below the office level) and the
    centres' names in `lang`."""
    if period_to < period_from:
        raise InvalidFields.one("query.to", "must not be before `from`")
    if offices and len(offices) > MAX_OFFICES:
        raise InvalidFields.one("query.office", f"at most {MAX_OFFICES} offices")
    for code in offices or []:
        if not OFFICE_CODE.fullmatch(code):
            raise InvalidFields.one("query.office", "an office code: a-z, 0-9, _; at most 64")
    with session_scope(session_factory, tenant=principal.tenant) as session:
        report = statistics(
            session,
            tenant=principal.tenant,
            offices=sorted(set(offices)) if offices else None,
            period_from=period_from,
            period_to=period_to,
        )
        if not sees_small_cells(principal):
            limit = privacy_settings.threshold(session=session, tenant=principal.tenant)
            privacy.apply(report, key="offices", threshold=limit)
        names = tenants.names_in(session, lang)
    return report, names


def network_report(
    *, session_factory: sessionmaker[Session], period_from: date, period_to: date, lang: str
) -> tuple[dict[str, Any], dict[str, str]]:
    """The report across every tenant (sections per tenant), small cells hidden for everyone
    by the strictest threshold any tenant chose; the centres' names in `lang`."""
    if period_to < period_from:
        raise InvalidFields.one("query.to", "must not be before `from`")
    # Deliberately across tenants: only daily_counts is read, and only as sums per tenant.
    with session_scope(session_factory, all_tenants=True) as session:
        report = statistics(
            session, tenant=None, offices=None, period_from=period_from, period_to=period_to
        )
        limit = privacy_settings.network_threshold(session=session)
        names = tenants.names_in(session, lang)
    privacy.apply(report, key="tenants", threshold=limit)
    return report, names
