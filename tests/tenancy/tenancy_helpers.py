"""Shared by the tenancy tests: centre and staff bodies, onboarding, the outbox."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from alac_kernel.db import session_scope
from alac_kernel.events import Event

PROBLEM_JSON = "application/problem+json"


def centre(suffix: str, **overrides: Any) -> dict[str, Any]:
    body = {
        "id": f"aktobe-{suffix}",
        "names": {
            "kk": "Ақтөбе құқықтық көмек",
            "ru": "Актюбинская правовая помощь",
            "en": f"Aktobe Legal Aid {suffix}",
        },
        "offices": [
            {
                "code": "aktobe",
                "region": "aktobe",
                "names": {"kk": "Ақтөбе", "ru": "Актобе", "en": "Aktobe"},
            },
            {
                "code": "khromtau",
                "region": "aktobe",
                "names": {"kk": "Хромтау", "ru": "Хромтау", "en": "Khromtau"},
            },
        ],  # fmt: skip
        "languages": ["kk", "ru"],
        "admin": {
            "username": f"aliya-{suffix}",
            "email": f"aliya-{suffix}@aktobe-aid.example.org",
            "first_name": "Aliya",
            "last_name": "Nurpeisova",
            "language": "kk",
        },
    }
    body.update(overrides)
    return body


def staff(suffix: str, name: str, role: str, office: str, **extra: Any) -> dict[str, Any]:
    return {
        "username": f"{name}-{suffix}",
        "email": f"{name}-{suffix}@aktobe-aid.example.org",
        "first_name": name.capitalize(),
        "last_name": "Sadykova",
        "office": office,
        "role": role,
        **extra,
    }


def outbox_events(platform, service: str = "cases") -> list[Event]:
    runtime = platform.runtime(service)
    table = runtime.tables.outbox
    with session_scope(runtime.session_factory, all_tenants=True) as session:
        rows = session.execute(select(table.c.payload).order_by(table.c.seq)).scalars()
        return [Event.from_json(p) for p in rows]


def onboard(world, body: dict[str, Any]) -> dict[str, Any]:
    response = world.platform.cases.post("/v1/tenants", json=body, headers=world.platform_admin())
    assert response.status_code == 201, response.text
    world.platform.pump()
    return response.json()
