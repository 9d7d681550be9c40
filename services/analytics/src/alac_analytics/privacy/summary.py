"""Small-cell suppression for the summary (one total, several breakdowns of it).

Each breakdown is a one-row table whose row total is the summary's total; a hidden total hides
every breakdown (their cells add up to it), so the tables are suppressed together until the
set of hidden totals stops growing, as for the report (privacy/report.py).
"""

from __future__ import annotations

from collections.abc import Mapping

from alac_analytics.privacy.suppression import TOTAL, suppress

ROW = "all"


def suppress_summary(
    total: int, breakdowns: Mapping[str, Mapping[str, int]], threshold: int
) -> tuple[int | None, dict[str, dict[str, int | None]]]:
    total_hidden = 0 < total < threshold
    while True:
        hidden = {
            name: suppress(
                {ROW: {**cells, TOTAL: total}},
                threshold,
                {(ROW, TOTAL)} if total_hidden else set(),
            )
            for name, cells in breakdowns.items()
        }
        found = any((ROW, TOTAL) in cells for cells in hidden.values())
        if found == total_hidden:
            break
        total_hidden = True
    shown = {
        name: {value: (None if (ROW, value) in hidden[name] else n) for value, n in cells.items()}
        for name, cells in breakdowns.items()
    }
    return (None if total_hidden else total), shown
