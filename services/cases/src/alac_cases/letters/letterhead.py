"""The letterhead of a tenant's letters, behind one function.

Today the data comes from the tenant configuration the cases service has (tenants.json, or the
file ALAC_CASES_TENANTS_FILE names): `name`, and optionally `address` (lines separated by
newlines) and `logo` (a PNG or JPEG path, relative to that file). When the tenant registry
exists, only `letterhead()` changes."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from alac_cases.tenants import DEFAULT_FILE, known_tenants


@dataclass(frozen=True)
class Letterhead:
    name: str
    address: str | None = None
    logo: Path | None = None


def letterhead(tenant: str) -> Letterhead:
    entry = known_tenants().get(tenant, {})
    logo = entry.get("logo")
    if logo:
        base = Path(os.environ.get("ALAC_CASES_TENANTS_FILE", str(DEFAULT_FILE))).parent
        path = base / logo
        logo = path if path.is_file() else None  # a missing logo must not stop a letter
    return Letterhead(name=entry.get("name", tenant), address=entry.get("address"), logo=logo)
