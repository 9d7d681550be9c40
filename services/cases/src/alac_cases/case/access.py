"""Loading a case file for a caller: tenant and office scope, and the optimistic lock."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from alac_cases.models import Case
from alac_kernel.auth import roles
from alac_kernel.auth.principal import Principal
from alac_kernel.problems import Problem, field_error, not_found

_ETAG = re.compile(r'^(?:W/)?"?(\d{1,9})"?$')


def office_scope(principal: Principal) -> str | None:
    # Volunteers work their own office's queue; lawyers, coordinators and tenant admins see
    # the tenant's cases.
    if principal.has_any(roles.LAWYER, roles.COORDINATOR, roles.TENANT_ADMIN):
        return None
    return principal.office or "-"


def load_case(
    *, session: Session, case_id: str, principal: Principal, for_update: bool = False
) -> Case:
    """The case, or 404 for a missing one, another tenant's and another office's alike.

    `for_update` locks the row (PostgreSQL) so two writers holding the same version cannot
    both pass the version check; SQLite serialises writers anyway."""
    query = select(Case).where(Case.id == case_id)
    if for_update:
        query = query.with_for_update()
    scope = office_scope(principal)
    if scope:
        query = query.where(Case.office == scope)
    case = session.execute(query).scalar_one_or_none()
    if case is None:
        raise not_found("case")
    return case


def load_case_of_complaint(*, session: Session, complaint_id: str, principal: Principal) -> Case:
    """The case opened for a complaint (one per complaint and tenant), scoped like load_case:
    404 for none yet, another tenant's and another office's alike."""
    if "\x00" in complaint_id:  # no id holds NUL, and PostgreSQL would refuse the query
        raise not_found("case")
    query = select(Case).where(Case.complaint_id == complaint_id)
    scope = office_scope(principal)
    if scope:
        query = query.where(Case.office == scope)
    case = session.execute(query).scalar_one_or_none()
    if case is None:
        raise not_found("case")
    return case


def expected_version(*, if_match: str | None, body_version: int | None) -> int:
    """The case version the caller last saw, from If-Match or the body's `version`."""
    header_version = None
    if if_match is not None:
        match = _ETAG.match(if_match.strip())
        if match is None:
            raise field_error("header.If-Match", 'expected the case version, e.g. "3"')
        header_version = int(match.group(1))
    if header_version is not None and body_version is not None and header_version != body_version:
        raise field_error("body.version", "differs from the If-Match header")
    version = header_version if header_version is not None else body_version
    if version is None:
        raise Problem(
            428,
            "Send the case version you last read (If-Match header or `version`) so a "
            "concurrent change is not overwritten.",
            errors=[{"field": "body.version", "reason": "field required (or If-Match)"}],
        )
    return version


def check_version(case: Case, expected: int) -> None:
    if case.version != expected:
        raise Problem(
            409,
            f"The case changed since version {expected}; it is now at version {case.version}. "
            "Read it again and retry.",
            title="Stale case version",
            current_version=case.version,
        )


def audit(
    *,
    session: Session,
    principal: Principal,
    what: str,
    case_id: str | None = None,
    detail: dict | None = None,
) -> None:
    """Record a read or change of a case file in the hash-chained audit trail."""
    from alac_cases.audit import service as audit_service
    from alac_cases.permissions import main_role

    audit_service.record(
        session=session,
        tenant_id=principal.tenant,
        actor=principal.subject,
        actor_role=main_role(principal),
        what=what,
        case_id=case_id,
        detail=detail,
    )
