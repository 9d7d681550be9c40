"""A rebuild's counts, summed in memory.

The live projection upserts each event's count differences into `daily_counts`,
`monthly_counts` and `pair_counts` as it comes: about 25 daily cells and 170 pairs for a new
complaint. A rebuild applies events to the facts only (`Projection.apply_to_facts`) and hands
each changed fact's count images, before and after (`dimensions.cells`, the live
projection's own rule as `dimensions.contributions` applies it; its pairs are every two of its values, `dimensions.pairs`), to a
`Tally`: the image after is added, the image before (a fact met in an earlier batch) taken
away, so the sums are the counts of the final facts, the cells the live projection has.

Rather than a Python tuple per cell, each image is coded as one small integer per dimension
(its value's code), and many images are counted at once with numpy: per dimension over
(tenant, office, day), per two dimensions over (tenant, office, month), a weighted histogram
of a combined code (`np.bincount`). Cells are summed in memory and written when there are many
(upserts, as two writes may meet in one cell), so memory stays bounded whatever the number of
facts; a cell a later image brought back to zero is deleted at the end.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from sqlalchemy import delete
from sqlalchemy.engine import Connection

from alac_analytics.projections.dimensions import (
    CATEGORICAL,
    DURATIONS,
    FLAGS,
    LIVE,
    PAIRED,
    TOTAL,
    Cells,
)
from alac_analytics.projections.facts import Projection, write_many

#: Images coded before they are counted with numpy.
CHUNK = 20_000
#: Cells held in memory (daily and pairs together) before they are written.
FLUSH_CELLS = 400_000
#: Every dimension a fact's cells name, in name order: a pair's two dimensions are stored in
#: this order (dimensions.pairs).
ORDER = tuple(sorted({TOTAL[0], *CATEGORICAL.values(), *FLAGS, LIVE, *DURATIONS}))
POSITION = {dim: i for i, dim in enumerate(ORDER)}
PAIRED_POSITIONS = tuple(i for i, dim in enumerate(ORDER) if dim in PAIRED)
#: Largest histogram np.bincount may allocate for one question (else np.unique, which sorts).
MAX_BINS = 4_000_000
#: The columns of the cells' keys as they are summed here, then n.
DAILY_KEY = ("tenant_id", "office", "day", "dimension", "value", "n")
MONTHLY_KEY = ("tenant_id", "office", "month", "dimension", "value", "n")
PAIR_KEY = ("tenant_id", "dimension", "by_dimension", "month", "office", "value", "by_value", "n")

Place = tuple[str, str, date]  # tenant, office, day (or month: its first day)


class Tally:
    """daily_counts and pair_counts of many facts, summed in `daily` and `pairs`, for tables
    that are empty when it starts (a rebuild's fresh tables)."""

    def __init__(self, projection: Projection) -> None:
        self.projection = projection
        self.writes = 0
        # (dimension, value) -> the dimension's position in ORDER, the value's code in it
        self._code: dict[tuple[str, str], tuple[int, int]] = {}
        self.values: list[list[str]] = [[] for _ in ORDER]  # per dimension: code -> value
        self.days: dict[Place, int] = {}
        self.day_names: list[Place] = []
        self.months: dict[Place, int] = {}
        self.month_names: list[Place] = []
        self.month_of_day: list[int] = []
        self._facts: list[int] = []  # len(ORDER) codes per image, -1 where it has no value
        self._day_of_fact: list[int] = []
        self._weights: list[int] = []
        self.daily: Counter[tuple[str, str, date, str, str]] = Counter()
        self.pairs: Counter[tuple[str, str, str, date, str, str, str]] = Counter()

    def add(self, tenant: str, image: Cells | None, weight: int = 1) -> None:
        """One fact's count image (dimensions.cells: its office and day, one value per
        dimension), added (weight 1) or taken away (-1)."""
        if image is None:
            return
        office, day, values = image
        place = (tenant, office, day)
        day_id = self.days.get(place)
        if day_id is None:
            day_id = self.days[place] = len(self.day_names)
            self.day_names.append(place)
            month = (tenant, office, day.replace(day=1))
            month_id = self.months.get(month)
            if month_id is None:
                month_id = self.months[month] = len(self.month_names)
                self.month_names.append(month)
            self.month_of_day.append(month_id)
        row = [-1] * len(ORDER)
        codes = self._code
        for cell in values:
            coded = codes.get(cell)
            if coded is None:
                coded = self._new_code(*cell)
            i, code = coded
            if row[i] != -1:
                raise ValueError(f"a fact counted twice in {cell[0]}")  # never, by cells
            row[i] = code
        self._facts.extend(row)
        self._day_of_fact.append(day_id)
        self._weights.append(weight)
        if len(self._weights) >= CHUNK:
            self.count()

    def _new_code(self, dimension: str, value: str) -> tuple[int, int]:
        i = POSITION[dimension]
        coded = self._code[(dimension, value)] = (i, len(self.values[i]))
        self.values[i].append(value)
        return coded

    def count(self) -> None:
        """Move the facts added so far into `daily` and `pairs`."""
        import numpy as np  # a rebuild's dependency only: the service does not load it

        if not self._day_of_fact:
            return
        codes = np.array(self._facts, dtype=np.int64).reshape(-1, len(ORDER))
        days = np.array(self._day_of_fact, dtype=np.int64)
        weights = np.array(self._weights, dtype=np.float64)
        months = np.array(self.month_of_day, dtype=np.int64)[days]
        self._facts, self._day_of_fact, self._weights = [], [], []
        present = codes >= 0
        sizes = [max(1, len(v)) for v in self.values]
        for i, dim in enumerate(ORDER):
            has = present[:, i]
            found, counts = _histogram(np, days[has] * sizes[i] + codes[has, i], weights[has],
                                       len(self.day_names) * sizes[i])  # fmt: skip
            place, value = np.divmod(found, sizes[i])
            names, daily = self.values[i], self.daily
            for p, v, n in zip(place.tolist(), value.tolist(), counts.tolist(), strict=True):
                tenant, office, day = self.day_names[p]
                daily[(tenant, office, day, dim, names[v])] += n
        for a, i in enumerate(PAIRED_POSITIONS):
            for j in PAIRED_POSITIONS[a + 1 :]:
                both = present[:, i] & present[:, j]
                width = sizes[i] * sizes[j]
                combined = (months[both] * sizes[i] + codes[both, i]) * sizes[j] + codes[both, j]
                found, counts = _histogram(
                    np, combined, weights[both], len(self.month_names) * width
                )
                place, rest = np.divmod(found, width)
                mine, other = np.divmod(rest, sizes[j])
                self._pairs(i, j, place, mine, other, counts)

    def _pairs(self, i: int, j: int, *columns: Any) -> None:
        dim, by_dim, values, by_values = ORDER[i], ORDER[j], self.values[i], self.values[j]
        pairs, months = self.pairs, self.month_names
        for p, a, b, n in zip(*(c.tolist() for c in columns), strict=True):
            tenant, office, month = months[p]
            pairs[(tenant, dim, by_dim, month, office, values[a], by_values[b])] += n

    def write(self, connection: Connection) -> None:
        """Add the cells summed so far to the tables, and forget them."""
        self.count()
        daily, pairs = self.daily, self.pairs
        monthly: Counter[tuple[str, str, date, str, str]] = Counter()
        for (tenant, office, day, dim, value), n in daily.items():
            monthly[(tenant, office, day.replace(day=1), dim, value)] += n
        projection = self.projection
        for table, cells, names in (
            (projection.counts, daily, DAILY_KEY),
            (projection.monthly, monthly, MONTHLY_KEY),
            (projection.pairs, pairs, PAIR_KEY),
        ):
            rows = [dict(zip(names, (*k, n), strict=True)) for k, n in cells.items() if n]
            # The first write goes into empty tables, its cells each once: plain INSERTs
            # (COPY on PostgreSQL); later ones may meet cells already written.
            write_many(connection, table, rows, add=self.writes > 0)
        daily.clear()
        pairs.clear()
        self.writes += 1

    def full(self) -> bool:
        return len(self.daily) + len(self.pairs) >= FLUSH_CELLS

    def finish(self, connection: Connection) -> None:
        """The last write; then, if an image taken away met cells written before, the cells
        it left at zero go (a count of zero is no row, as in the live tables)."""
        self.write(connection)
        if self.writes > 1:
            for table in (self.projection.counts, self.projection.monthly, self.projection.pairs):
                connection.execute(delete(table).where(table.c.n == 0))


def _histogram(np: Any, keys: Any, weights: Any, bins: int) -> tuple[Any, Any]:
    """The distinct keys (non-negative integers below `bins`) and the sum of their weights
    (whole numbers; zero sums left out)."""
    if bins <= MAX_BINS:
        histogram = np.bincount(keys, weights=weights)
        found = np.flatnonzero(histogram)
        return found, histogram[found].astype(np.int64)
    found, inverse = np.unique(keys, return_inverse=True)
    sums = np.bincount(inverse.reshape(-1), weights=weights, minlength=len(found))
    kept = np.flatnonzero(sums)
    return found[kept], sums[kept].astype(np.int64)
