"""Dashboard filters: repeatable `filter=dimension:value`, plus the older `dimension=&value=`.

Values given twice for the same dimension are OR-ed (`filter=channel:hotline&filter=channel:
email`: complaints by hotline or e-mail); different dimensions are AND-ed. A question about
one dimension answers from `daily_counts` (every fact has exactly one value per dimension, so
summing the chosen values' cells counts each complaint once); two or more dimensions answer
from `complaint_facts`, whose rows hold every dimension together.
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from alac_analytics.labels import REFERENCE_LIST
from alac_analytics.models import DailyCount
from alac_analytics.projections.dimensions import DIMENSIONS, DURATIONS, FLAGS, UNSPECIFIED
from alac_kernel import reference
from alac_kernel.errors import InvalidFields

KNOWN = frozenset({*DIMENSIONS, *DURATIONS})
CODE = re.compile(r"[a-z0-9_]{1,64}")
#: Most filters a request may combine: every dimension once, with a few alternatives each.
MAX_FILTERS = 32

Filters = dict[str, tuple[str, ...]]  # dimension -> values (OR-ed), sorted


def parse(
    raw: list[str] | None, *, dimension: str | None = None, value: str | None = None
) -> Filters:
    """Validated filters; the legacy `dimension`/`value` pair counts as one more filter."""
    if (dimension is None) != (value is None):
        raise InvalidFields.one(
            "query.value" if dimension else "query.dimension", "give both or neither"
        )
    if dimension is not None and dimension not in KNOWN:
        raise InvalidFields.one("query.dimension", f"one of {', '.join(sorted(KNOWN))}")
    if value is not None and not CODE.fullmatch(value):
        raise InvalidFields.one("query.value", "a code: a-z, 0-9, _; at most 64")
    if len(raw or []) > MAX_FILTERS:
        raise InvalidFields.one("query.filter", f"at most {MAX_FILTERS} filters")
    pairs = [(dimension, value)] if dimension is not None and value is not None else []
    for item in raw or []:
        name, sep, code = item.partition(":")
        if not sep:
            raise InvalidFields.one(
                "query.filter", f"`{item[:80]}`: dimension:value, e.g. channel:hotline"
            )
        if name not in KNOWN:
            raise InvalidFields.one(
                "query.filter",
                f"unknown dimension `{name[:64]}`; one of {', '.join(sorted(KNOWN))}",
            )
        if not CODE.fullmatch(code):
            raise InvalidFields.one(
                "query.filter", f"`{name}` value: a code: a-z, 0-9, _; at most 64"
            )
        pairs.append((name, code))
    filters: dict[str, set[str]] = {}
    for name, code in pairs:
        filters.setdefault(name, set()).add(code)
    return {name: tuple(sorted(codes)) for name, codes in sorted(filters.items())}


def check_values(session: Session, tenant: str, filters: Filters, *, field: str) -> None:
    """Refuse a value the dimension cannot take (422 naming it), instead of answering an empty
    chart for a typo. A value is known when it is a reference code of the dimension, a flag's
    yes/no, a whole number of hours for a duration, `unspecified`, or a value the tenant's own
    counts hold (a tenant's own age bands, case statuses, retired codes)."""
    for dimension, values in filters.items():
        unknown = [v for v in values if not _standard(dimension, v)]
        if not unknown:
            continue
        t = DailyCount.__table__.c
        held = set(
            session.execute(
                select(t.value)
                .where(t.tenant_id == tenant, t.dimension == dimension, t.value.in_(unknown))
                .distinct()
            ).scalars()
        )
        missing = [v for v in unknown if v not in held]
        if missing:
            examples = sorted(reference.codes(REFERENCE_LIST.get(dimension, "")))[:8]
            hint = f"; e.g. {', '.join(examples)}" if examples else ""
            raise InvalidFields.one(field, f"unknown value `{missing[0]}` for `{dimension}`{hint}")


def _standard(dimension: str, value: str) -> bool:
    if value == UNSPECIFIED:
        return True
    if dimension in FLAGS:
        return value in ("yes", "no")
    if dimension in DURATIONS:
        return value.isdigit()
    return value in reference.codes(REFERENCE_LIST.get(dimension, ""))


def refuse_durations(filters: Filters, *, breakdown_by: str | None = None) -> None:
    """Durations are whole-hour histograms in daily_counts only; the facts hold timestamps, so
    a duration cannot be combined with another dimension (refused, never silently wrong)."""
    if breakdown_by in DURATIONS:
        raise InvalidFields.one(
            "query.dimension", f"`{breakdown_by}` cannot be broken down under a filter"
        )
    for name in filters:
        if name in DURATIONS:
            raise InvalidFields.one(
                "query.filter", f"`{name}` cannot be combined with another dimension"
            )


def scope(filters: Filters) -> dict[str, str | list[str]] | None:
    """As shown in an answer's scope: one value as a string, alternatives as a list."""
    if not filters:
        return None
    return {k: v[0] if len(v) == 1 else list(v) for k, v in filters.items()}
