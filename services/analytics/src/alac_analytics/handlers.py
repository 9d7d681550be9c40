"""What analytics does with each event it consumes, and its periodic work: the registry.

Each handler gets what it works with as arguments: the projections and the tenant handlers
the inbox's session and the event; the pattern-detection pass the runtime (its database and
outbox) and the time."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from alac_analytics import SERVICE, tenants
from alac_analytics.alerts.service import ScheduledPass, detect_for_every_tenant
from alac_analytics.models import kernel_tables, staff_names
from alac_analytics.projections import HANDLERS as PROJECTIONS
from alac_analytics.runtime import AnalyticsSettings
from alac_kernel.db import utcnow
from alac_kernel.events import Event
from alac_kernel.runtime import ConsumerSpec, PeriodicTask, ServiceRuntime
from alac_kernel.staff_names import staff_consumer


def tenant_changed(session: Session, event: Event) -> None:
    """tenant.onboarded / tenant.updated: the centre's names and small-cell threshold."""
    tenants.apply_tenant(session=session, event=event)


def tenant_offboarded(session: Session, event: Event) -> None:
    """tenant.offboarded: every statistic of the tenant is deleted."""
    tenants.apply_offboarded(session=session, event=event)


CONSUMERS = [
    ConsumerSpec(group="analytics", aggregates=["complaint", "case"], handlers=PROJECTIONS),
    # The tenant registry (cases): thresholds, and deletion on offboarding.
    ConsumerSpec(
        group="analytics-tenants",
        aggregates=["tenant"],
        handlers={
            "tenant.onboarded": tenant_changed,
            "tenant.updated": tenant_changed,
            "tenant.offboarded": tenant_offboarded,
        },
    ),
    # Staff names (cases' staff registry): who handled an alert, who wrote a proposal.
    staff_consumer(SERVICE, kernel_tables, staff_names),
]


def detect_patterns(runtime: ServiceRuntime, now: datetime | None = None) -> ScheduledPass:
    """The worker's pattern-detection pass (the API and the CLI trigger the same test)."""
    return detect_for_every_tenant(
        session_factory=runtime.session_factory, outbox=runtime.outbox, now=now or utcnow()
    )


def periodic(options: AnalyticsSettings) -> list[PeriodicTask]:
    return [PeriodicTask("pattern-alerts", options.alert_interval_s, detect_patterns)]
