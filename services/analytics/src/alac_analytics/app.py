"""Composition root of the analytics service."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from alac_analytics import SERVICE, handlers
from alac_analytics.advocacy.views import router as advocacy_router
from alac_analytics.alerts.views import router as alerts_router
from alac_analytics.dashboard.metrics import BUSINESS_METRICS
from alac_analytics.dashboard.views import router as dashboard_router
from alac_analytics.handlers import detect_patterns
from alac_analytics.models import Base, kernel_tables
from alac_analytics.privacy.views import router as privacy_router
from alac_analytics.reports.views import network as network_router
from alac_analytics.reports.views import router as reports_router
from alac_analytics.runtime import AnalyticsRuntime, AnalyticsSettings
from alac_analytics.stats.views import router as stats_router
from alac_kernel.app import create_service_app
from alac_kernel.auth.verifier import TokenVerifier
from alac_kernel.settings import Settings

NAME = SERVICE
MIGRATIONS = Path(__file__).parent / "migrations"

__all__ = [
    "MIGRATIONS",
    "NAME",
    "AnalyticsSettings",
    "build_runtime",
    "create_app",
    "detect_patterns",
]


def build_runtime(
    settings: Settings | None = None, analytics: AnalyticsSettings | None = None
) -> AnalyticsRuntime:
    options = analytics or AnalyticsSettings()
    return AnalyticsRuntime(
        name=NAME,
        settings=settings or Settings(),
        metadata=Base.metadata,
        tables=kernel_tables,
        migrations=MIGRATIONS,
        consumers=handlers.CONSUMERS,
        periodic=handlers.periodic(options),
        options=options,
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
            stats_router,
            reports_router,
            network_router,
            privacy_router,
            dashboard_router,
            alerts_router,
            advocacy_router,
        ],
        verifier=verifier,
    )
