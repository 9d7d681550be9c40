"""Composition root of the cases service."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from alac_cases import complaint_sync, service
from alac_cases.actions.views import router as actions_router
from alac_cases.audit.views import router as audit_router
from alac_cases.consent.views import router as consent_router
from alac_cases.deadlines import scheduler
from alac_cases.deadlines.views import router as deadlines_router
from alac_cases.domain_models import Base
from alac_cases.letters import service as letters
from alac_cases.letters.keys import load_master_keys
from alac_cases.letters.store import letter_store_for
from alac_cases.letters.views import router as letters_router
from alac_cases.models import kernel_tables
from alac_cases.notifications import delivery as notification_mail
from alac_cases.notifications import handlers as notification_handlers
from alac_cases.notifications import waiting as notification_waits
from alac_cases.notifications.views import router as notifications_router
from alac_cases.referrals.views import router as referrals_router
from alac_cases.staff.views import router as staff_router
from alac_cases.tenancy.views import router as tenancy_router
from alac_cases.views import router
from alac_cases.workflow.views import router as workflow_router
from alac_kernel import sealed_text
from alac_kernel.app import create_service_app
from alac_kernel.auth.verifier import TokenVerifier
from alac_kernel.identity import IdentityAdmin
from alac_kernel.runtime import ConsumerSpec, PeriodicTask, ServiceRuntime
from alac_kernel.settings import Settings

NAME = "cases"
MIGRATIONS = Path(__file__).parent / "migrations"
# Deadlines are days long; a pass a minute is precise enough and cheap.
DEADLINE_PASS_INTERVAL_S = 60.0
# Complainants' messages wait working days; a pass every five minutes is plenty.
WAITING_PASS_INTERVAL_S = 300.0
# Notification e-mails: how often the relay looks for due ones (it sends in the pass).
MAIL_PASS_INTERVAL_S = 1.0


def run_deadlines(runtime: ServiceRuntime) -> scheduler.PassResult:
    return scheduler.run_pass(session_factory=runtime.session_factory, outbox=runtime.outbox)


def build_runtime(settings: Settings | None = None) -> ServiceRuntime:
    runtime: ServiceRuntime

    def opened(event):  # type: ignore[no-untyped-def]
        # The case keeps a copy of the crux for its queues and referrals: sealed in the
        # event, opened with cases' grant (alac_kernel.sealed_text); erased on purge below.
        return sealed_text.open_event(event, runtime.text_keys)  # type: ignore[attr-defined]

    def on_complaint_received(session, event):  # type: ignore[no-untyped-def]
        event = opened(event)
        case = service.open_case_for_complaint(session=session, outbox=runtime.outbox, event=event)
        if case is not None:
            complaint_sync.take_consent_from_intake(
                session=session, outbox=runtime.outbox, case=case,
                scopes=event.data.get("consent") or [],
            )  # fmt: skip

    def on_complaint_updated(session, event):  # type: ignore[no-untyped-def]
        complaint_sync.apply_complaint_updated(
            session=session, outbox=runtime.outbox, event=opened(event)
        )

    def on_complaint_withdrawn(session, event):  # type: ignore[no-untyped-def]
        complaint_sync.apply_complaint_withdrawn(
            session=session, outbox=runtime.outbox, event=event
        )

    def on_personal_data_purged(session, event):  # type: ignore[no-untyped-def]
        # The letters tell the complainant's story to an authority: they go with the rest of
        # the personal data.
        letters.erase_for_complaint(
            session=session, store=letter_store_for(runtime.settings), complaint_id=event.subject
        )
        complaint_sync.erase_crux(session=session, event=event)

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
                handlers={
                    "complaint.received": on_complaint_received,
                    "complaint.updated": on_complaint_updated,
                    "complaint.withdrawn": on_complaint_withdrawn,
                    "complaint.personal_data_purged": on_personal_data_purged,
                },
            ),
            ConsumerSpec(
                group=notification_handlers.GROUP,
                aggregates=notification_handlers.AGGREGATES,
                handlers=notification_handlers.HANDLERS,
            ),
        ],
        periodic=[
            PeriodicTask("deadlines", DEADLINE_PASS_INTERVAL_S, run_deadlines),
            PeriodicTask(
                "notification-waits",
                WAITING_PASS_INTERVAL_S,
                lambda rt: notification_waits.run_pass(session_factory=rt.session_factory),
            ),
            PeriodicTask("notification-mail", MAIL_PASS_INTERVAL_S, notification_mail.send_due),
        ],
    )
    runtime.master_keys = load_master_keys(runtime.settings)  # type: ignore[attr-defined]
    runtime.text_keys = sealed_text.http_text_keys(runtime.settings, "cases")  # type: ignore[attr-defined]
    runtime.identity = identity_admin(runtime.settings)  # type: ignore[attr-defined]
    return runtime


def identity_admin(settings: Settings) -> IdentityAdmin:
    """The registry and staff administration call the identity provider's admin API: Keycloak
    in production, the development issuer (same API) in the embedded mode."""
    return IdentityAdmin.from_settings(settings)


def create_app(settings: Settings | None = None, verifier: TokenVerifier | None = None) -> FastAPI:
    return create_service_app(
        build_runtime(settings),
        title="ALAC cases",
        description="Triage, assignment, the consent-gated workflow and outcomes of cases.",
        routers=[
            router,
            workflow_router,
            staff_router,
            consent_router,
            actions_router,
            audit_router,
            deadlines_router,
            letters_router,
            referrals_router,
            tenancy_router,
            notifications_router,
        ],
        verifier=verifier,
    )
