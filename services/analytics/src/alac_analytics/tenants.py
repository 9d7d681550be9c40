"""What analytics learns from the tenant registry's events (it never reads the registry):
the centre's names and small-cell threshold when it is onboarded or changed, and on
offboarding the deletion of every statistic of the tenant."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from alac_analytics.models import Base, TenantName
from alac_analytics.privacy import service as privacy
from alac_kernel.events import Event
from alac_kernel.tenants.archive import tenant_tables


def apply_tenant(*, session: Session, event: Event) -> None:
    names = event.data["tenant"].get("names")
    if names:
        row = session.get(TenantName, event.data["tenant_id"])
        if row is None:
            row = TenantName(tenant_id=event.data["tenant_id"])
            session.add(row)
        row.kk, row.ru, row.en = names["kk"], names["ru"], names["en"]
        session.flush()
    threshold = event.data["tenant"].get("suppression_threshold")
    if threshold is not None:
        privacy.set_threshold(
            session=session, tenant=event.data["tenant_id"], value=max(threshold, 2)
        )


def apply_offboarded(*, session: Session, event: Event) -> None:
    tenant_id = event.data["tenant_id"]
    # The kernel's tables stay (alac_kernel.tenants.archive): events still to deliver, and the
    # standing that refuses the tenant's tokens from now on.
    for table in reversed(tenant_tables(Base.metadata.sorted_tables)):
        session.execute(delete(table).where(table.c.tenant_id == tenant_id))


def names_in(session: Session, language: str) -> dict[str, str]:
    """Tenant code -> the centre's name in `language`, for the tenants the session may see."""
    rows = session.execute(select(TenantName)).scalars()
    return {row.tenant_id: getattr(row, language, None) or row.en for row in rows}
