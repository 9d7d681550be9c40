"""Composition root of the intake service."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from alac_intake.models import Base, kernel_tables
from alac_intake.views import router
from alac_kernel.app import create_service_app
from alac_kernel.auth.verifier import TokenVerifier
from alac_kernel.runtime import ServiceRuntime
from alac_kernel.settings import Settings

NAME = "intake"
MIGRATIONS = Path(__file__).parent / "migrations"


def build_runtime(settings: Settings | None = None) -> ServiceRuntime:
    return ServiceRuntime(
        name=NAME,
        settings=settings or Settings(),
        metadata=Base.metadata,
        tables=kernel_tables,
        migrations=MIGRATIONS,
    )


def create_app(settings: Settings | None = None, verifier: TokenVerifier | None = None) -> FastAPI:
    return create_service_app(
        build_runtime(settings),
        title="ALAC intake",
        description="Complaints from every channel: hotline, walk-in, e-mail, web form, partners.",
        routers=[router],
        verifier=verifier,
    )
