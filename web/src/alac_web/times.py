"""Times on the staff pages in the tenant's time zone, with the zone written beside them.

The services answer in UTC (ISO 8601); a volunteer in Almaty reads 14:05, not 09:05 UTC.
The zone is the tenant's `time_zone` in the tenant registry (zones.py; `ALAC_WEB_TIME_ZONE`,
default Asia/Almaty, for a tenant the registry does not know), read with the standard
library's zoneinfo (the IANA database: the system's, or the `tzdata` package)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo


def zone_label(moment: datetime) -> str:
    """`UTC+5`, `UTC+5:30`, `UTC`: the offset in force at that moment."""
    offset = moment.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset else 0
    if minutes == 0:
        return "UTC"
    sign, minutes = ("+" if minutes > 0 else "-"), abs(minutes)
    hours, rest = divmod(minutes, 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def local(
    value: str | datetime | None, zone: ZoneInfo, *, date_only: bool = False,
    due: bool = False,
) -> str:  # fmt: skip
    """An API timestamp as `2026-12-07 14:05 UTC+5` in `zone` (naive ones are UTC, as the
    services write them); a date alone stays as it is (a due date is a calendar day).
    `due=True`: a deadline's end (cases stores "the end of the 15th" as midnight starting the
    16th), shown as the day it ends."""
    if not value:
        return "—"
    moment = value if isinstance(value, datetime) else None
    if moment is None:
        text = str(value)
        if len(text) == 10:
            return text
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return text
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    here = moment.astimezone(zone)
    if due:
        return (here - timedelta(seconds=1)).strftime("%Y-%m-%d")
    if date_only:
        return here.strftime("%Y-%m-%d")
    return f"{here:%Y-%m-%d %H:%M} {zone_label(here)}"
