"""Who sees small cells, and each tenant's threshold."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alac_analytics.models import PrivacySetting
from alac_kernel.auth import roles
from alac_kernel.auth.principal import Principal
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


def set_threshold(*, session: Session, tenant: str, value: int) -> int:
    row = session.execute(select(PrivacySetting)).scalar_one_or_none()
    if row is None:
        session.add(PrivacySetting(tenant_id=tenant, small_cell_threshold=value))
    else:
        row.small_cell_threshold = value
    return value
