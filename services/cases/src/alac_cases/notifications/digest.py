"""When an e-mail may go: quiet hours and the daily digest, in the tenant's time zone.

Quiet hours are local times ("22:00"-"07:00" wraps past midnight); an e-mail decided inside
them waits until they end. A staff member on the daily digest gets one e-mail a day at
DIGEST_AT local time (moved past quiet hours) bundling what they were told since the last one.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.orm import Session

from alac_cases.deadlines.calendar import KZ
from alac_cases.tenancy.models import TenantRecord

DIGEST_AT = time(8, 0)


def tenant_zone(session: Session, tenant: str) -> tzinfo:
    """The tenant's time zone: `time_zone` of its registry entry when set, else Kazakhstan's
    (one zone, UTC+5, the one the deadline calendar counts in)."""
    record = session.get(TenantRecord, tenant)
    name = (record.spec or {}).get("time_zone") if record is not None else None
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return KZ


def parse_hhmm(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def in_quiet_hours(local: datetime, start: time, end: time) -> bool:
    now = local.time()
    if start < end:
        return start <= now < end
    return now >= start or now < end  # wraps past midnight


def after_quiet_hours(
    moment: datetime, zone: tzinfo, quiet: tuple[str, str] | None
) -> datetime | None:
    """When an e-mail decided at `moment` may go: None for at once, else the (UTC) end of
    the quiet hours it falls in."""
    if quiet is None:
        return None
    start, end = parse_hhmm(quiet[0]), parse_hhmm(quiet[1])
    local = moment.astimezone(zone)
    if not in_quiet_hours(local, start, end):
        return None
    ends = datetime.combine(local.date(), end, tzinfo=zone)
    if ends <= local:
        ends = datetime.combine(local.date() + timedelta(days=1), end, tzinfo=zone)
    return ends.astimezone(UTC)


def next_digest(
    moment: datetime, zone: tzinfo, quiet: tuple[str, str] | None
) -> tuple[date, datetime]:
    """The digest a notification made at `moment` goes out in: its local day (the digest's
    name) and the UTC instant it is sent."""
    local = moment.astimezone(zone)
    day = local.date() if local.time() < DIGEST_AT else local.date() + timedelta(days=1)
    at = datetime.combine(day, DIGEST_AT, tzinfo=zone).astimezone(UTC)
    return day, after_quiet_hours(at, zone, quiet) or at
