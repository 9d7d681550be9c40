"""Everything the cases service holds of one tenant: exported into the offboarding archive,
then deleted. Generic over the tables (every table with a tenant_id column,
alac_kernel.tenants.archive), so a table added later is exported and deleted without anyone
remembering to list it here."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, Table, delete
from sqlalchemy.orm import Session

from alac_cases.case.models import Base
from alac_kernel.tenants.archive import Rows, tenant_rows, tenant_tables

# The registry row itself stays (status offboarded): the id must not be reused by accident.
KEEP = {"tenant_registry"}
# Deleted but never archived: the letter keys. Letters stay in the archive as stored
# (encrypted), unreadable once their keys are gone, as the issue asks of personal data.
KEYS = {"case_tenant_keys"}


def _tenant_tables() -> list[Table]:
    return tenant_tables(Base.metadata.sorted_tables, keep=KEEP)


def export_tenant(session: Session, tenant_id: str) -> Rows:
    archived = [t for t in _tenant_tables() if t.name not in KEYS]
    return tenant_rows(session, archived, tenant_id)


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
