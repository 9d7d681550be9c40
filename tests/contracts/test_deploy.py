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


def test_every_client_scope_the_realm_names_is_defined_in_it():
    """A realm file that defines `clientScopes` gets none of Keycloak's built-in scopes, so
    every scope a client or the realm default names must be in the file itself."""
    data = realm()
    defined = {s["name"] for s in data["clientScopes"]}
    named = set(data["defaultDefaultClientScopes"]) | set(data["defaultOptionalClientScopes"])
    demo = json.loads((DEPLOY / "keycloak" / "alac-demo.json").read_text())
    for client in [*data["clients"], *demo["clients"]]:
        named |= set(client.get("defaultClientScopes", [])) | set(
            client.get("optionalClientScopes", [])
        )
    assert named <= defined, f"undefined scopes: {sorted(named - defined)}"
    mappers = {
        s["name"]: {m["protocolMapper"] for m in s.get("protocolMappers", [])}
        for s in data["clientScopes"]
    }
    assert "oidc-sub-mapper" in mappers["basic"]  # `sub` comes from here since Keycloak 25
    assert "oidc-usermodel-client-role-mapper" in mappers["roles"]
    assert "oidc-organization-membership-mapper" in mappers["organization"]


def test_the_user_profile_declares_the_office_attribute_and_only_admins_edit_it():
    """Keycloak 24+ drops user attributes its user profile does not declare."""
    (component,) = realm()["components"]["org.keycloak.userprofile.UserProfileProvider"]
    profile = json.loads(component["config"]["kc.user.profile.config"][0])
    office = next(a for a in profile["attributes"] if a["name"] == "office")
    assert office["permissions"]["edit"] == ["admin"]


def test_the_demo_overlay_matches_the_development_issuers_demo_identities():
    """The same demo users and partner on Keycloak as on the development issuer."""
    from alac_kernel.auth.dev_issuer import DEMO_CLIENTS, DEMO_USERS

    demo = json.loads((DEPLOY / "keycloak" / "alac-demo.json").read_text())
    members = {m["username"]: org["alias"] for org in demo["organizations"] for m in org["members"]}
    users = {u["username"]: u for u in demo["users"]}
    for user in DEMO_USERS:
        kc = users[user.username]
        assert kc["credentials"][0]["value"] == user.password
        assert kc["clientRoles"] == {Settings().auth_client_id: list(user.roles)}
        assert kc.get("attributes", {}).get("office") == ([user.office] if user.office else None)
        assert members[user.username] == user.tenant
    clients = {c["clientId"]: c for c in demo["clients"]}
    for partner in DEMO_CLIENTS:
        client = clients[partner.client_id]
        assert client["secret"] == partner.secret and client["serviceAccountsEnabled"] is True
        account = users[f"service-account-{partner.client_id}"]
        assert account["serviceAccountClientId"] == partner.client_id
        assert account["clientRoles"] == {Settings().auth_client_id: list(partner.roles)}
        assert members[account["username"]] == partner.tenant
    aliases = {o["alias"] for o in realm()["organizations"]}
    assert set(members.values()) <= aliases
