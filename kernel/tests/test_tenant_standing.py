"""The tenants' standing every service keeps from the registry's events: which tenants' live
tokens are refused, the newest event winning, and the in-memory copy read again once an event
was applied."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import MetaData

from alac_kernel.db import make_engine, make_session_factory, session_scope
from alac_kernel.events import new_event
from alac_kernel.tables import add_kernel_tables
from alac_kernel.tenants.standing import TenantStanding


def _event(type_: str, version: int, **data: object):
    return new_event(
        type=type_, source="/cases", subject="aktobe", tenant="aktobe", version=version,
        data={"tenant_id": "aktobe", **data},
    )  # fmt: skip


def test_the_newest_registry_event_decides_and_the_copy_follows(tmp_path: Path) -> None:
    metadata = MetaData()
    tables = add_kernel_tables(metadata)
    engine = make_engine(f"sqlite:///{tmp_path / 'svc.db'}")
    metadata.create_all(engine)
    factory = make_session_factory(engine)
    # A refresh interval no test waits for: only `forget` (an applied event) re-reads.
    standing = TenantStanding(factory, tables.standing, refresh_s=3600)
    apply = standing.handler()

    def applied(event) -> str | None:  # type: ignore[no-untyped-def]
        with session_scope(factory, all_tenants=True) as session:
            apply(session, event)
        return standing.refusal("aktobe")

    assert standing.refusal("aktobe") is None
    assert applied(_event("tenant.onboarded", 1, status="active")) is None
    assert applied(_event("tenant.suspended", 2)) == "suspended"
    assert standing.refusal("other") is None
    # a late, older event (the onboarding again) changes nothing
    assert applied(_event("tenant.updated", 1, status="active")) == "suspended"
    assert applied(_event("tenant.updated", 3, status="active")) is None
    assert applied(_event("tenant.suspended", 4)) == "suspended"
    assert applied(_event("tenant.offboarded", 5)) == "offboarded"
