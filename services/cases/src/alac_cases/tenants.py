"""The tenants the cases service knows (data in tenants.json, or ALAC_CASES_TENANTS_FILE):
names for letters' signatures and the partners a case may be referred to. There is no tenant
directory service; a small reviewed file is the source of truth until there is one."""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path

DEFAULT_FILE = Path(__file__).with_name("tenants.json")


@lru_cache(maxsize=4)
def _load(path: str) -> dict[str, dict]:
    return json.loads(Path(path).read_text(encoding="utf-8"))["tenants"]


def known_tenants() -> dict[str, dict]:
    return _load(os.environ.get("ALAC_CASES_TENANTS_FILE", str(DEFAULT_FILE)))


def tenant_name(tenant: str) -> str:
    return known_tenants().get(tenant, {}).get("name", tenant)
