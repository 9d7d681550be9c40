"""Which offices take complaints without a staff login (web form, partner systems): the
`public_offices` reference list, whose rows name the tenant as parent."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from alac_intake.i18n import message
from alac_intake.reference.service import is_current, rows


def office_errors(
    *, session: Session, tenant: str, office: str, lang: str, tenant_field: str | None
) -> list[dict[str, str]]:
    """[] if `office` of `tenant` is a current public office, else the error naming the field:
    `tenant_field` when the tenant has no public office at all (None: the tenant comes from a
    token, so only the office can be wrong), else body.office."""
    today = date.today()
    offices = [
        r for r in rows(session=session, list_names=["public_offices"], tenant=None)[
            "public_offices"
        ] if is_current(r, today)
    ]  # fmt: skip
    if tenant_field and not any(r.parent == tenant for r in offices):
        return [{"field": tenant_field, "reason": message("unknown_tenant", lang, value=tenant)}]
    if not any(r.parent == tenant and r.code == office for r in offices):
        return [{"field": "body.office", "reason": message("unknown_office", lang, value=office)}]
    return []
