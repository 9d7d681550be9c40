"""The intake service alone, on SQLite and on PostgreSQL, with the in-process issuer; what the
other services would send (cases' case.* events: a case opened, its status, a referral) is
published on the real log bus as contract-valid events and applied by intake's own consumers.

What happens in the other services because of intake (a case opened for a complaint, a consent
recorded, a fact counted) is tested where those services meet: tests/integration.
"""

from __future__ import annotations

import contextlib
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from alac_intake.app import create_app
from alac_intake.runtime import IntakeRuntime
from alac_kernel.db import session_scope, utcnow
from alac_kernel.events import Event, default_registry, new_event
from alac_kernel.testing.alone import FLAVOURS, service_alone
from alac_kernel.testing.harness import InProcessIssuer, Pump, publish_event

# progress_world and other shared helpers of this folder (pytest runs in importlib mode).
sys.path.insert(0, str(Path(__file__).parent))

CASES = "/alac/cases"


class Intake:
    """Intake's app (`intake`: its test client), runtime and issuer, and the bus around it."""

    def __init__(self, flavour: str, issuer: InProcessIssuer, client: TestClient) -> None:
        self.flavour = flavour
        self.issuer = issuer
        self.intake = client
        self.app: FastAPI = client.app  # type: ignore[assignment]
        self.runtime: IntakeRuntime = self.app.state.runtime
        # Intake's outbox relay and its consumers (case and tenant topics), driven by hand.
        self.pump = Pump([self.runtime])
        self._versions: dict[str, int] = {}

    def headers(self, username: str, **extra: str) -> dict[str, str]:
        return self.issuer.headers(username, **extra)

    def events(self, type_: str | None = None) -> list[Event]:
        """The events intake recorded in its outbox, in order (only those of `type_`)."""
        outbox = self.runtime.tables.outbox
        with session_scope(self.runtime.session_factory, all_tenants=True) as session:
            rows = session.execute(select(outbox.c.payload).order_by(outbox.c.seq)).scalars()
            found = [Event.from_json(row) for row in rows]
        return [e for e in found if type_ is None or e.type == type_]

    # -------------------------------------------------------------- what others send

    def publish(self, event: Event) -> Event:
        """`event` on its aggregate's topic, as another service's outbox relay would put it
        there (checked against its contract first, as the relay does)."""
        default_registry().validate(event)
        return publish_event(self.runtime, event)

    def registry(
        self, type_: str, spec: dict[str, Any], *, changed: list[str] | None = None
    ) -> Event:
        """The tenant registry's next event of a centre (`spec`: its whole entry, as
        tenant_registry.demo_spec gives it), published and applied."""
        from tenant_registry import tenant_event

        key = f"tenant:{spec['id']}"
        self._versions[key] = self._versions.get(key, 0) + 1
        event = tenant_event(type_, spec, version=self._versions[key], changed=changed)
        self.publish(event)
        self.pump()
        return event

    def case_event(
        self, type_: str, case_id: str, complaint_id: str, *, tenant: str = "tk",
        office: str = "almaty", version: int | None = None, **data: Any,
    ) -> Event:  # fmt: skip
        """The next event of a case (or the given version), published and applied."""
        if version is None:
            version = self._versions.get(case_id, 0) + 1
        self._versions[case_id] = max(version, self._versions.get(case_id, 0))
        event = new_event(
            type=type_, source=CASES, subject=case_id, tenant=tenant, version=version,
            data={"case_id": case_id, "complaint_id": complaint_id, "office": office, **data},
        )  # fmt: skip
        self.publish(event)
        self.pump()
        return event

    def open_case(
        self, complaint_id: str, *, status: str = "triage", tenant: str = "tk",
        office: str = "almaty",
    ) -> str:  # fmt: skip
        """cases' case.opened for a complaint (as cases sends it on complaint.received)."""
        case_id = str(uuid.uuid4())
        self.case_event(
            "case.opened", case_id, complaint_id, tenant=tenant, office=office,
            opened_at=utcnow().isoformat(), status=status, channel="hotline", anonymous=False,
        )  # fmt: skip
        return case_id

    def move_case(
        self, case_id: str, complaint_id: str, from_status: str, to_status: str, **kw: Any
    ) -> Event:
        return self.case_event(
            "case.status_changed", case_id, complaint_id, from_status=from_status,
            to_status=to_status, reason="moved by a test", changed_at=utcnow().isoformat(),
            **kw,
        )  # fmt: skip


@contextlib.contextmanager
def build(flavour: str, tmp: Path, **settings: Any) -> Iterator[Intake]:
    """Intake on `flavour` ("sqlite" or "postgres") in `tmp` (alac_kernel.testing.alone);
    `settings` add to the test settings (a mail relay's, say)."""
    with service_alone(create_app, flavour, tmp, **settings) as (client, issuer):
        intake = Intake(flavour, issuer, client)
        try:
            yield intake
        finally:
            intake.pump.close()


@pytest.fixture
def build_intake():  # type: ignore[no-untyped-def]
    """`build` for tests that need intake with settings of their own."""
    return build


@pytest.fixture(params=FLAVOURS)
def intake(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Intake]:
    """Intake on SQLite and on PostgreSQL."""
    with build(request.param, tmp_path) as built:
        yield built


@pytest.fixture
def sqlite_intake(tmp_path: Path) -> Iterator[Intake]:
    with build("sqlite", tmp_path) as built:
        yield built
