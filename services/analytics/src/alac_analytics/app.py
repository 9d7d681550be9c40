"""Composition root of the analytics service."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from fastapi import FastAPI
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from alac_analytics import tenants as tenant_events
from alac_analytics.advocacy.views import router as advocacy_router
from alac_analytics.alerts.service import ScheduledPass, detect_for_every_tenant
from alac_analytics.alerts.views import router as alerts_router
from alac_analytics.dashboard.metrics import BUSINESS_METRICS
from alac_analytics.dashboard.views import router as dashboard_router
from alac_analytics.models import Base, kernel_tables
from alac_analytics.privacy.views import router as privacy_router
from alac_analytics.projections import HANDLERS
from alac_analytics.reports.views import network as network_router
from alac_analytics.reports.views import router as reports_router
from alac_analytics.views import router
from alac_kernel.app import create_service_app
from alac_kernel.auth.verifier import TokenVerifier
from alac_kernel.db import utcnow
from alac_kernel.runtime import ConsumerSpec, PeriodicTask, ServiceRuntime
from alac_kernel.settings import Settings

NAME = "analytics"
MIGRATIONS = Path(__file__).parent / "migrations"


class AnalyticsSettings(BaseSettings):
    """This service's own knobs (ALAC_ANALYTICS_*); the kernel Settings ignores them."""

    model_config = SettingsConfigDict(env_prefix="ALAC_ANALYTICS_", extra="ignore")

    alert_interval_s: float = Field(default=300.0, gt=0)


def detect_patterns(runtime: ServiceRuntime, now: datetime | None = None) -> ScheduledPass:
    """The worker's pattern-detection pass (the API and the CLI trigger the same test)."""
    return detect_for_every_tenant(
        session_factory=runtime.session_factory, outbox=runtime.outbox, now=now or utcnow()
    )


def build_runtime(
    settings: Settings | None = None, analytics: AnalyticsSettings | None = None
) -> ServiceRuntime:
    analytics = analytics or AnalyticsSettings()
    return ServiceRuntime(
        name=NAME,
        settings=settings or Settings(),
        metadata=Base.metadata,
        tables=kernel_tables,
        migrations=MIGRATIONS,
        consumers=[
            ConsumerSpec(group="analytics", aggregates=["complaint", "case"], handlers=HANDLERS),
            # The tenant registry (cases): thresholds, and deletion on offboarding.
            ConsumerSpec(
                group="analytics-tenants", aggregates=["tenant"], handlers=tenant_events.HANDLERS
            ),
        ],
        periodic=[PeriodicTask("pattern-alerts", analytics.alert_interval_s, detect_patterns)],
    )


def create_app(settings: Settings | None = None, verifier: TokenVerifier | None = None) -> FastAPI:
    runtime = build_runtime(settings)
    # /metrics reports the business figures of this process's analytics runtime.
    BUSINESS_METRICS.bind(runtime)
    return create_service_app(
        runtime,
        title="ALAC analytics",
        description="Statistics, dashboards, pattern alerts and the advocacy tracker.",
        routers=[
            router,
            reports_router,
            network_router,
            privacy_router,
            dashboard_router,
            alerts_router,
            advocacy_router,
        ],
        verifier=verifier,
    )
