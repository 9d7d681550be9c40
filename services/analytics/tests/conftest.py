"""The analytics service alone, fed with contract-valid events published on the real log bus.

Intake and cases have their own tests; here the events they would publish are written
directly, so the projection can be driven through orders and histories (stale versions,
overtaking case events, reopenings) that the producers rarely make on demand.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from alac_analytics.app import create_app
from alac_kernel.events import Event, new_event
from alac_kernel.runtime import ServiceRuntime
from alac_kernel.testing.alone import FLAVOURS, service_alone
from alac_kernel.testing.harness import InProcessIssuer, publish_event

EXAMPLES = Path(__file__).resolve().parents[3] / "contracts" / "events"


class Analytics:
    def __init__(self, client: TestClient, issuer: InProcessIssuer) -> None:
        self.client = client
        self.issuer = issuer
        self.runtime: ServiceRuntime = client.app.state.runtime  # type: ignore[attr-defined]
        # The complaint and case projections (the tenant group is tested in tests/tenancy).
        spec = next(c for c in self.runtime.consumers if c.group == "analytics")
        self.consumer = self.runtime.event_consumer(spec)
        self.consumer.poll_timeout_s = 0.0
        self.versions: dict[str, int] = {}

    def headers(self, user: str, **extra: str) -> dict[str, str]:
        return self.issuer.headers(user, **extra)

    def publish(self, event: Event) -> Event:
        return publish_event(self.runtime, event)

    def emit(
        self,
        type_: str,
        subject: str,
        data: dict[str, Any],
        *,
        tenant: str = "tk",
        version: int | None = None,
        time: datetime | None = None,
    ) -> Event:
        """Publish the next event of an aggregate (or the given version, to test staleness)."""
        if version is None:
            version = self.versions.get(subject, 0) + 1
        self.versions[subject] = max(version, self.versions.get(subject, 0))
        event = new_event(
            type=type_,
            source=f"/alac/{type_.split('.')[0]}s",
            subject=subject,
            tenant=tenant,
            version=version,
            data=data,
            time=time,
        )
        return self.publish(event)

    def consume(self) -> int:
        total = 0
        while moved := self.consumer.run_once():
            total += moved
        return total

    # -------------------------------------------------------------- domain helpers

    def onboard(self, tenant: str, names: dict[str, str]) -> None:
        """The registry's tenant.onboarded for `tenant` (the contract's example with this id
        and these names), applied by analytics' tenant consumer."""
        example = json.loads(
            (EXAMPLES / "tenant.onboarded" / "examples" / "aktobe.json").read_text()
        )
        data = example["data"]
        data["tenant_id"] = tenant
        data["tenant"] = {**data["tenant"], "id": tenant, "names": names}
        self.emit("tenant.onboarded", tenant, data, tenant=tenant, version=1)
        spec = next(c for c in self.runtime.consumers if c.group == "analytics-tenants")
        consumer = self.runtime.event_consumer(spec)
        consumer.poll_timeout_s = 0.0
        while consumer.run_once():
            pass

    def complaint(
        self,
        *,
        received_at: datetime,
        tenant: str = "tk",
        office: str = "almaty",
        channel: str = "hotline",
        anonymous: bool = False,
        profile: dict | None = None,
        registered_at: datetime | None = None,
        **fields: Any,
    ) -> str:
        """A complaint; registered when received (a live one) unless `registered_at` says
        it was typed in later."""
        complaint_id = str(uuid.uuid4())
        data = {
            "complaint_id": complaint_id,
            "office": office,
            "channel": channel,
            "anonymous": anonymous,
            "received_at": received_at.isoformat(),
            "crux": "Требуют деньги за ремонт школы.",
            "complainant": {"pseudonym": f"p-{complaint_id[:8]}", **(profile or {})},
            **fields,
        }
        self.emit(
            "complaint.received",
            complaint_id,
            data,
            tenant=tenant,
            time=registered_at or received_at + timedelta(minutes=1),
        )
        return complaint_id

    def open_case(
        self,
        complaint_id: str,
        *,
        at: datetime,
        status: str = "triage",
        tenant: str = "tk",
        office: str = "almaty",
    ) -> str:
        case_id = str(uuid.uuid4())
        self.emit(
            "case.opened",
            case_id,
            {
                "case_id": case_id,
                "complaint_id": complaint_id,
                "office": office,
                "opened_at": at.isoformat(),
                "status": status,
                "channel": "hotline",
                "anonymous": False,
            },
            tenant=tenant,
        )
        return case_id

    def case_event(
        self,
        type_: str,
        case_id: str,
        complaint_id: str,
        *,
        tenant: str = "tk",
        office: str = "almaty",
        **data: Any,
    ) -> Event:
        body = {"case_id": case_id, "complaint_id": complaint_id, "office": office}
        body.update({k: v.isoformat() if isinstance(v, datetime) else v for k, v in data.items()})
        return self.emit(type_, case_id, body, tenant=tenant)

    def close_case(
        self,
        case_id: str,
        complaint_id: str,
        *,
        at: datetime,
        outcome: str,
        triaged_after: timedelta | None = None,
        **kw: Any,
    ) -> None:
        if triaged_after is not None:
            self.case_event(
                "case.status_changed",
                case_id,
                complaint_id,
                from_status="triage",
                to_status="assessment",
                reason="documents received",
                changed_at=at - triaged_after,
                **kw,
            )
        self.case_event("case.closed", case_id, complaint_id, outcome=outcome, closed_at=at, **kw)


@contextlib.contextmanager
def build(flavour: str, tmp: Path) -> Iterator[Analytics]:
    with service_alone(create_app, flavour, tmp) as (client, issuer):
        analytics = Analytics(client, issuer)
        try:
            yield analytics
        finally:
            analytics.consumer.close()


@pytest.fixture(params=FLAVOURS)
def analytics(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Analytics]:
    """The analytics service on SQLite and on PostgreSQL, fed through the real log bus."""
    with build(request.param, tmp_path) as built:
        yield built


@pytest.fixture
def sqlite_analytics(tmp_path: Path) -> Iterator[Analytics]:
    with build("sqlite", tmp_path) as built:
        yield built
