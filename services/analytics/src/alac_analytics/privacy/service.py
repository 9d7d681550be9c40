"""Who sees small cells, and each tenant's threshold."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alac_analytics.models import PrivacySetting
from alac_kernel.auth import roles
from alac_kernel.auth.principal import Principal
from alac_kernel.events import new_event
from alac_kernel.outbox import Outbox
from alac_kernel.small_cells import DEFAULT_THRESHOLD

#: Office level and above see exact small counts of their own tenant (ARCHITECTURE.md).
UNSUPPRESSED_ROLES = (roles.COORDINATOR, roles.TENANT_ADMIN)


def sees_small_cells(principal: Principal) -> bool:
    return principal.has_any(*UNSUPPRESSED_ROLES)


def threshold(*, session: Session, tenant: str) -> int:
    value = session.execute(
        select(PrivacySetting.small_cell_threshold).where(PrivacySetting.tenant_id == tenant)
    ).scalar_one_or_none()
    return DEFAULT_THRESHOLD if value is None else value


def network_threshold(*, session: Session) -> int:
    """Across tenants the strictest threshold any tenant chose applies (never below 5)."""
    value = session.execute(select(func.max(PrivacySetting.small_cell_threshold))).scalar()
    return max(DEFAULT_THRESHOLD, value or 0)


def set_threshold(
    *, session: Session, tenant: str, value: int, outbox: Outbox | None = None
) -> int:
    """Store the tenant's threshold and, with `outbox`, announce it in the same transaction
    (tenant.privacy_settings_changed): search hides small cells by it too."""
    row = session.execute(
        select(PrivacySetting).where(PrivacySetting.tenant_id == tenant)
    ).scalar_one_or_none()
    if row is None:
        row = PrivacySetting(tenant_id=tenant, small_cell_threshold=value, version=0)
        session.add(row)
    row.small_cell_threshold = value
    row.version = (row.version or 0) + 1
    session.flush()
    if outbox is not None:
        outbox.record(
            session,
            new_event(
                type="tenant.privacy_settings_changed",
                source="/alac/analytics",
                subject=tenant,
                tenant=tenant,
                version=row.version,
                data={"tenant_id": tenant, "small_cell_threshold": value},
            ),
        )
    return value
