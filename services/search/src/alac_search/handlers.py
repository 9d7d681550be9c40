"""What search does with each event it consumes: the registry of its consumer groups.

Each handler gets what it works with as arguments: the index projections (indexing.projector)
the index and the event with its sealed text opened; the thresholds (privacy) the inbox's
session and the event."""

from __future__ import annotations

from sqlalchemy.orm import Session

from alac_kernel import sealed_text
from alac_kernel.consumer import Batched
from alac_kernel.events import Event
from alac_kernel.runtime import ConsumerSpec
from alac_kernel.staff_names import staff_consumer
from alac_search import privacy, tenants
from alac_search.indexing.projector import AGGREGATES, PROJECTIONS, Writes
from alac_search.models import staff_names
from alac_search.runtime import SearchRuntime


def indexed(runtime: SearchRuntime) -> Batched:
    """The projections applied to the runtime's index, with the events' sealed text opened by
    search's grant: a run of events at once becomes one `apply_many` (one transaction on the
    embedded engine, one bulk request on OpenSearch), as a rebuild writes its batches;
    per-field versions make that the same as applying them one by one. The index is not in
    the inbox's transaction: those versions make a repeat after a crash harmless too."""

    def many(session: Session, events: list[Event]) -> None:
        writes = Writes()
        for event in events:
            if tenants.offboarded(runtime, event.tenantid):
                continue  # late news of a centre whose documents are gone for good
            PROJECTIONS[event.type](writes, sealed_text.open_event(event, runtime.text_keys))
        if writes.docs:
            runtime.search_engine.apply_many(writes.docs)

    return Batched(many)


def consumers(runtime: SearchRuntime) -> list[ConsumerSpec]:
    return [
        ConsumerSpec(
            group="search",
            aggregates=list(AGGREGATES),
            handlers=dict.fromkeys(PROJECTIONS, indexed(runtime)),
            # The keys of a batch's sealed texts in one request to intake, before its
            # transaction (not one request per event inside it).
            prepare=lambda events: sealed_text.fetched_for(runtime.text_keys, events),
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
