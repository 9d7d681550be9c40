"""The tenants' small-cell thresholds, as analytics (their owner) announces them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from alac_kernel.events import Event
from alac_kernel.small_cells import DEFAULT_THRESHOLD
from alac_search.models import TenantPrivacy


def apply_settings_changed(session: Session, event: Event) -> None:
    """tenant.privacy_settings_changed: keep the newest version (a late older event changes
    nothing); applied in the inbox's transaction, so at most once."""
    tenant = event.data["tenant_id"]
    row = session.get(TenantPrivacy, tenant)
    if row is None:
        session.add(
            TenantPrivacy(
                tenant_id=tenant,
                small_cell_threshold=event.data["small_cell_threshold"],
                version=event.aggregateversion,
            )
        )
    elif event.aggregateversion > row.version:
        row.small_cell_threshold = event.data["small_cell_threshold"]
        row.version = event.aggregateversion


def threshold(*, session: Session, tenant: str) -> int:
    """The tenant's own threshold where it set one; never below the platform's floor."""
    value = session.execute(
        select(TenantPrivacy.small_cell_threshold).where(TenantPrivacy.tenant_id == tenant)
    ).scalar_one_or_none()
    return max(DEFAULT_THRESHOLD, value or 0)
