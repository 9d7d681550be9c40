"""Each tenant's small-cell threshold (who sees small cells: alac_kernel.visibility)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from alac_analytics.models import PrivacySetting
from alac_analytics.privacy.events import privacy_settings_changed
from alac_kernel.db import session_scope
from alac_kernel.outbox import Outbox
from alac_kernel.small_cells import DEFAULT_THRESHOLD


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
        outbox.record(session, privacy_settings_changed(row))
    return value


def read_threshold(*, session_factory: sessionmaker[Session], tenant: str) -> int:
    """The tenant's threshold, in a unit of work of its own (GET /v1/privacy/settings)."""
    with session_scope(session_factory, tenant=tenant) as session:
        return threshold(session=session, tenant=tenant)


def change_threshold(
    *, session_factory: sessionmaker[Session], outbox: Outbox, tenant: str, value: int
) -> int:
    """Set and announce the tenant's threshold in one transaction (PUT /v1/privacy/settings)."""
    with session_scope(session_factory, tenant=tenant) as session:
        return set_threshold(session=session, tenant=tenant, value=value, outbox=outbox)
