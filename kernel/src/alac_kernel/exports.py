"""Rules for data leaving the platform as spreadsheets (CSV, XLSX), shared by every service.

A cell whose text starts with `=`, `+`, `-`, `@` (or a tab or carriage return, which some
spreadsheet programs skip before reading a formula) is run as a formula when the file is
opened: a proposal text `=HYPERLINK("http://evil","click")` in an export would become a live
link or worse (OWASP "CSV injection"). Such text is prefixed with an apostrophe, which
spreadsheets show as a plain-text marker; numbers stay numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def neutralise_row(row: Iterable[Any]) -> list[Any]:
    return [neutralise_cell(v) for v in row]


def csv_text(header: Iterable[Any], rows: Iterable[Iterable[Any]]) -> str:
    """A CSV document with every text cell neutralised."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(neutralise_row(header))
    writer.writerows(neutralise_row(row) for row in rows)
    return out.getvalue()
