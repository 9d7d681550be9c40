"""Everything the cases service holds of one tenant: exported into the offboarding archive,
then deleted. Generic over the tables (every table with a tenant_id column), so a table added
later is exported and deleted without anyone remembering to list it here."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, Table, delete, select
from sqlalchemy.orm import Session

from alac_cases.case.models import Base

# The registry row itself stays (status offboarded): the id must not be reused by accident.
# The kernel's tables stay too: the outbox still has to deliver tenant.offboarded itself.
KEEP = {"tenant_registry", "outbox", "inbox", "idempotency_keys"}


def _tenant_tables() -> list[Table]:
    return [t for t in Base.metadata.sorted_tables if "tenant_id" in t.c and t.name not in KEEP]


def export_tenant(session: Session, tenant_id: str) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for table in _tenant_tables():
        rows = session.execute(select(table).where(table.c.tenant_id == tenant_id)).mappings()
        out[table.name] = [dict(r) for r in rows]
    return out


def delete_tenant(session: Session, tenant_id: str) -> int:
    """Children before parents; the tenant's letter keys go with the rest, so its letters
    (encrypted at rest under them) can never be read again."""
    deleted = 0
    for table in reversed(_tenant_tables()):
        # A DELETE answers a CursorResult (its row count); Session.execute is typed wider.
        done = cast(
            CursorResult[Any], session.execute(delete(table).where(table.c.tenant_id == tenant_id))
        )
        deleted += done.rowcount
    return deleted
