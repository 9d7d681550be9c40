"""The cases service alone, fed with the contract-valid complaint events intake would publish,
written onto the real log bus and applied by cases' own consumer.

Intake has its own tests, and tests/integration runs the four services together; here a case
is opened by publishing `complaint.received` (its crux sealed under a key of its own, as intake
seals it) and running cases' consumer, so a test pays for one service, not four. The keys that
intake's key service would hand out are kept here (`KeyRing`), and erasing a complaint's
personal data is its `complaint.personal_data_purged` with the key destroyed.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from alac_cases.app import create_app
from alac_cases.runtime import CasesRuntime
from alac_kernel import crypto, sealed_text
from alac_kernel.db import utcnow
from alac_kernel.events import Event, new_event
from alac_kernel.testing.alone import service_alone
from alac_kernel.testing.harness import InProcessIssuer, Pump, publish_event

INTAKE = "/alac/intake"


@dataclass
class KeyRing:
    """Complaint text keys, as intake's key service hands them to cases (a TextKeys)."""

    keys: dict[tuple[str, str], bytes] = field(default_factory=dict)

    def new(self, tenant: str, complaint_id: str) -> bytes:
        key = self.keys[(tenant, complaint_id)] = crypto.new_key()
        return key

    def key_for(self, tenant: str, complaint_id: str) -> bytes | None:
        return self.keys.get((tenant, complaint_id))

    def destroy(self, tenant: str, complaint_id: str) -> None:
        self.keys.pop((tenant, complaint_id), None)


class CasesAlone:
    """The cases app, the in-process issuer, the bus, and a pump of cases' relay and consumer.
    Named like the four-service harness where it can be (`cases`, `headers`, `runtime`,
    `pump`), so a test reads the same on either."""

    def __init__(self, flavour: str, client: TestClient, issuer: InProcessIssuer) -> None:
        self.flavour = flavour
        self.cases = client
        self.issuer = issuer
        self._runtime: CasesRuntime = client.app.state.runtime  # type: ignore[attr-defined]
        self.keys = KeyRing()
        self._runtime.text_keys = self.keys
        self.pump = Pump([self._runtime])
        self.versions: dict[str, int] = {}
        self.complaints: dict[str, Event] = {}  # complaint id -> its complaint.received

    def runtime(self, service: str = "cases") -> CasesRuntime:
        assert service == "cases", "only cases runs here; the four services: tests/integration"
        return self._runtime

    def headers(self, username: str, **extra: str) -> dict[str, str]:
        return self.issuer.headers(username, **extra)

    # -------------------------------------------------------------- intake's events

    def publish(self, event: Event) -> Event:
        """`event` onto the bus as intake's relay would publish it."""
        return publish_event(self._runtime, event)

    def emit(
        self, type_: str, complaint_id: str, data: dict[str, Any], *, tenant: str, **envelope: Any
    ) -> Event:
        """The next event of a complaint (its version counted here, as intake counts it)."""
        version = self.versions[complaint_id] = self.versions.get(complaint_id, 0) + 1
        event = new_event(
            type=type_, source=INTAKE, subject=complaint_id, tenant=tenant, version=version,
            data=data, **envelope,
        )  # fmt: skip
        return self.publish(event)

    def receive_complaint(
        self,
        user: str = "vera",
        *,
        crux: str = "Требуют взятку за справку.",
        channel: str = "hotline",
        anonymous: bool = False,
        correlation_id: str | None = None,
        **fields: Any,
    ) -> Event:
        """complaint.received for a complaint registered by `user` in their tenant and office,
        its crux sealed under the complaint's own key. `fields`: the optional data fields
        (request_type, area, consent, historical, ...); None leaves one out."""
        demo = self.issuer.dev.demo_users[user]
        complaint_id = str(uuid.uuid4())
        data = {
            "complaint_id": complaint_id,
            "office": demo.office,
            "received_at": utcnow().isoformat(),
            "channel": channel,
            "anonymous": anonymous,
            "crux": crux,
            "complainant": {"pseudonym": f"cp-{complaint_id[:8]}"},
            **fields,
        }
        clear, texts = sealed_text.split_texts({k: v for k, v in data.items() if v is not None})
        key = self.keys.new(demo.tenant, complaint_id)
        clear["sealed"] = sealed_text.seal_fields(
            key, tenant=demo.tenant, complaint_id=complaint_id, fields=texts
        )
        self.complaints[complaint_id] = self.emit(
            "complaint.received", complaint_id, clear, tenant=demo.tenant,
            correlation_id=correlation_id,
        )  # fmt: skip
        return self.complaints[complaint_id]

    def complaint_of(self, case: dict[str, Any]) -> Event:
        """The complaint.received that opened `case` (as the API answers it)."""
        return self.complaints[case["complaint_id"]]

    def purge(self, complaint: Event) -> Event:
        """Intake erased the complaint's personal data: its text key is destroyed and
        complaint.personal_data_purged announced."""
        self.keys.destroy(complaint.tenantid, complaint.subject)
        data = {
            "complaint_id": complaint.subject, "office": complaint.data["office"],
            "purged_at": utcnow().isoformat(), "reason": "erasure_request",
        }  # fmt: skip
        return self.emit(
            "complaint.personal_data_purged", complaint.subject, data, tenant=complaint.tenantid
        )

    # -------------------------------------------------------------- the tenant registry

    def onboard_demo_tenants(self) -> None:
        """The demo centres tk and ndi through the registry (POST /v1/tenants), as `alac up`
        does; the issuer is served on a loopback port meanwhile (python-keycloak needs one)."""
        from alac_cli.demo import onboard_demo_tenants
        from alac_kernel.auth.dev_issuer import DEV_ADMIN_CLIENT, DEV_ADMIN_SECRET
        from alac_kernel.identity import IdentityAdmin, IdentitySettings
        from alac_kernel.settings import DEV_REALM
        from alac_kernel.testing.serve import serve_app

        before = self._runtime.identity
        with serve_app(self.issuer.app) as base:
            self._runtime.identity = IdentityAdmin(
                IdentitySettings(base, DEV_REALM, DEV_ADMIN_CLIENT, DEV_ADMIN_SECRET)
            )
            try:
                token_url = f"{base}/realms/{DEV_REALM}/protocol/openid-connect/token"
                onboard_demo_tenants(token_url, "", client=self.cases)
            finally:
                self._runtime.identity = before
        self.pump()


@contextlib.contextmanager
def build(flavour: str, tmp: Path) -> Iterator[CasesAlone]:
    with service_alone(create_app, flavour, tmp) as (client, issuer):
        alone = CasesAlone(flavour, client, issuer)
        try:
            yield alone
        finally:
            alone.pump.close()
