"""The events analytics publishes about a tenant's privacy settings."""

from __future__ import annotations

from alac_analytics import SERVICE
from alac_analytics.models import PrivacySetting
from alac_kernel.events import AggregateEvents, Event

TENANT_EVENTS = AggregateEvents(SERVICE, "tenant")


def privacy_settings_changed(setting: PrivacySetting) -> Event:
    """tenant.privacy_settings_changed: search hides small cells by the same threshold."""
    return TENANT_EVENTS.new(
        "tenant.privacy_settings_changed",
        subject=setting.tenant_id,
        tenant=setting.tenant_id,
        version=setting.version,
        data={"tenant_id": setting.tenant_id, "small_cell_threshold": setting.small_cell_threshold},
    )
