"""Partner systems on the real Keycloak (the session's instance): a tenant admin registers one
through intake, which creates the client with python-keycloak; its client-credentials tokens
carry the tenant and the partner role; it reads only its own complaints; the secret rotates
with Keycloak's rotation policy (old and new both valid during the grace period); a revoked
partner gets no token; Keycloak unreachable answers 503 and records nothing. The webhook and
feed behaviour is the same code as on the embedded provider (services/intake/tests/
test_partners.py); one delivery here checks it end to end behind Keycloak tokens."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from standardwebhooks.webhooks import Webhook

from alac_cli.engines import keycloak
from alac_intake.app import create_app
from alac_intake.partners.identity import KeycloakPartnerClients
from alac_intake.partners.webhooks import WebhookPolicy, deliver_due
from alac_kernel.auth.verifier import TokenVerifier
from alac_kernel.identity import IdentityAdmin, IdentitySettings
from alac_kernel.settings import Settings
from alac_kernel.testing.https_receiver import HttpsReceiver

pytestmark = pytest.mark.keycloak

COMPLAINT = {"channel": "hotline", "crux": "Партнёр передаёт жалобу.", "office": "almaty"}
GRACE_S = 600


def partner_clients(server, issuer: str | None = None) -> KeycloakPartnerClients:
    """Through the platform's identity administration, as the production profile builds it:
    the realm's confidential client `alac-admin` (deploy/keycloak/alac-demo.json)."""
    settings = IdentitySettings.from_issuer(
        issuer or server.issuer, "alac-admin", "alac-admin-dev-secret"
    )
    return KeycloakPartnerClients(IdentityAdmin(settings), GRACE_S)


@pytest.fixture
def intake(keycloak_server, tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(
        data_dir=tmp_path,
        run_workers=False,
        auth_issuer=keycloak_server.issuer,
        auth_jwks_url=keycloak_server.jwks_url,
    )
    app = create_app(settings, TokenVerifier.from_settings(settings))
    app.state.runtime.migrate()
    app.state.runtime.partner_clients = partner_clients(keycloak_server)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def grant(server, client_id: str, secret: str) -> httpx.Response:
    return httpx.post(
        server.token_url, data={"grant_type": "client_credentials"}, auth=(client_id, secret),
        timeout=30,
    )  # fmt: skip


def register(server, intake) -> dict:
    client_id = f"kc-partner-{uuid.uuid4().hex[:8]}"
    r = intake.post(
        "/v1/partners",
        json={"client_id": client_id, "name": "Aktobe watchdog"},
        headers=bearer(server.password_token("tamara")),
    )
    assert r.status_code == 201, r.text
    return r.json()


def test_registered_partner_gets_tokens_of_its_tenant_and_reads_only_its_complaints(
    keycloak_server, kc_verifier, intake
):
    partner = register(keycloak_server, intake)
    r = grant(keycloak_server, partner["client_id"], partner["client_secret"])
    assert r.status_code == 200, r.text
    token = r.json()["access_token"]
    principal = kc_verifier().verify(token)
    assert (principal.tenant, principal.client_id) == ("tk", partner["client_id"])
    assert principal.has_any("partner")
    assert not principal.has_any("volunteer", "lawyer", "coordinator", "tenant-admin")

    mine = intake.post("/v1/complaints", json=COMPLAINT, headers=bearer(token))
    assert mine.status_code == 201, mine.text
    staff = intake.post(
        "/v1/complaints", json=COMPLAINT, headers=bearer(keycloak_server.password_token("vera"))
    )
    ndi = intake.post(
        "/v1/complaints",
        json={**COMPLAINT, "office": "shymkent"},
        headers=bearer(keycloak_server.client_token("partner-ndi", "partner-ndi-secret")),
    )
    own = intake.get(f"/v1/complaints/{mine.json()['id']}", headers=bearer(token))
    assert own.status_code == 200, own.text
    assert set(own.json()) == {"id", "office", "received_at", "status"}
    for other in (staff.json()["id"], ndi.json()["id"]):
        assert intake.get(f"/v1/complaints/{other}", headers=bearer(token)).status_code == 404
    # Its event is in its feed, about its complaint only.
    feed = intake.get("/v1/feed", headers=bearer(token)).json()
    assert [e["data"]["complaint_id"] for e in feed["events"]] == [mine.json()["id"]]


def test_rotation_keeps_the_old_secret_valid_beside_the_new_one(keycloak_server, intake):
    partner = register(keycloak_server, intake)
    tamara = bearer(keycloak_server.password_token("tamara"))
    r = intake.post(f"/v1/partners/{partner['id']}/secret", headers=tamara)
    assert r.status_code == 200, r.text
    rotated = r.json()
    assert rotated["client_secret"] != partner["client_secret"]
    assert rotated["previous_secret_valid_for_s"] == GRACE_S
    old = grant(keycloak_server, partner["client_id"], partner["client_secret"])
    new = grant(keycloak_server, partner["client_id"], rotated["client_secret"])
    assert (old.status_code, new.status_code) == (200, 200), (old.text, new.text)
    wrong = grant(keycloak_server, partner["client_id"], "not-the-secret")
    assert wrong.status_code == 401


def test_revoked_partner_gets_no_token(keycloak_server, intake):
    partner = register(keycloak_server, intake)
    tamara = bearer(keycloak_server.password_token("tamara"))
    assert intake.delete(f"/v1/partners/{partner['id']}", headers=tamara).status_code == 204
    assert grant(keycloak_server, partner["client_id"], partner["client_secret"]).status_code in (
        400,
        401,
    )


def test_keycloak_unreachable_answers_503_and_nothing_is_made(keycloak_server, intake):
    intake.app.state.runtime.partner_clients = partner_clients(
        keycloak_server, issuer=f"http://127.0.0.1:9/realms/{keycloak.REALM}"
    )
    tamara = bearer(keycloak_server.password_token("tamara"))
    client_id = f"kc-later-{uuid.uuid4().hex[:8]}"
    r = intake.post("/v1/partners", json={"client_id": client_id, "name": "X"}, headers=tamara)
    assert r.status_code == 503, r.text
    assert r.headers["retry-after"] == "30"
    assert all(
        p["client_id"] != client_id for p in intake.get("/v1/partners", headers=tamara).json()
    )
    # And Keycloak has no such client either.
    with keycloak_server.admin() as admin:
        assert admin.get("/clients", params={"clientId": client_id}).json() == []


def test_signed_webhook_behind_keycloak_tokens(keycloak_server, intake, tmp_path):
    receiver = HttpsReceiver(tmp_path / "receiver")
    try:
        partner = register(keycloak_server, intake)
        token = keycloak_server.client_token(partner["client_id"], partner["client_secret"])
        runtime = intake.app.state.runtime
        policy = WebhookPolicy(allow_loopback=True, ca_file=str(receiver.ca_file), backoff_s=0)
        runtime.webhook_policy = policy
        sub = intake.post(
            "/v1/webhooks",
            json={"url": receiver.url, "event_types": ["partner.complaint_received"]},
            headers=bearer(token),
        )
        assert sub.status_code == 201, sub.text
        complaint = intake.post("/v1/complaints", json=COMPLAINT, headers=bearer(token)).json()
        assert (
            deliver_due(runtime.session_factory, runtime.master_keys, runtime.contracts, policy)
            == 1
        )
        [got] = receiver.received
        event = Webhook(sub.json()["secret"]).verify(got.body, got.headers)
        assert event["data"]["complaint_id"] == complaint["id"]
        assert event["data"]["partner_id"] == partner["id"]
        assert "Партнёр" not in json.dumps(event, ensure_ascii=False)
    finally:
        receiver.close()
