"""Where a period's pre-aggregated counts are read from.

`monthly_counts` holds `daily_counts` summed per calendar month, kept by the same projection
in the same transaction: a period is read as its whole months from the monthly table and only
the days before the first and after the last whole month from the daily one, about 30 times
fewer rows for a period of whole months. The statistical report and the dashboard's
one-dimension questions both read this way.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import Table

from alac_analytics.models import DailyCount, MonthlyCount


def split_period(
    period_from: date, period_to: date
) -> tuple[list[tuple[date, date]], tuple[date, date] | None]:
    """Inclusive day ranges to read from daily_counts, and the whole months (first days,
    inclusive) to read from monthly_counts, that together cover [from, to] exactly once."""
    first_full = period_from if period_from.day == 1 else _next_month(period_from)
    after_last = (
        _next_month(period_to)
        if _next_month(period_to) - timedelta(days=1) == period_to
        else period_to.replace(day=1)
    )
    if first_full >= after_last:
        return [(period_from, period_to)], None
    days = []
    if period_from < first_full:
        days.append((period_from, first_full - timedelta(days=1)))
    if after_last <= period_to:
        days.append((after_last, period_to))
    last_full = (after_last - timedelta(days=1)).replace(day=1)
    return days, (first_full, last_full)


def _next_month(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def within_months(first: date, last: date) -> list[tuple[date, date, list[tuple[date, date]]]]:
    """The days [first, last] cut at calendar months: per month touched, its part (first, last)
    and the month's other days (the ranges before and after that part, none or up to two)."""
    parts = []
    while first <= last:
        month_first, month_last = first.replace(day=1), _next_month(first) - timedelta(days=1)
        end = min(last, month_last)
        others = [(month_first, first - timedelta(days=1))] if first > month_first else []
        others += [(end + timedelta(days=1), month_last)] if end < month_last else []
        parts.append((first, end, others))
        first = end + timedelta(days=1)
    return parts


def count_sources(
    period_from: date, period_to: date, *, whole_months: bool = True
) -> list[tuple[Table, Any, date, date]]:
    """(table, its period column, first, last) covering [from, to] exactly once: the edge
    days from daily_counts, the whole months (their first days) from monthly_counts, or with
    `whole_months=False` every day from daily_counts (a question per day or week). A period
    column's value is a day or a month's first day; its month is the same either way."""
    days, months = (
        split_period(period_from, period_to) if whole_months else ([(period_from, period_to)], None)
    )
    daily: Table = DailyCount.__table__  # type: ignore[assignment]
    sources = [(daily, daily.c.day, a, b) for a, b in days]
    if months:
        monthly: Table = MonthlyCount.__table__  # type: ignore[assignment]
        sources.append((monthly, monthly.c.month, *months))
    return sources
