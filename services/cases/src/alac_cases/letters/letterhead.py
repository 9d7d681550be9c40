"""The letterhead of a tenant's letters, from the tenant registry (alac_cases.tenancy).

The centre's name in the letter's language comes from the registry's `names`; the address
(lines separated by newlines), phone and e-mail from the spec's `letterhead`, set at onboarding
(`POST /v1/tenants`) or by a later update (`tenant.updated`). `signatory_title` is the position
printed under a signature when the staff registry has none for the lawyer. `logo_png` (a
base64 PNG) is printed at the top right."""

from __future__ import annotations

import base64
from dataclasses import dataclass

from sqlalchemy.orm import Session

from alac_cases.tenancy.models import TenantRecord
from alac_cases.tenancy.service import display_name


@dataclass(frozen=True)
class Letterhead:
    name: str
    address: str | None = None
    phone: str | None = None
    email: str | None = None
    signatory_title: str | None = None
    logo_png: bytes | None = None

    def contact_line(self) -> str | None:
        """Phone and e-mail on one line, or None when the registry has neither."""
        parts = [p for p in (self.phone, self.email) if p]
        return " · ".join(parts) or None


def letterhead(session: Session, tenant: str, language: str) -> Letterhead:
    record = session.get(TenantRecord, tenant)
    spec = (record.spec if record is not None else {}).get("letterhead") or {}
    return Letterhead(
        name=display_name(session=session, tenant_id=tenant, language=language),
        address=spec.get("address"),
        phone=spec.get("phone"),
        email=spec.get("email"),
        signatory_title=spec.get("signatory_title"),
        logo_png=base64.b64decode(spec["logo_png"]) if spec.get("logo_png") else None,
    )
