"""Composition root of the cases service: the runtime with its keys and stores, the consumer
of complaint events (handlers.py), the deadline scheduler and the HTTP routers."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from alac_cases import SERVICE, handlers
from alac_cases.actions.views import router as actions_router
from alac_cases.audit.views import router as audit_router
from alac_cases.case.metadata import Base
from alac_cases.case.models import kernel_tables
from alac_cases.case.views import router as cases_router
from alac_cases.casefile.views import router as casefile_router
from alac_cases.consent.views import router as consent_router
from alac_cases.deadlines import scheduler
from alac_cases.deadlines.views import router as deadlines_router
from alac_cases.letters.keys import load_master_keys
from alac_cases.letters.store import letter_store_for
from alac_cases.letters.views import router as letters_router
from alac_cases.notifications import delivery as notification_mail
from alac_cases.notifications import handlers as notification_handlers
from alac_cases.notifications import waiting as notification_waits
from alac_cases.notifications.views import router as notifications_router
from alac_cases.referrals.views import router as referrals_router
from alac_cases.runtime import CasesRuntime
from alac_cases.staff.views import router as staff_router
from alac_cases.tenancy.intake_archive import HttpIntakeArchive
from alac_cases.tenancy.views import own_router as own_tenant_router
from alac_cases.tenancy.views import router as tenancy_router
from alac_cases.workflow.views import router as workflow_router
from alac_kernel import sealed_text
from alac_kernel.app import create_service_app
from alac_kernel.auth.verifier import TokenVerifier
from alac_kernel.delivery import RELAY_SAFETY_NET_S
from alac_kernel.identity import IdentityAdmin
from alac_kernel.runtime import ConsumerSpec, PeriodicTask, ServiceRuntime
from alac_kernel.settings import Settings

NAME = SERVICE
MIGRATIONS = Path(__file__).parent / "migrations"
# Deadlines are days long; a pass a minute is precise enough and cheap.
DEADLINE_PASS_INTERVAL_S = 60.0
# Complainants' messages wait working days; a pass every five minutes is plenty.
WAITING_PASS_INTERVAL_S = 300.0
# Notification e-mails are sent when one is enqueued (the delivery table's doorbell) or falls
# due; the relay looks anyway this often, for a missed ring (alac_kernel.delivery).
MAIL_SAFETY_NET_S = RELAY_SAFETY_NET_S


def run_deadlines(runtime: ServiceRuntime) -> scheduler.PassResult:
    return scheduler.run_pass(session_factory=runtime.session_factory, outbox=runtime.outbox)


def run_waiting_messages(runtime: ServiceRuntime) -> object:
    return notification_waits.run_pass(session_factory=runtime.session_factory)


def build_runtime(settings: Settings | None = None) -> CasesRuntime:
    settings = settings or Settings()
    runtime = CasesRuntime(
        name=NAME,
        settings=settings,
        metadata=Base.metadata,
        tables=kernel_tables,
        migrations=MIGRATIONS,
        periodic=[
            PeriodicTask("deadlines", DEADLINE_PASS_INTERVAL_S, run_deadlines, at_start=True),
            PeriodicTask("notification-waits", WAITING_PASS_INTERVAL_S, run_waiting_messages),
            PeriodicTask(
                "notification-mail",
                MAIL_SAFETY_NET_S,
                notification_mail.send_due,
                wake=notification_mail.mail_relay,
            ),
        ],
        master_keys=load_master_keys(settings),
        text_keys=sealed_text.http_text_keys(settings, NAME),
        # The registry and staff administration call the identity provider's admin API:
        # Keycloak in production, the development issuer (same API) in the embedded mode.
        identity=IdentityAdmin.from_settings(settings),
        intake_archive=HttpIntakeArchive.from_settings(settings),
        letters=letter_store_for(settings),
    )
    runtime.consumers = [
        ConsumerSpec(
            group="cases",
            aggregates=handlers.AGGREGATES,
            handlers=handlers.handlers(runtime),
            prepare=handlers.prepare(runtime),
        ),
        ConsumerSpec(
            group=notification_handlers.GROUP,
            aggregates=notification_handlers.AGGREGATES,
            handlers=notification_handlers.HANDLERS,
        ),
    ]
    return runtime


def create_app(settings: Settings | None = None, verifier: TokenVerifier | None = None) -> FastAPI:
    return create_service_app(
        build_runtime(settings),
        title="ALAC cases",
        description="Triage, assignment, the consent-gated workflow and outcomes of cases.",
        routers=[
            cases_router,
            casefile_router,
            workflow_router,
            staff_router,
            consent_router,
            actions_router,
            audit_router,
            deadlines_router,
            letters_router,
            referrals_router,
            tenancy_router,
            own_tenant_router,
            notifications_router,
        ],
        verifier=verifier,
    )
