"""Small-cell suppression applied to a statistical report (sections: the merged body and one
per office or tenant). Hidden counts become null with `"suppressed": true`; figures derived
from hidden counts (percentages, rates, medians of small groups) are hidden with them."""

from __future__ import annotations

from typing import Any

from alac_analytics.projections.dimensions import DURATIONS
from alac_kernel.small_cells import MERGED, TOTAL, Cell, suppress

Section = dict[str, Any]


def _tables(report: dict[str, Any], key: str) -> dict[str, dict[str, dict[str, int]]]:
    """Per block (dimension, 'monthly', 'outcome'): row -> value -> count, totals included."""
    sections: dict[str, Section] = {MERGED: report, **report[key]}
    tables: dict[str, dict[str, dict[str, int]]] = {"total": {}}
    for row, body in sections.items():
        tables["total"][row] = {TOTAL: body["total"]}
        for dimension, block in body["dimensions"].items():
            cells = {v["value"]: v["count"] for v in block["values"]}
            # A partial dimension (reasons of non-corruption complaints) totals its own n.
            tables.setdefault(dimension, {})[row] = {**cells, TOTAL: block["n"]}
        tables.setdefault("monthly", {})[row] = {
            **{m["month"]: m["count"] for m in body["monthly"]},
            TOTAL: body["total"],
        }
        outcomes = body["outcomes"]
        tables.setdefault("outcome", {})[row] = {
            **{v["value"]: v["count"] for v in outcomes["values"]},
            TOTAL: outcomes["n"],
        }
    return tables


def hidden_cells(report: dict[str, Any], key: str, threshold: int) -> dict[str, set[Cell]]:
    tables = _tables(report, key)
    rows = list(tables["total"])
    hidden_totals: set[Cell] = set()
    while True:
        result = {}
        for name, table in tables.items():
            # Section totals are shared by every block except outcomes (closed cases).
            seed = set() if name == "outcome" else set(hidden_totals)
            result[name] = suppress(table, threshold, seed)
        found = {
            (r, TOTAL)
            for name, cells in result.items()
            if name != "outcome"
            for r in rows
            if (r, TOTAL) in cells
        }
        if found <= hidden_totals:
            return result
        hidden_totals |= found


def apply(report: dict[str, Any], *, key: str, threshold: int) -> dict[str, Any]:
    """Hide small cells (in place) and say so in the scope."""
    hidden = hidden_cells(report, key, threshold)
    sections: dict[str, Section] = {MERGED: report, **report[key]}
    for row, body in sections.items():
        _hide_section(row, body, hidden, threshold)
    report["scope"]["suppression"] = {
        "threshold": threshold,
        "rule": "counts from 1 to threshold-1 hidden, with complementary cells so totals "
        "and differences cannot reveal them",
    }
    return report


def _hide_values(row: str, values: list[dict[str, Any]], cells: set[Cell]) -> bool:
    any_hidden = False
    for item in values:
        if (row, item["value"]) in cells:
            item.update(count=None, percent=None, suppressed=True)
            any_hidden = True
    return any_hidden


def _hide_section(row: str, body: Section, hidden: dict[str, set[Cell]], threshold: int) -> None:
    total_hidden = (row, TOTAL) in hidden["total"]
    if total_hidden:
        body["total"] = None
    for dimension, block in body["dimensions"].items():
        _hide_values(row, block["values"], hidden[dimension])
        if total_hidden or (row, TOTAL) in hidden[dimension]:
            block["n"] = None
    area_hidden = {v for r, v in hidden["area"] if r == row}
    for item in body["areas_ranked"]:
        if item["value"] in area_hidden:
            item.update(count=None, percent=None, suppressed=True)
    share = body["anonymous_share"]
    if total_hidden or (row, "yes") in hidden["anonymous"]:
        share.update(count=None, percent=None, n=None if total_hidden else share["n"])
        share["suppressed"] = True
    for item in body["monthly"]:
        if (row, item["month"]) in hidden["monthly"]:
            item.update(count=None, suppressed=True)
    outcomes = body["outcomes"]
    if _hide_values(row, outcomes["values"], hidden["outcome"]) or (
        (row, TOTAL) in hidden["outcome"]
    ):
        outcomes.update(resolution_rate=None, rejection_rate=None, suppressed=True)
    if (row, TOTAL) in hidden["outcome"]:
        outcomes["n"] = None
    for duration in DURATIONS:
        block = body[duration]
        if 0 < block["n"] < threshold or total_hidden:
            block.update(n=None, median=None, p90=None, suppressed=True)
        if 0 < block.get("not_live", 0) < threshold or total_hidden:
            block["not_live"] = None
