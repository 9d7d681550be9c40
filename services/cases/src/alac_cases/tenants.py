"""The tenants the cases service knows, from its tenant registry (alac_cases.tenancy): the
centre's name that signs letters of support, and the partners a case may be referred to (an
active or suspended tenant, never one still onboarding or offboarded)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from alac_cases.tenancy.models import TenantRecord
from alac_kernel.tenants import ACTIVE, SUSPENDED


def is_known(session: Session, tenant: str) -> bool:
    record = session.get(TenantRecord, tenant)
    return record is not None and record.status in (ACTIVE, SUSPENDED)


def tenant_name(session: Session, tenant: str, language: str = "en") -> str:
    """The centre's display name in `language` (else English), or the id when unregistered."""
    record = session.get(TenantRecord, tenant)
    if record is None:
        return tenant
    names = record.spec.get("names", {})
    return names.get(language) or names.get("en") or tenant
