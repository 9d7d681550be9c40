"""Intake's part of a centre's offboarding archive (docs/tenancy.md, "Suspension and
offboarding"): the cases service, which holds the registry and writes the archive, asks for it
before it announces `tenant.offboarded`, on which intake deletes the rows and the keys. So the
archive is made before anything is deleted, and nothing is lost:

- the public form stops offering the tenant's offices first (its staff's and partners'
  tokens are refused already: it is suspended), so nothing new arrives for it afterwards;
- every row intake holds of the tenant is answered as stored: what is encrypted at rest (the
  vault's contacts, attachment keys) stays ciphertext, and the keys that would open it
  (`tenant_keys`, `complaint_text_keys`) are never archived; they are deleted on
  `tenant.offboarded`, which destroys that personal data in the archive too.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from alac_intake.database import all_tables
from alac_intake.reference.tenants import retire_public_offices
from alac_intake.runtime import IntakeRuntime
from alac_kernel.db import session_scope
from alac_kernel.errors import Conflict
from alac_kernel.tenants import SUSPENDED
from alac_kernel.tenants.archive import Rows, tenant_rows, tenant_tables

# Deleted on offboarding, never archived: with them the archived ciphertext opens.
KEYS = frozenset({"tenant_keys", "complaint_text_keys"})


def archive(runtime: IntakeRuntime, tenant_id: str) -> Rows:
    """The tenant's public offices closed, then every row intake holds of it (its keys left
    out); only for a tenant intake knows as suspended."""
    if runtime.standing.refusal(tenant_id) != SUSPENDED:
        raise Conflict(
            f"Intake does not know centre {tenant_id!r} as suspended (yet): only a suspended "
            "centre is archived. Send again once its suspension is announced."
        )
    with session_scope(runtime.session_factory, all_tenants=True) as session:
        return archive_tenant(session, tenant_id)


def archive_tenant(session: Session, tenant_id: str) -> Rows:
    retire_public_offices(session, tenant_id)
    tables = [t for t in tenant_tables(all_tables().sorted_tables) if t.name not in KEYS]
    return tenant_rows(session, tables, tenant_id)
