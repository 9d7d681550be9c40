"""What a fact contributes to `daily_counts`: one (dimension, value) pair per dimension.

Reports read percentages per dimension from these pairs, so every dimension a report shows is
listed here once. Times to triage and to close go in as whole hours (a histogram) so medians
and 90th percentiles come from the aggregate too.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from itertools import combinations
from typing import Any

#: Categorical dimensions: fact column -> dimension name in reports.
CATEGORICAL = {
    "channel": "channel",
    "area": "area",
    "sub_area": "sub_area",
    "authority_level": "authority_level",
    "respondent_body_type": "respondent_body_type",
    "complainant_type": "complainant_type",
    "sex": "sex",
    "age_band": "age_band",
    "education": "education",
    "residence": "residence",
    "region": "region",
    "request_type": "request_type",
    "corruption_related": "corruption_related",
    "non_corruption_reason": "non_corruption_reason",
    "heard_from": "heard_from",
    "status": "status",
    "outcome": "outcome",
}
FLAGS = ("anonymous", "withdrawn")
DURATIONS = {"time_to_triage_hours": "triaged_at", "time_to_close_hours": "closed_at"}
TOTAL: tuple[str, str] = ("total", "all")
#: Whether the complaint was received live (is_live): the base of the service-time figures.
LIVE = "live"
UNSPECIFIED = "unspecified"
#: A complaint registered more than this after its received date was typed in from paper
#: (back-dated): its service times would measure the typing-in. Three days let a letter that
#: came on Friday and was registered on Monday count as live.
LIVE_GRACE = timedelta(hours=72)

#: Every dimension name a report can break down by.
DIMENSIONS = (*CATEGORICAL.values(), *FLAGS)
PAIRED = frozenset(DIMENSIONS)

Key = tuple[str, date, str, str]  # office, day, dimension, value
#: office, month (its first day), dimension, value, other dimension, other value; the two
#: dimensions in name order, so each pair of a complaint's values is kept once.
PairKey = tuple[str, date, str, str, str, str]


def hours_between(start: datetime | None, end: datetime | None) -> int | None:
    if start is None or end is None:
        return None
    return max(0, int((end - start).total_seconds() // 3600))


def is_live(fact: Mapping[str, Any]) -> bool:
    """Received by the platform as it came: not a historical import, not back-dated. A fact
    projected before registration times were kept (registered_at null) counts as live."""
    if fact.get("historical"):
        return False
    received_at, registered_at = fact.get("received_at"), fact.get("registered_at")
    if received_at is None or registered_at is None:
        return True
    return registered_at - received_at <= LIVE_GRACE


#: A fact's place and what it is counted as there: its office, the day it was received, and
#: one (dimension, value) per dimension it is counted in.
Cells = tuple[str, date, list[tuple[str, str]]]


def contributions(fact: Mapping[str, Any]) -> Counter[Key]:
    """The daily_counts cells this fact is counted in (empty until intake told us about it)."""
    found = cells(fact)
    if found is None:
        return Counter()
    office, day, values = found
    # Each dimension once, so every cell is 1.
    return Counter({(office, day, dimension, value): 1 for dimension, value in values})


def cells(fact: Mapping[str, Any]) -> Cells | None:
    """`contributions` as office, day and values (None where it is empty): the same rule,
    without a tuple and a Counter entry per cell (a rebuild takes this for every fact)."""
    received_at = fact.get("received_at")
    if not fact.get("complaint_version") or received_at is None:
        # A case event that overtook its complaint: nothing to count until the complaint comes.
        return None
    values: list[tuple[str, str]] = [TOTAL]
    append = values.append
    for column, dimension in CATEGORICAL.items():
        value = fact.get(column)
        if column == "outcome" and value is None:
            continue  # only closed cases have an outcome; rates are over closed cases
        if column == "non_corruption_reason" and fact.get("corruption_related") != "no":
            continue  # a reason is asked only of complaints found not corruption-related
        append((dimension, value or UNSPECIFIED))
    for flag in FLAGS:
        value = fact.get(flag)
        append((flag, UNSPECIFIED if value is None else ("yes" if value else "no")))
    live = is_live(fact)
    append((LIVE, "yes" if live else "no"))
    if live:
        # Not when handled before the platform, or typed in long after it came: the
        # platform's times would measure the import, not the service (and the time to close
        # would be years).
        for dimension, column in DURATIONS.items():
            hours = hours_between(received_at, fact.get(column))
            if hours is not None:
                append((dimension, str(hours)))
    return fact.get("office") or UNSPECIFIED, received_at.date(), values


def pairs(cells: Counter[Key]) -> Counter[PairKey]:
    """The pair_counts cells of a fact, from its daily_counts cells: every two of its
    dimension values (DIMENSIONS only: not the total, live flag or durations) in its month.
    A value a fact is not counted in (an open case's outcome) is in no pair either, so a
    breakdown under one filter read from pairs counts as the facts would."""
    values = sorted((dim, value) for (_, _, dim, value), n in cells.items() if n and dim in PAIRED)
    if not values:
        return Counter()
    office, day, *_ = next(iter(cells))
    month = day.replace(day=1)
    # ~170 pairs per complaint: built by itertools and counted by Counter (C loops), as a
    # rebuild computes them for every complaint.
    return Counter(
        (office, month, dim, value, other, other_value)
        for (dim, value), (other, other_value) in combinations(values, 2)
    )


def pair_changes(before: Counter[Key], after: Counter[Key]) -> Counter[PairKey]:
    """pairs(after) - pairs(before). When the office and month stay, only the pairs a changed
    value is in are computed: a case event changes one or two of a complaint's ~19 values,
    so ~40 pairs instead of twice ~170."""
    old, new = _paired(before), _paired(after)
    place = _place(before)
    if not old or not new or place is None or place != _place(after):
        changed = pairs(after)
        changed.subtract(pairs(before))
        return changed
    office, month = place
    out: Counter[PairKey] = Counter()
    for moved, values, sign in ((new - old, new, 1), (old - new, old, -1)):
        for x in moved:
            for y in values:
                if y == x or (y in moved and y < x):
                    continue  # a pair of two moved values is counted once
                (dim, value), (other, other_value) = (x, y) if x < y else (y, x)
                out[(office, month, dim, value, other, other_value)] += sign
    return out


def _paired(cells: Counter[Key]) -> set[tuple[str, str]]:
    return {(dim, value) for (_, _, dim, value), n in cells.items() if n and dim in PAIRED}


def _place(cells: Counter[Key]) -> tuple[str, date] | None:
    for office, day, *_ in cells:
        return office, day.replace(day=1)
    return None
