"""What the tenant registry (cases) announces, for intake's tests: a demo centre's entry
(cli's demo_tenants/*.yaml, as `alac up` onboards it) and its tenant.* events, built as cases
builds them and checked against their contract when published."""

from __future__ import annotations

from typing import Any

from alac_cli.demo import DEMO_TENANTS
from alac_kernel.db import utcnow
from alac_kernel.events import Event, new_event
from alac_kernel.tenants import load_spec_file

REGISTRY = "/alac/cases"
STAMP = {"tenant.onboarded": "onboarded_at", "tenant.updated": "updated_at"}


def demo_spec(name: str, **changes: Any) -> dict[str, Any]:
    """The demo centre `name`'s entry as events carry it (without its first admin)."""
    spec = load_spec_file(DEMO_TENANTS / f"{name}.yaml").model_dump(mode="json")
    spec.pop("admin", None)
    return {**spec, **changes}


def tenant_event(
    type_: str, spec: dict[str, Any], *, version: int, changed: list[str] | None = None
) -> Event:
    data: dict[str, Any] = {
        "tenant_id": spec["id"], "tenant": spec, "status": "active",
        STAMP[type_]: utcnow().isoformat(),
    }  # fmt: skip
    if changed is not None:
        data["changed"] = changed
    return new_event(
        type=type_, source=REGISTRY, subject=spec["id"], tenant=spec["id"], version=version,
        data=data,
    )  # fmt: skip
