"""A real service (intake, in-process) behind tokens from a real Keycloak: the right role is
let in, a wrong role gets 403, another tenant's user does not see the complaint."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from alac_intake.app import create_app
from alac_kernel.auth.verifier import TokenVerifier
from alac_kernel.settings import Settings

pytestmark = pytest.mark.keycloak

COMPLAINT = {"channel": "hotline", "request_type": "case", "area": "education", "crux": "Взятка."}


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
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def _bearer(token: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **extra}


def test_intake_serves_keycloak_users_by_role_and_tenant(keycloak_server, intake):
    vera = keycloak_server.password_token("vera")
    created = intake.post("/v1/complaints", json=COMPLAINT, headers=_bearer(vera))
    assert created.status_code == 201, created.text
    complaint_id = created.json()["id"]

    lena = keycloak_server.password_token("lena")  # same tenant, staff
    read = intake.get(f"/v1/complaints/{complaint_id}", headers=_bearer(lena))
    assert read.status_code == 200, read.text
    assert read.json()["id"] == complaint_id

    anuar = keycloak_server.password_token("anuar")  # analyst: statistics only
    refused = intake.get(f"/v1/complaints/{complaint_id}", headers=_bearer(anuar))
    assert refused.status_code == 403, refused.text
    assert "volunteer" in refused.json()["required_roles"]

    dana = keycloak_server.password_token("dana")  # staff of the other tenant
    hidden = intake.get(f"/v1/complaints/{complaint_id}", headers=_bearer(dana))
    assert hidden.status_code == 404, hidden.text


def test_intake_takes_a_complaint_from_a_keycloak_partner_client(keycloak_server, intake):
    partner = keycloak_server.client_token("partner-ndi", "partner-ndi-secret")
    # A partner system has no office of its own: it names the office the complaint is for.
    body = {**COMPLAINT, "channel": "partner_api", "office": "shymkent"}
    created = intake.post("/v1/complaints", json=body, headers=_bearer(partner))
    assert created.status_code == 201, created.text
    dana = keycloak_server.password_token("dana")
    read = intake.get(f"/v1/complaints/{created.json()['id']}", headers=_bearer(dana))
    assert read.status_code == 200, read.text
    nadia = keycloak_server.password_token("nadia")  # network analyst: no complaint content
    assert intake.post("/v1/complaints", json=COMPLAINT, headers=_bearer(nadia)).status_code == 403


def test_intake_refuses_a_request_without_a_token(intake):
    response = intake.post("/v1/complaints", json=COMPLAINT)
    assert response.status_code == 401
