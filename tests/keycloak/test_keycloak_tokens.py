"""The token verifier on tokens from a real Keycloak with the deployed realm.

Every demo user (password grant through the public `alac-cli` client) and the demo partner
(client credentials) must come out as the same principal the development issuer gives them:
tenant from the `organization` claim, office from the declared user-profile attribute, roles
from `resource_access.alac-api.roles`. Users outside exactly one organization are refused.
"""

from __future__ import annotations

import json
import uuid

import httpx
import jwt
import pytest

from alac_kernel.auth.dev_issuer import DEMO_CLIENTS, DEMO_USERS, DevIssuer, DevKey
from alac_kernel.auth.verifier import AuthError

pytestmark = pytest.mark.keycloak


@pytest.mark.parametrize("user", DEMO_USERS, ids=lambda u: u.username)
def test_every_demo_user_gets_a_token_the_verifier_accepts(keycloak_server, kc_verifier, user):
    token = keycloak_server.password_token(user.username)
    principal = kc_verifier().verify(token)
    assert principal.username == user.username
    assert principal.tenant == user.tenant
    assert principal.office == user.office
    assert set(user.roles) <= principal.roles
    assert principal.client_id == "alac-cli"
    assert uuid.UUID(principal.subject)  # Keycloak's user id, from the `basic` scope


def test_the_claims_have_keycloaks_shapes(keycloak_server):
    """What the verifier reads, as Keycloak really writes it (not as we assume it)."""
    claims = jwt.decode(keycloak_server.password_token("lena"), options={"verify_signature": False})
    assert claims["iss"] == keycloak_server.issuer
    assert "alac-api" in (claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]])
    assert claims["typ"] == "Bearer"
    assert claims["organization"] == ["tk"]
    assert claims["office"] == "almaty"
    assert claims["resource_access"]["alac-api"]["roles"] == ["lawyer"]
    assert claims["sub"]


@pytest.mark.parametrize("client", DEMO_CLIENTS, ids=lambda c: c.client_id)
def test_a_partner_client_gets_a_token_for_its_tenant(keycloak_server, kc_verifier, client):
    token = keycloak_server.client_token(client.client_id, client.secret)
    principal = kc_verifier().verify(token)
    assert principal.tenant == client.tenant
    assert principal.roles >= {"partner"}
    assert principal.office is None
    assert principal.client_id == client.client_id
    assert principal.username == f"service-account-{client.client_id}"


def test_a_wrong_partner_secret_gets_no_token(keycloak_server):
    response = httpx.post(
        keycloak_server.token_url,
        data={"grant_type": "client_credentials"},
        auth=("partner-ndi", "not-the-secret"),
        timeout=30,
    )
    assert response.status_code == 401
    assert response.json()["error"] in {"unauthorized_client", "invalid_client"}


def test_a_wrong_password_gets_no_token(keycloak_server):
    response = keycloak_server.password_grant("vera", "wrong")
    assert response.status_code == 400  # RFC 6749 5.2: invalid_grant is a 400
    assert response.json()["error"] == "invalid_grant"


def test_the_issuer_does_not_depend_on_the_host_the_client_used(keycloak_server, kc_verifier):
    other_host = keycloak_server.token_url.replace("127.0.0.1", "localhost")
    response = httpx.post(
        other_host,
        data={
            "grant_type": "password",
            "client_id": "alac-cli",
            "username": "vera",
            "password": "demovera",
        },
        headers={"Host": "keycloak.attacker.example"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    token = response.json()["access_token"]
    assert jwt.decode(token, options={"verify_signature": False})["iss"] == keycloak_server.issuer
    assert kc_verifier().verify(token).username == "vera"


def test_a_verifier_for_another_audience_refuses_the_token(keycloak_server, kc_verifier):
    token = keycloak_server.password_token("vera")
    with pytest.raises(AuthError) as refused:
        kc_verifier(audience="someone-else").verify(token)
    assert refused.value.reason == "wrong_audience"


def test_the_id_token_is_not_an_access_token(keycloak_server, kc_verifier):
    response = keycloak_server.password_grant("vera", scope="openid")
    assert response.status_code == 200, response.text
    with pytest.raises(AuthError) as refused:
        kc_verifier().verify(response.json()["id_token"])
    assert refused.value.reason in {"wrong_audience", "malformed"}


def _new_user(admin: httpx.Client, username: str, role: str) -> str:
    created = admin.post(
        "/users",
        json={
            "username": username,
            "enabled": True,
            "email": f"{username}@example.org",
            "emailVerified": True,
            "firstName": "Test",
            "lastName": "User",
            "attributes": {"office": ["almaty"]},
            "credentials": [{"type": "password", "value": f"demo{username}", "temporary": False}],
        },
    )
    assert created.status_code == 201, created.text
    user_id = created.headers["Location"].rsplit("/", 1)[-1]
    api = admin.get("/clients", params={"clientId": "alac-api"}).json()[0]["id"]
    role_rep = admin.get(f"/clients/{api}/roles/{role}").json()
    assigned = admin.post(f"/users/{user_id}/role-mappings/clients/{api}", json=[role_rep])
    assert assigned.status_code == 204, assigned.text
    return user_id


def _join(admin: httpx.Client, alias: str, user_id: str) -> None:
    # `search` matches names, not aliases; one page of all (the tenancy suite, sharing this
    # Keycloak, onboards more centres than Keycloak's default page of 10)
    orgs = admin.get("/organizations", params={"first": 0, "max": 1000}).json()
    org = next(o for o in orgs if o["alias"] == alias)
    joined = admin.post(f"/organizations/{org['id']}/members", json=user_id)
    assert joined.status_code == 201, joined.text


def test_a_user_of_no_organization_is_refused(keycloak_server, kc_verifier):
    with keycloak_server.admin() as admin:
        _new_user(admin, "orphan", "volunteer")
    token = keycloak_server.password_token("orphan")
    with pytest.raises(AuthError) as refused:
        kc_verifier().verify(token)
    assert refused.value.reason == "no_tenant"


def test_a_user_of_two_organizations_is_refused(keycloak_server, kc_verifier):
    """The tenant must be unambiguous: a member of tk and ndi gets no principal at all."""
    with keycloak_server.admin() as admin:
        user_id = _new_user(admin, "twofold", "lawyer")
        _join(admin, "tk", user_id)
        _join(admin, "ndi", user_id)
    token = keycloak_server.password_token("twofold")
    with pytest.raises(AuthError) as refused:
        kc_verifier().verify(token)
    assert refused.value.reason == "no_tenant"


def test_the_imported_user_profile_keeps_office_admin_editable(keycloak_server):
    """`office` scopes what a user sees: declared (or Keycloak drops it), edited by admins only."""
    with keycloak_server.admin() as admin:
        profile = admin.get("/users/profile").json()
    office = next(a for a in profile["attributes"] if a["name"] == "office")
    assert office["permissions"]["edit"] == ["admin"]
    assert profile.get("unmanagedAttributePolicy") in (None, "DISABLED")


def test_a_token_with_a_changed_tenant_fails_the_signature(keycloak_server, kc_verifier):
    """Keycloak's signature covers the claims: dana cannot turn her token into one for tk."""
    header, payload, signature = keycloak_server.password_token("dana").split(".")
    claims = jwt.decode(f"{header}.{payload}.{signature}", options={"verify_signature": False})
    claims["organization"] = ["tk"]
    forged = jwt.utils.base64url_encode(json.dumps(claims).encode()).decode()
    with pytest.raises(AuthError) as refused:
        kc_verifier().verify(f"{header}.{forged}.{signature}")
    assert refused.value.reason == "bad_signature"


def test_the_verifier_uses_keycloaks_published_signing_key(keycloak_server, kc_verifier):
    token = keycloak_server.password_token("kazbek")
    verifier = kc_verifier()
    verifier.verify(token)
    assert jwt.get_unverified_header(token)["kid"] in verifier.known_kids


def test_a_development_issuer_token_is_refused_by_the_production_verifier(
    keycloak_server, kc_verifier
):
    """Even with Keycloak's issuer and the right claims, a dev-issuer key is never trusted."""
    dev = DevIssuer(DevKey.generate(), keycloak_server.issuer)
    with pytest.raises(AuthError) as refused:
        kc_verifier().verify(dev.token_for("vera"))
    assert refused.value.reason == "dev_key_refused"
