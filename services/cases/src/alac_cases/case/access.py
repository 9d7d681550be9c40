"""Loading a case for a caller: the tenant (the session's scope) and the kernel's office and
role visibility (alac_kernel.visibility: volunteers their own office's cases; lawyers,
coordinators and tenant admins the tenant's), so a case the caller may not see is missing to
them; and the row lock of a change."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from alac_cases.case.models import Case
from alac_kernel.auth.principal import Principal
from alac_kernel.errors import NotFound
from alac_kernel.visibility import visibility


def load_case(
    *, session: Session, case_id: str, principal: Principal, for_update: bool = False
) -> Case:
    """The case, or NotFound for a missing one, another tenant's and another office's alike.

    `for_update` locks the row (PostgreSQL) so two writers holding the same version cannot
    both pass the version check; SQLite serialises writers anyway."""
    query = select(Case).where(Case.id == case_id)
    if for_update:
        query = query.with_for_update()
    return _visible(session, query, principal)


def load_case_of_complaint(*, session: Session, complaint_id: str, principal: Principal) -> Case:
    """The case opened for a complaint (one per complaint and tenant), scoped like load_case:
    NotFound for none yet, another tenant's and another office's alike."""
    if "\x00" in complaint_id:  # no id holds NUL, and PostgreSQL would refuse the query
        raise NotFound("case")
    return _visible(session, select(Case).where(Case.complaint_id == complaint_id), principal)


def _visible(session: Session, query: Select[Any], principal: Principal) -> Case:
    seen = visibility(principal)
    if not seen.records:  # counts only: no case file is theirs to read
        raise NotFound("case")
    if seen.office is not None:
        query = query.where(Case.office == seen.office)
    case = session.execute(query).scalar_one_or_none()
    if case is None:
        raise NotFound("case")
    return case
