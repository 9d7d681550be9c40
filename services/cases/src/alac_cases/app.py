"""Composition root of the cases service."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from alac_cases import service
from alac_cases.models import Base, kernel_tables
from alac_cases.views import router
from alac_kernel.app import create_service_app
from alac_kernel.auth.verifier import TokenVerifier
from alac_kernel.runtime import ConsumerSpec, ServiceRuntime
from alac_kernel.settings import Settings

NAME = "cases"
MIGRATIONS = Path(__file__).parent / "migrations"


def build_runtime(settings: Settings | None = None) -> ServiceRuntime:
    runtime: ServiceRuntime

    def on_complaint_received(session, event):  # type: ignore[no-untyped-def]
        service.open_case_for_complaint(session=session, outbox=runtime.outbox, event=event)

    runtime = ServiceRuntime(
        name=NAME,
        settings=settings or Settings(),
        metadata=Base.metadata,
        tables=kernel_tables,
        migrations=MIGRATIONS,
        consumers=[
            ConsumerSpec(
                group="cases",
                aggregates=["complaint"],
                handlers={"complaint.received": on_complaint_received},
            )
        ],
    )
    return runtime


def create_app(settings: Settings | None = None, verifier: TokenVerifier | None = None) -> FastAPI:
    return create_service_app(
        build_runtime(settings),
        title="ALAC cases",
        description="Triage, assignment, the consent-gated workflow and outcomes of cases.",
        routers=[router],
        verifier=verifier,
    )
