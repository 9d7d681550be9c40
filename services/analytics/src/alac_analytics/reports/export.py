"""The statistical report as flat rows, for CSV and XLSX. Each row carries the scope it comes
from (offices, period, n), so a figure copied out of the sheet still says what it is, and the
value's label in the report's language beside its code.

With one office (or tenant) the combined rows would repeat that office's rows: only the
office's are written, so summing a column never counts a complaint twice."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

from openpyxl import Workbook

from alac_analytics.labels import value_label
from alac_analytics.projections.dimensions import DIMENSIONS, DURATIONS
from alac_kernel.exports import csv_text, neutralise_row

HEADER = (
    "scope", "period_from", "period_to", "section", "value", "count", "percent", "n", "label",
)  # fmt: skip


LABELLED = frozenset(DIMENSIONS)


def rows(report: dict[str, Any], lang: str = "en") -> Iterator[tuple[Any, ...]]:
    for row in _rows(report):
        section, value = row[3], row[4]
        yield (*row, value_label(section, value, lang) if section in LABELLED else value)


def _rows(report: dict[str, Any]) -> Iterator[tuple[Any, ...]]:
    scope = report["scope"]
    period = (scope["from"], scope["to"])
    # A tenant's report is broken down by office, the network report by tenant.
    key = "tenants" if "tenants" in report else "offices"
    chosen = scope.get(key, "all")
    sections = list(report[key].items())
    if len(sections) != 1:
        combined = f"all {key}" if chosen in ("all", None) else ",".join(chosen)
        sections.insert(0, (combined, report))
    for name, body in sections:
        yield (
            name,
            *period,
            "total",
            "all",
            body["total"],
            100.0 if body["total"] else None,
            body["total"],
        )
        for dimension, block in body["dimensions"].items():
            for item in block["values"]:
                yield (
                    name,
                    *period,
                    dimension,
                    item["value"],
                    item["count"],
                    item["percent"],
                    block["n"],
                )
        outcomes = body["outcomes"]
        for item in outcomes["values"]:
            yield (
                name,
                *period,
                "outcome",
                item["value"],
                item["count"],
                item["percent"],
                outcomes["n"],
            )
        for rate in ("resolution_rate", "rejection_rate"):
            yield (name, *period, rate, "closed cases", None, outcomes[rate], outcomes["n"])
        for item in body["monthly"]:
            yield (name, *period, "monthly", item["month"], item["count"], None, body["total"])
        for duration in DURATIONS:
            block = body[duration]
            for stat in ("median", "p90"):
                yield (name, *period, duration, stat, block[stat], None, block["n"])
            # Left out of the times: imported or back-dated complaints (see docs/analytics.md).
            yield (name, *period, duration, "not_live", block.get("not_live"), None, None)


def to_csv(report: dict[str, Any], lang: str = "en") -> str:
    return csv_text(HEADER, rows(report, lang))


def to_xlsx(report: dict[str, Any], lang: str = "en") -> bytes:
    book = Workbook()
    sheet = book.worksheets[0]  # the one a new workbook has
    sheet.title = "statistics"
    sheet.append(HEADER)
    for row in rows(report, lang):
        # openpyxl stores a string starting with "=" as a formula.
        sheet.append(neutralise_row(row))
    about = book.create_sheet("scope")
    for key, value in report["scope"].items():
        if isinstance(value, list):
            value = ",".join(value)
        elif isinstance(value, dict):
            value = "; ".join(f"{k}: {v}" for k, v in value.items())
        about.append(neutralise_row([key, value]))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
