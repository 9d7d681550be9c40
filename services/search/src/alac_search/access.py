"""What each role sees of the index: the platform's visibility rule (alac_kernel.visibility)
applied to search.

- volunteers: their own office's complaints, intake fields only (no case status, assignee or
  outcome, and no filtering or counting by them);
- lawyers, coordinators, tenant admins: every complaint and case of their tenant;
- analysts: counts only (total and facets), never text, snippets or ids; counts from 1 to the
  small-cell threshold - 1 are null, with complementary cells (alac_kernel.small_cells), since
  a query can be narrowed to one complaint (a rare word) and then ask yes/no questions about
  its text or read its fields from the facets.

The tenant always comes from the token and is part of the engine query itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from alac_kernel.errors import BadInput
from alac_kernel.small_cells import perturb, suppress_summary
from alac_kernel.visibility import Visibility
from alac_search.engines.base import CASE_FIELDS, Hit, Page

#: Filters and facets by the case's fields, refused to a role that does not see them.
CASE_FILTERS = ("status", "assignee")


def refuse_hidden_fields(seen: Visibility, filters: Mapping[str, str], facets: list[str]) -> None:
    """A filter or facet on a case field the caller does not see is refused (400)."""
    if seen.case_fields:
        return
    for name in CASE_FILTERS:
        if name in filters or name in facets:
            field = f"query.{name}" if name in filters else "query.facet"
            raise BadInput.one(field, f"{name} is a case field this role does not see")


def office_filters(seen: Visibility, filters: dict[str, str]) -> dict[str, str] | None:
    """`filters` narrowed to the office the caller may see; None when they asked for another
    office (the answer is then empty, as for an office with no complaints)."""
    if seen.office is None:
        return filters
    if not seen.sees_office(filters.get("office", seen.office)):
        return None
    return {**filters, "office": seen.office}


def hit_fields(hit: Hit, seen: Visibility) -> dict[str, Any]:
    """The hit's fields this caller may read (case fields dropped unless they see them)."""
    if seen.case_fields:
        return dict(hit.fields)
    return {k: v for k, v in hit.fields.items() if k not in CASE_FIELDS}


#: The unpublished remainder of a facet (documents without a value for the field), so a hidden
#: cell whose complement is only this remainder is not over-protected by hiding the total.
_REST = "\x00rest"


def suppressed(page: Page, threshold: int) -> tuple[int | None, dict[str, dict[str, int | None]]]:
    """A counts-only answer: small cells hidden (with their complements), then every figure
    left perturbed by its cell key, so two visible totals cannot be subtracted to reveal one
    complaint."""
    total, facets = page.total, page.facets
    if total < threshold:
        # Zero is hidden too, and so is which facet values occur: a query narrowed to one
        # complaint would otherwise answer yes/no (0 or hidden) and name the hit's fields.
        return None, {name: {} for name in facets}
    with_rest: dict[str, dict[str, int]] = {
        name: {**cells, _REST: max(0, total - sum(cells.values()))}
        for name, cells in facets.items()
    }
    shown_total, shown = suppress_summary(total, with_rest, threshold)
    if shown_total is not None:
        shown_total = perturb(shown_total, page.total_key or 0, threshold)
    return shown_total, {
        name: {
            v: (
                None
                if n is None
                else perturb(n, page.facet_keys.get(name, {}).get(v, 0), threshold)
            )
            for v, n in cells.items()
            if v != _REST
        }
        for name, cells in shown.items()
    }
