"""What search does with each event it consumes: the registry of its consumer groups.

Each handler gets what it works with as arguments: the index projections (indexing.projector)
the index and the event with its sealed text opened; the thresholds (privacy) the inbox's
session and the event."""

from __future__ import annotations

from sqlalchemy.orm import Session

from alac_kernel import sealed_text
from alac_kernel.consumer import Handler
from alac_kernel.events import Event
from alac_kernel.runtime import ConsumerSpec
from alac_kernel.staff_names import staff_consumer
from alac_search import privacy, tenants
from alac_search.indexing.projector import AGGREGATES, PROJECTIONS, Projection
from alac_search.models import staff_names
from alac_search.runtime import SearchRuntime


def indexed(runtime: SearchRuntime, project: Projection) -> Handler:
    """`project` applied to the runtime's index, with the event's sealed text opened by
    search's grant. The index is not in the inbox's transaction: per-field versions make a
    repeat after a crash harmless."""

    def handle(session: Session, event: Event) -> None:
        if tenants.offboarded(runtime, event.tenantid):
            return  # late news of a centre whose documents are gone for good
        project(runtime.search_engine, sealed_text.open_event(event, runtime.text_keys))

    return handle


def consumers(runtime: SearchRuntime) -> list[ConsumerSpec]:
    return [
        ConsumerSpec(
            group="search",
            aggregates=list(AGGREGATES),
            handlers={type_: indexed(runtime, project) for type_, project in PROJECTIONS.items()},
        ),
        # The tenants' small-cell thresholds, in search's own database with the inbox.
        ConsumerSpec(
            group="search-privacy",
            aggregates=["tenant"],
            handlers={"tenant.privacy_settings_changed": privacy.apply_settings_changed},
        ),
        # Staff names (cases' staff registry), for the assignees of search answers.
        staff_consumer(runtime.name, runtime.tables, staff_names),
        # The tenant registry (cases): routing for a new centre, deletion on offboarding.
        ConsumerSpec(
            group="search-tenants",
            aggregates=["tenant"],
            handlers={
                "tenant.onboarded": tenants.provision(runtime),
                "tenant.updated": tenants.provision(runtime),
                "tenant.offboarded": tenants.offboard(runtime),
            },
        ),
    ]
