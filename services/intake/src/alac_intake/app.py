"""Composition root of the intake service."""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI
from fastapi.routing import APIRoute

from alac_intake.attachments import models as _attachment_models  # noqa: F401  (tables)
from alac_intake.attachments.store import FilesystemStore
from alac_intake.attachments.views import public_router as public_attachments_router
from alac_intake.attachments.views import router as attachments_router
from alac_intake.channels.public import router as public_router
from alac_intake.channels.referral import make_handler as make_referral_handler
from alac_intake.complaints.views import ALL_PROBLEMS, router
from alac_intake.database import Base, kernel_tables, rate_limit_hits
from alac_intake.duplicates import models as _duplicate_models  # noqa: F401  (tables)
from alac_intake.duplicates.views import router as duplicates_router
from alac_intake.followup import models as _followup_models  # noqa: F401  (tables)
from alac_intake.followup.service import apply_case_event
from alac_intake.followup.views import router as followup_router
from alac_intake.lifecycle import models as _lifecycle_models  # noqa: F401  (tables)
from alac_intake.lifecycle.views import router as lifecycle_router
from alac_intake.partners import models as _partner_models  # noqa: F401  (tables)
from alac_intake.partners.identity import partner_clients_from_settings
from alac_intake.partners.views import router as partners_router
from alac_intake.partners.webhooks import WebhookPolicy, deliver_due
from alac_intake.reference import models as _reference_models  # noqa: F401  (tables)
from alac_intake.reference import tenants as tenant_events
from alac_intake.reference.views import router as reference_router
from alac_intake.vault import models as _vault_models  # noqa: F401  (tables)
from alac_intake.vault.crypto import load_master_keys
from alac_intake.vault.views import keys_router as text_keys_router
from alac_intake.vault.views import router as vault_router
from alac_kernel import sealed_text
from alac_kernel.app import create_service_app
from alac_kernel.auth.verifier import TokenVerifier
from alac_kernel.cursors import CursorCodec, load_cursor_key
from alac_kernel.limits import SharedWindowLimiter
from alac_kernel.runtime import ConsumerSpec, PeriodicTask, ServiceRuntime
from alac_kernel.settings import Settings

NAME = "intake"
MIGRATIONS = Path(__file__).parent / "migrations"


def build_runtime(settings: Settings | None = None) -> ServiceRuntime:
    settings = settings or Settings()
    runtime = ServiceRuntime(
        name=NAME,
        settings=settings,
        metadata=Base.metadata,
        tables=kernel_tables,
        migrations=MIGRATIONS,
        consumers=[
            ConsumerSpec(
                group="intake",
                aggregates=["case"],
                handlers={
                    **dict.fromkeys(
                        ["case.opened", "case.status_changed", "case.closed"], apply_case_event
                    ),
                    # Late-bound: the runtime (its outbox and keys) exists only after this call.
                    "case.referred": make_referral_handler(
                        lambda: runtime.master_keys,  # type: ignore[attr-defined]
                        lambda: runtime.outbox,
                    ),
                },
            ),
            # The tenant registry (cases) announces centres: offices, reference lists, keys.
            ConsumerSpec(
                group="intake-tenants",
                aggregates=["tenant"],
                handlers={
                    **dict.fromkeys(
                        ["tenant.onboarded", "tenant.updated"],
                        lambda session, event: tenant_events.apply_tenant(
                            session=session,
                            keys=runtime.master_keys,
                            event=event,  # type: ignore[attr-defined]
                        ),
                    ),
                    "tenant.offboarded": lambda session, event: tenant_events.apply_offboarded(
                        session=session, event=event
                    ),
                },
            ),
        ],
        periodic=[PeriodicTask("webhooks", WEBHOOK_INTERVAL_S, deliver_webhooks)],
    )
    # The vault's master keys; refuses to start in production without one.
    runtime.master_keys = load_master_keys(settings)  # type: ignore[attr-defined]
    # The consumers' grants for complaint text keys (alac_kernel.sealed_text).
    runtime.text_grants = {  # type: ignore[attr-defined]
        consumer: sealed_text.load_grant(settings, consumer) for consumer in sealed_text.CONSUMERS
    }

    # Counted in intake's database, so every replica shares one budget (alac_kernel.limits).
    def limiter(bucket: str, limit: int, window_s: float) -> SharedWindowLimiter:
        return SharedWindowLimiter(
            runtime.session_factory, rate_limit_hits, bucket=bucket, limit=limit, window_s=window_s
        )

    # Web-form submissions per client address.
    runtime.public_limiter = limiter("web_form", 20, 3600)  # type: ignore[attr-defined]
    # Files sent with a receipt code per client address: the web form takes up to three
    # files, so twenty forms an hour (the form's own limit) fit, a flood of uploads does not.
    runtime.public_attachments = limiter("public_attachments", 60, 3600)  # type: ignore[attr-defined]
    # Wrong receipt codes per client address (a code's 100 secret bits make guessing hopeless;
    # this only slows a flood). Never per receipt locator: a stranger's wrong guesses would
    # lock the real complainant out.
    runtime.receipt_failures = limiter("receipt_failures", 10, 900)  # type: ignore[attr-defined]
    # Messages from the complainant per complaint: a thread is for a conversation, not a flood.
    runtime.complainant_messages = limiter("complainant_messages", 20, 86400)  # type: ignore[attr-defined]
    # Attachment bytes outside the database; the request body limit (ALAC_MAX_BODY_BYTES)
    # caps uploads too, so the smaller of the two applies.
    runtime.attachments = FilesystemStore(Path(settings.data_dir) / "intake-attachments")  # type: ignore[attr-defined]
    runtime.attachment_max_bytes = int(  # type: ignore[attr-defined]
        os.environ.get("ALAC_INTAKE_ATTACHMENT_MAX_BYTES", settings.max_body_bytes)
    )
    # Partner systems (docs/partners.md): the identity provider's admin interface for their
    # clients, how webhooks are delivered, and the signed feed cursors.
    runtime.partner_clients = partner_clients_from_settings(settings)  # type: ignore[attr-defined]
    runtime.webhook_policy = WebhookPolicy.from_env(settings.profile == "production")  # type: ignore[attr-defined]
    runtime.cursors = CursorCodec(load_cursor_key(settings))  # type: ignore[attr-defined]
    return runtime


WEBHOOK_INTERVAL_S = 1.0


def deliver_webhooks(runtime: ServiceRuntime) -> int:
    """One webhook delivery pass (the worker runs it every second)."""
    return deliver_due(
        runtime.session_factory,
        runtime.master_keys,  # type: ignore[attr-defined]
        runtime.contracts,
        runtime.webhook_policy,  # type: ignore[attr-defined]
    )


def create_app(settings: Settings | None = None, verifier: TokenVerifier | None = None) -> FastAPI:
    routers = [router, public_router, attachments_router, public_attachments_router, vault_router,
               reference_router, followup_router, lifecycle_router, duplicates_router,
               partners_router]  # fmt: skip
    for each in routers:
        for route in each.routes:
            if isinstance(route, APIRoute):
                route.responses = {**ALL_PROBLEMS, **route.responses}
    app = create_service_app(
        build_runtime(settings),
        title="ALAC intake",
        description="Complaints from every channel: hotline, walk-in, e-mail, web form, partners.",
        routers=[*routers, text_keys_router],
        verifier=verifier,
    )
    return app
