"""Small-cell suppression with complementary suppression, shared by every service that
publishes counts to roles that may not see single complaints (analytics' reports, summary and
dashboard; search's counts-only answers).

A published table here is rows (offices or tenants, plus the merged row `*` that is their
sum) by values of one dimension, plus each row's total. A count 0 < c < threshold is hidden
(primary suppression). Then, until nothing changes:

- a row with exactly one hidden cell, or hidden cells summing to less than the threshold,
  hides its smallest visible cell (or its total when there is none): otherwise total minus
  the visible cells gives the hidden one back;
- a row whose total is hidden hides every cell (the cells would add up to the total);
- a column (one value across the rows) with a hidden office cell hides the merged cell, and a
  hidden merged cell needs a hidden office cell: otherwise the merged figure minus the other
  offices gives it back.

So every row and column with a hidden cell has at least two, and no single subtraction of
published figures recovers one. Only additions are made, so the loop ends.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass

#: The platform's floor: no tenant may choose a lower threshold.
DEFAULT_THRESHOLD = 5

TOTAL = "__total__"
MERGED = "*"

Table = Mapping[str, Mapping[str, int]]  # row -> value -> count (TOTAL included)
Cell = tuple[str, str]


def suppress(table: Table, threshold: int, hidden: set[Cell] | None = None) -> set[Cell]:
    """The cells to hide in `table` (rows include MERGED when there are several rows)."""
    hidden = set(hidden or ())
    if threshold <= 1:
        return hidden
    for row, cells in table.items():
        hidden |= {(row, v) for v, n in cells.items() if 0 < n < threshold}
    offices = [r for r in table if r != MERGED]
    values = {v for cells in table.values() for v in cells}
    changed = True
    while changed:
        before = len(hidden)
        for row, cells in table.items():
            _protect_row(row, cells, threshold, hidden)
        if MERGED in table and len(offices) > 1:
            for value in values:
                _protect_column(value, table, offices, hidden)
        changed = len(hidden) != before
    return hidden


def _protect_row(row: str, cells: Mapping[str, int], threshold: int, hidden: set[Cell]) -> None:
    if (row, TOTAL) in hidden:
        hidden |= {(row, v) for v in cells}
        return
    inner = [v for v in cells if v != TOTAL and (row, v) in hidden]
    if not inner:
        return
    if len(inner) == 1 or sum(cells[v] for v in inner) < threshold:
        visible = [v for v, n in cells.items() if v != TOTAL and (row, v) not in hidden and n > 0]
        if visible:
            hidden.add((row, min(visible, key=lambda v: (cells[v], v))))
        else:
            hidden.add((row, TOTAL))


def _protect_column(value: str, table: Table, offices: list[str], hidden: set[Cell]) -> None:
    present = [r for r in offices if table[r].get(value, 0) > 0]
    office_hidden = [r for r in present if (r, value) in hidden]
    merged_hidden = (MERGED, value) in hidden
    if office_hidden and not merged_hidden:
        hidden.add((MERGED, value))
    elif merged_hidden and not office_hidden and present:
        hidden.add((min(present, key=lambda r: (table[r][value], r)), value))


SUMMARY_ROW = "all"


def suppress_summary(
    total: int, breakdowns: Mapping[str, Mapping[str, int]], threshold: int
) -> tuple[int | None, dict[str, dict[str, int | None]]]:
    """One total and several breakdowns of it (each a one-row table whose row total is the
    total). A hidden total hides every breakdown (their cells add up to it), so the tables are
    suppressed together until the set of hidden totals stops growing."""
    total_hidden = 0 < total < threshold
    while True:
        hidden = {
            name: suppress(
                {SUMMARY_ROW: {**cells, TOTAL: total}},
                threshold,
                {(SUMMARY_ROW, TOTAL)} if total_hidden else set(),
            )
            for name, cells in breakdowns.items()
        }
        found = any((SUMMARY_ROW, TOTAL) in cells for cells in hidden.values())
        if found == total_hidden:
            break
        total_hidden = True
    shown = {
        name: {
            value: (None if (SUMMARY_ROW, value) in hidden[name] else n)
            for value, n in cells.items()
        }
        for name, cells in breakdowns.items()
    }
    return (None if total_hidden else total), shown


# --- cell-key perturbation (differencing) ---------------------------------------------------
#
# Suppression hides a small count, but two visible totals can still be subtracted: `q=clerk`
# (37) minus `q=clerk -rareword` (36) says the rare-word complaint mentions a clerk. Search
# answers any query, so no table of published cells can be protected in advance. The cell-key
# method of statistical agencies (ABS TableBuilder) closes this: every complaint has a secret
# record key; a published count gets noise drawn from the sum of its complaints' record keys.
# The same set of complaints always gets the same noise (asking again averages nothing out),
# while two sets that differ by one complaint get unrelated noise, so their difference no
# longer tells whether that complaint is in the cell. Keys are computed by the engines from the
# document id (see `record_key`), so only counts, never ids, leave the engine.

CELL_KEY_MODULUS = 2**32
# Noise by the cell key's position in [0, 1): cumulative bounds and the noise added.
_NOISE_TABLE = ((0.10, -2), (0.30, -1), (0.70, 0), (0.90, 1), (1.00, 2))


@dataclass(frozen=True)
class CellKeyParams:
    """The secret of record keys. Engines store each document's record key when they index
    it (OpenSearch sums a stored field; the embedded engine computes it in SQL)."""

    secret: bytes

    @classmethod
    def from_secret(cls, secret: bytes) -> CellKeyParams:
        return cls(hmac.new(secret, b"alac-cell-key", hashlib.sha256).digest())


def record_key(params: CellKeyParams, doc_id: str) -> int:
    """A complaint's record key: 32 secret-keyed bits of its id, in [0, 2^32)."""
    digest = hmac.new(params.secret, doc_id.encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:4], "big")


def perturb(count: int, key_sum: int, threshold: int) -> int:
    """The published count for `count` complaints whose record keys sum to `key_sum`. Zero
    stays zero (an empty cell has no complaints to key it); a count at or above the threshold
    never drops below it (a published figure under the threshold would itself be a small
    cell)."""
    if count <= 0:
        return 0
    position = _position(key_sum % CELL_KEY_MODULUS, count)
    noise = next(n for bound, n in _NOISE_TABLE if position < bound)
    published = count + noise
    return max(published, threshold) if count >= threshold else max(published, 1)


def _position(cell_key: int, count: int) -> float:
    """The cell's place in [0, 1) on the noise table, drawn from its cell key and count.

    The key is hashed, not used as a place itself: adding one complaint moves the cell key by
    that complaint's record key, and a record key near 0 (mod 2^32) would move the place by a
    hair, leave the noise unchanged and let `with it - without it` reveal the complaint (about
    one search in ten could be differenced so). Hashed, neighbouring keys land anywhere, as
    the ABS perturbation table's rows do.
    """
    digest = hashlib.sha256(f"{cell_key}:{count}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64
