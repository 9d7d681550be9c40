"""What intake does with the events it consumes, and its periodic work: the one registry the
runtime's workers run. Each handler gets what it needs as arguments, bound here once the
runtime exists (functools.partial), never looked up when an event arrives."""

from __future__ import annotations

from functools import partial

from alac_intake.channels import referral
from alac_intake.database import staff_names
from alac_intake.followup.service import apply_case_event
from alac_intake.partners.webhooks import deliver_due
from alac_intake.progress.service import SEND_INTERVAL_S
from alac_intake.reference import tenants
from alac_intake.runtime import IntakeRuntime
from alac_kernel.runtime import ConsumerSpec, PeriodicTask, ServiceRuntime
from alac_kernel.staff_names import staff_consumer

#: The case events that move the complainant-facing status (followup.service.PUBLIC_STATUS).
CASE_STATUS_EVENTS = ("case.opened", "case.status_changed", "case.closed")
#: The tenant registry's (cases') announcements of a centre: offices, reference lists, keys.
TENANT_EVENTS = ("tenant.onboarded", "tenant.updated")
WEBHOOK_INTERVAL_S = 1.0


def consumers(runtime: IntakeRuntime) -> list[ConsumerSpec]:
    # The status the complainant sees, then a progress e-mail if what they see has changed.
    follow_case = runtime.progress.after(partial(apply_case_event, contracts=runtime.contracts))
    return [
        ConsumerSpec(
            group="intake",
            aggregates=["case"],
            handlers={
                **dict.fromkeys(CASE_STATUS_EVENTS, follow_case),
                # Another centre refers a case here: a new complaint, channel `referral`.
                "case.referred": partial(
                    referral.receive,
                    keys=runtime.master_keys,
                    outbox=runtime.outbox,
                    standing=runtime.tables.standing,
                ),  # fmt: skip
            },
        ),
        ConsumerSpec(
            group="intake-tenants",
            aggregates=["tenant"],
            handlers={
                **dict.fromkeys(
                    TENANT_EVENTS, partial(tenants.apply_tenant, keys=runtime.master_keys)
                ),
                "tenant.offboarded": tenants.apply_offboarded,
            },
        ),
        # Staff names (cases' staff registry): who recorded a complaint, who wrote a message.
        staff_consumer(runtime.name, runtime.tables, staff_names),
    ]


def periodic(runtime: IntakeRuntime) -> list[PeriodicTask]:
    return [
        PeriodicTask("webhooks", WEBHOOK_INTERVAL_S, deliver_webhooks),
        # The complainants' progress e-mails that are due (progress/service.py).
        PeriodicTask("complainant-mail", SEND_INTERVAL_S, runtime.progress.send_due),
    ]


def deliver_webhooks(runtime: ServiceRuntime) -> int:
    """One webhook delivery pass (the worker runs it every second with intake's runtime)."""
    if not isinstance(runtime, IntakeRuntime):
        raise TypeError(f"webhooks need intake's runtime, not a {type(runtime).__name__}")
    return deliver_due(
        runtime.session_factory, runtime.master_keys, runtime.contracts, runtime.webhook_policy
    )
