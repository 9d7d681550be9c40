"""Office and role visibility: what of their tenant a caller may see, one rule for every service.

The tenant always comes from the token (alac_kernel.tenancy through the session); inside it:

- lawyers, coordinators and tenant admins see every office's records, case fields included;
- volunteers and partner systems see their own office's records only, without the case's
  status, assignee or outcome (a caller without an office claim sees no office);
- analysts and network analysts see counts only, never a record's text or id, over the
  whole tenant (counts by case status included);
- only coordinators and tenant admins (the office level) see exact small counts; everyone
  else gets small cells hidden (alac_kernel.small_cells).

A record of an office the caller may not see answers exactly like a missing one (404), so
its existence leaks nothing. Where a caller holds several roles the widest reach wins.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from alac_kernel.auth import roles
from alac_kernel.auth.principal import Principal

#: Roles that see every office of their tenant, case fields included.
TENANT_WIDE_ROLES: frozenset[str] = frozenset({roles.LAWYER, roles.COORDINATOR, roles.TENANT_ADMIN})
#: Roles that see their own office's records.
OFFICE_ROLES: frozenset[str] = frozenset({roles.VOLUNTEER, roles.PARTNER})
#: Roles that see counts only (statistics), across the offices of their tenant.
COUNTS_ONLY_ROLES: frozenset[str] = frozenset({roles.ANALYST, roles.NETWORK_ANALYST})
#: The office level and above: exact small counts of their own tenant (ARCHITECTURE.md).
SMALL_CELL_ROLES: frozenset[str] = frozenset({roles.COORDINATOR, roles.TENANT_ADMIN})

#: The office of a caller limited to one office but without an office claim: no record has it.
NO_OFFICE = "-"


class _HasOffice(Protocol):
    @property
    def office(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class Visibility:
    """What one caller may see of their tenant's records."""

    #: None: every office of the tenant; otherwise the one office whose records they see.
    office: str | None
    #: Single records (text, ids, fields); False: counts only.
    records: bool
    #: The case's status, assignee and outcome (as fields, filters and facets).
    case_fields: bool
    #: Exact counts below the small-cell threshold.
    small_cells: bool

    def sees_office(self, office: str | None) -> bool:
        """Whether records of `office` are visible (every office when not limited to one)."""
        return self.office is None or office == self.office

    def sees(self, record: _HasOffice) -> bool:
        """Whether `record` (anything with an `office`) is visible to this caller."""
        return self.sees_office(record.office)

    def office_filter(self, requested: str | None) -> str | None:
        """The office a listing is narrowed to: the caller's own when limited to one office
        (whatever was asked), else the office asked for (None: all of them)."""
        return self.office if self.office is not None else requested


def visibility(principal: Principal) -> Visibility:
    """The caller's visibility, from their roles and office claim."""
    small_cells = sees_small_cells(principal)
    if principal.has_any(*TENANT_WIDE_ROLES):
        return Visibility(office=None, records=True, case_fields=True, small_cells=small_cells)
    own = principal.office or NO_OFFICE
    if principal.has_any(*OFFICE_ROLES):
        return Visibility(office=own, records=True, case_fields=False, small_cells=small_cells)
    if principal.has_any(*COUNTS_ONLY_ROLES):
        return Visibility(office=None, records=False, case_fields=True, small_cells=small_cells)
    # A role outside these (a platform admin) reaches no tenant's records here.
    return Visibility(office=own, records=False, case_fields=False, small_cells=small_cells)


def office_scope(principal: Principal) -> str | None:
    """None when the caller sees every office, else the one office they may see."""
    return visibility(principal).office


def sees_small_cells(principal: Principal) -> bool:
    """Whether the caller sees exact counts below the small-cell threshold (office level)."""
    return principal.has_any(*SMALL_CELL_ROLES)


__all__ = [
    "COUNTS_ONLY_ROLES",
    "NO_OFFICE",
    "OFFICE_ROLES",
    "SMALL_CELL_ROLES",
    "TENANT_WIDE_ROLES",
    "Visibility",
    "office_scope",
    "sees_small_cells",
    "visibility",
]
