"""The range of days a question may ask about.

Outside it, date arithmetic (the day after `to`, the window before `window_end`, a UTC offset
applied to year 1 or 9999) overflows Python's `date`: without a bound such a request would be a
500 instead of a 422 naming the parameter. No ALAC record is older than 1900 or newer than 2999.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2999, 12, 31)
FIRST_INSTANT = datetime(1900, 1, 1, tzinfo=UTC)
END_INSTANT = datetime(3000, 1, 1, tzinfo=UTC)  # exclusive
