"""Which offices take complaints from outside (web form, partner systems, referrals): the
`public_offices` reference list, whose rows name the tenant as parent."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session, sessionmaker

from alac_intake.i18n import message
from alac_intake.reference.service import Dated, code_rows, is_current
from alac_kernel.db import session_scope
from alac_kernel.errors import InvalidFields


def current_public_offices(session: Session) -> list[Dated]:
    """Today's rows of `public_offices`, in the order they were added."""
    today = date.today()
    found = code_rows(session=session, list_names=["public_offices"], tenant=None)["public_offices"]
    return [r for r in found if is_current(r, today)]


def office_errors(
    *, session: Session, tenant: str, office: str, lang: str, tenant_field: str | None,
    office_field: str = "body.office",
) -> list[dict[str, str]]:  # fmt: skip
    """[] if `office` of `tenant` is a current public office, else the error naming the field:
    `tenant_field` when the tenant has no public office at all (None: the tenant comes from a
    token, so only the office can be wrong), else `office_field`."""
    offices = current_public_offices(session)
    if tenant_field and not any(r.parent == tenant for r in offices):
        return [{"field": tenant_field, "reason": message("unknown_tenant", lang, value=tenant)}]
    if not any(r.parent == tenant and r.code == office for r in offices):
        return [{"field": office_field, "reason": message("unknown_office", lang, value=office)}]
    return []


def receiving_office(session: Session, tenant: str) -> str:
    """The tenant's first current public office, where a referral from another centre arrives
    (it has no office of its own there, and a coordinator re-assigns it)."""
    for row in current_public_offices(session):
        if row.parent == tenant:
            return row.code
    raise LookupError(f"tenant {tenant!r} has no public office to receive referrals")


def check_receiving_office(
    factory: sessionmaker[Session], *, tenant: str, office: str, tenant_field: str,
    office_field: str,
) -> None:  # fmt: skip
    """InvalidFields naming the field unless `office` is a current public office of `tenant`:
    the importers' check before they read a file (their options name the fields)."""
    with session_scope(factory, tenant=tenant) as session:
        errors = office_errors(
            session=session, tenant=tenant, office=office, lang="en",
            tenant_field=tenant_field, office_field=office_field,
        )  # fmt: skip
    if errors:
        raise InvalidFields(
            f"{office!r} is not a current public office of {tenant!r}", errors=errors
        )
