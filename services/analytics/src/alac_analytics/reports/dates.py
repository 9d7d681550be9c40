"""Dates written out in the report's language (CLDR data, via Babel): "7 December 2026",
"7 декабря 2026 г.", "2026 ж. 7 желтоқсан"."""

from __future__ import annotations

from datetime import date

from babel.dates import format_date


def long_date(day: date, language: str) -> str:
    # English as written in Kazakhstan's official letters: day before month (en_GB).
    written = format_date(day, format="long", locale={"en": "en_GB"}.get(language, language))
    # CLDR's narrow no-break space before "г." / "ж." is not in PT Sans: a plain no-break one.
    return written.replace("\u202f", "\u00a0")
