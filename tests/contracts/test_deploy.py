"""deploy/ must agree with the code: the realm gives tokens the shape the verifier reads, and
the compose file sets the settings the production profile demands."""

from __future__ import annotations

import json
import re
from pathlib import Path

from alac_kernel.auth.roles import ALL_ROLES
from alac_kernel.settings import Settings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def realm() -> dict:
    return json.loads((DEPLOY / "keycloak" / "alac-realm.json").read_text())


def test_realm_client_roles_are_the_platform_roles():
    roles = {r["name"] for r in realm()["roles"]["client"][Settings().auth_client_id]}
    assert roles == set(ALL_ROLES)


def test_front_end_tokens_carry_audience_office_and_organization():
    data = realm()
    assert data["organizationsEnabled"] is True
    scopes = {s["name"]: s for s in data["clientScopes"]}
    audience = scopes["alac-api-audience"]["protocolMappers"][0]
    assert audience["protocolMapper"] == "oidc-audience-mapper"
    assert audience["config"]["included.client.audience"] == Settings().auth_audience
    office = scopes["alac-office"]["protocolMappers"][0]["config"]
    assert (office["claim.name"], office["access.token.claim"]) == ("office", "true")
    for client in data["clients"]:
        if client["clientId"] in {"alac-web", "alac-cli"}:
            assert {"roles", "organization", "alac-api-audience", "alac-office"} <= set(
                client["defaultClientScopes"]
            )


def test_compose_runs_the_production_profile_against_the_realm():
    compose = (DEPLOY / "compose.yaml").read_text()
    assert "ALAC_PROFILE: production" in compose
    assert "ALAC_BUS_BACKEND: kafka" in compose
    issuer = re.search(r"ALAC_AUTH_ISSUER: (\S+)", compose).group(1)
    assert issuer.endswith(f"/realms/{realm()['realm']}")
    for service in ("intake", "cases", "analytics", "search"):
        assert f'["serve", "{service}"' in compose
        assert f"postgres/alac_{service}" in compose
        assert f"alac_{service}" in (DEPLOY / "postgres" / "init.sh").read_text()
    # The settings the compose file gives are accepted by the production profile.
    Settings(
        profile="production",
        database_url="postgresql+psycopg://alac@postgres/alac_intake",
        bus_backend="kafka",
        auth_issuer=issuer,
    )
