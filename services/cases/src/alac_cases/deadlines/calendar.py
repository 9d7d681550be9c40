"""Counting days: calendar days, or working days skipping weekends and Kazakhstan's public
holidays (the `holidays` table, data rather than code, so a decree moving a day off is an
update of a row)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, date, datetime, time, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from alac_cases.deadlines.models import Holiday

# Kazakhstan has one time zone, UTC+5, since 1 March 2024. A deadline falls due at the end of
# its last day there (a filing is in time until the office closes, and midnight is the bound).
KZ = timezone(timedelta(hours=5), "Asia/Almaty")


def is_working_day(day: date, holidays: Collection[date]) -> bool:
    return day.weekday() < 5 and day not in holidays


def add_days(start: date, days: int, *, kind: str, holidays: Collection[date]) -> date:
    """The last day of a term of `days` counted from the day after `start`.

    Calendar terms that end on a day off move to the next working day (Civil Procedure Code
    art. 10, Code of Administrative Offences art. 820: a term ending on a day off ends on the
    next working day). Working-day terms count only working days."""
    if kind == "working":
        day, left = start, days
        while left > 0:
            day += timedelta(days=1)
            if is_working_day(day, holidays):
                left -= 1
        return day
    day = start + timedelta(days=days)
    while not is_working_day(day, holidays):
        day += timedelta(days=1)
    return day


def end_of_day(day: date) -> datetime:
    """The instant a deadline on `day` falls due, in UTC."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=KZ).astimezone(UTC)


def holidays_between(*, session: Session, start: date, end: date) -> set[date]:
    return set(
        session.execute(select(Holiday.day).where(Holiday.day >= start, Holiday.day <= end))
        .scalars()
        .all()
    )
