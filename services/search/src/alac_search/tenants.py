"""What search does with the tenant registry's events (it never reads the registry):

- tenant.onboarded / tenant.updated: the tenant's searches are routed at once (OpenSearch: its
  filtered alias is made now, not on its first complaint; the embedded engine needs nothing);
- tenant.suspended: nothing in the index (the data is kept); the kernel refuses the tenant's
  tokens (alac_kernel.tenants.standing);
- tenant.offboarded: every document of the tenant is deleted for good, and no later event
  (a complaint event still in flight, a rebuild from the log) indexes the tenant again.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from alac_kernel.consumer import Handler
from alac_kernel.events import Event
from alac_kernel.tenants import OFFBOARDED
from alac_kernel.tenants.standing import apply_standing
from alac_search.runtime import SearchRuntime


def provision(runtime: SearchRuntime) -> Handler:
    def handle(session: Session, event: Event) -> None:
        runtime.search_engine.ensure_tenant(event.data["tenant_id"])

    return handle


def offboard(runtime: SearchRuntime) -> Handler:
    def handle(session: Session, event: Event) -> None:
        tenant = event.data["tenant_id"]
        # Recorded in this transaction (the kernel's own group may not have applied it yet)
        # and held in memory at once, so the complaint and case handlers running meanwhile
        # skip the tenant; then its documents go. Deleting again after a crash is harmless.
        apply_standing(session, runtime.tables.standing, event)
        runtime.standing.hold(tenant, OFFBOARDED)
        runtime.search_engine.delete_tenant(tenant)

    return handle


def offboarded(runtime: SearchRuntime, tenant: str) -> bool:
    return runtime.standing.refusal(tenant) == OFFBOARDED
