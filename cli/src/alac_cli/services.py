"""The four services by name, imported lazily so `alac serve search` loads only search."""

from __future__ import annotations

import importlib
from types import ModuleType

SERVICES = ("intake", "cases", "analytics", "search")


def service_module(name: str) -> ModuleType:
    if name not in SERVICES:
        raise ValueError(f"unknown service {name!r}; expected one of {', '.join(SERVICES)}")
    return importlib.import_module(f"alac_{name}.app")
