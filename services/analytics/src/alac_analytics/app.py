"""Composition root of the analytics service."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from alac_analytics.models import Base, kernel_tables
from alac_analytics.projections import HANDLERS
from alac_analytics.views import router
from alac_kernel.app import create_service_app
from alac_kernel.auth.verifier import TokenVerifier
from alac_kernel.runtime import ConsumerSpec, ServiceRuntime
from alac_kernel.settings import Settings

NAME = "analytics"
MIGRATIONS = Path(__file__).parent / "migrations"


def build_runtime(settings: Settings | None = None) -> ServiceRuntime:
    return ServiceRuntime(
        name=NAME,
        settings=settings or Settings(),
        metadata=Base.metadata,
        tables=kernel_tables,
        migrations=MIGRATIONS,
        consumers=[
            ConsumerSpec(group="analytics", aggregates=["complaint", "case"], handlers=HANDLERS)
        ],
    )


def create_app(settings: Settings | None = None, verifier: TokenVerifier | None = None) -> FastAPI:
    return create_service_app(
        build_runtime(settings),
        title="ALAC analytics",
        description="Statistics, dashboards, pattern alerts and the advocacy tracker.",
        routers=[router],
        verifier=verifier,
    )
