"""Composition root of the intake service: the runtime with its handlers, and the routers of
every domain folder. Nothing else happens here (docs/architecture.md, "The shape of a
service")."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.routing import APIRoute

from alac_intake import handlers
from alac_intake.attachments.views import public_router as public_attachments_router
from alac_intake.attachments.views import router as attachments_router
from alac_intake.channels.views import router as public_router
from alac_intake.complaints.views import router as complaints_router
from alac_intake.duplicates.views import router as duplicates_router
from alac_intake.followup.views import router as followup_router
from alac_intake.lifecycle.views import router as lifecycle_router
from alac_intake.offboarding.views import router as offboarding_router
from alac_intake.partners.views import router as partners_router
from alac_intake.progress.views import router as progress_router
from alac_intake.reference.views import router as reference_router
from alac_intake.runtime import MIGRATIONS, NAME, IntakeRuntime
from alac_intake.vault.views import keys_router as text_keys_router
from alac_intake.vault.views import router as vault_router
from alac_intake.views import ALL_PROBLEMS
from alac_kernel.app import create_service_app
from alac_kernel.auth.verifier import TokenVerifier
from alac_kernel.settings import Settings

__all__ = ["MIGRATIONS", "NAME", "build_runtime", "create_app"]

# The documented API, in the order of its OpenAPI document.
ROUTERS = [complaints_router, public_router, attachments_router, public_attachments_router,
           vault_router, reference_router, followup_router, lifecycle_router, duplicates_router,
           partners_router, progress_router, offboarding_router]  # fmt: skip


def build_runtime(settings: Settings | None = None) -> IntakeRuntime:
    runtime = IntakeRuntime.from_settings(settings or Settings())
    runtime.consumers = handlers.consumers(runtime)
    runtime.periodic = handlers.periodic(runtime)
    return runtime


def create_app(settings: Settings | None = None, verifier: TokenVerifier | None = None) -> FastAPI:
    for router in ROUTERS:
        for route in router.routes:
            if isinstance(route, APIRoute):
                route.responses = {**ALL_PROBLEMS, **route.responses}
    return create_service_app(
        build_runtime(settings),
        title="ALAC intake",
        description="Complaints from every channel: hotline, walk-in, e-mail, web form, partners.",
        routers=[*ROUTERS, text_keys_router],
        verifier=verifier,
    )
