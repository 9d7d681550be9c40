"""The tenant's name for the report's cover, behind one function.

There is no tenant registry analytics can read yet; until there is, the names come from
tenants.json beside this module (or the file ALAC_ANALYTICS_TENANTS_FILE names). A tenant not
listed prints as its code."""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path

DEFAULT_FILE = Path(__file__).with_name("tenants.json")


@lru_cache(maxsize=4)
def _load(path: str) -> dict[str, dict]:
    return json.loads(Path(path).read_text(encoding="utf-8"))["tenants"]


def tenant_name(tenant: str) -> str:
    names = _load(os.environ.get("ALAC_ANALYTICS_TENANTS_FILE", str(DEFAULT_FILE)))
    return names.get(tenant, {}).get("name", tenant)
