"""The events analytics publishes about alerts."""

from __future__ import annotations

from alac_analytics import SERVICE
from alac_analytics.models import Alert
from alac_kernel.events import AggregateEvents, Event

ALERT_EVENTS = AggregateEvents(SERVICE, "alert")


def pattern_detected(alert: Alert) -> Event:
    """alert.pattern_detected: an alert is raised once, so its event is version 1."""
    return ALERT_EVENTS.new(
        "alert.pattern_detected",
        subject=alert.id,
        tenant=alert.tenant_id,
        version=1,
        data={
            "alert_id": alert.id,
            "office": None,
            "dimension": alert.dimension,
            "value": alert.value,
            "window_start": alert.window_start.isoformat(),
            "window_end": alert.window_end.isoformat(),
            "count": alert.count,
            "baseline": alert.baseline,
            "p_value": alert.p_value,
            "method": alert.method,
        },
    )
