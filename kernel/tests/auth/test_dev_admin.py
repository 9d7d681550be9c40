"""The development issuer's copy of Keycloak's admin API answers only its admin client: no
token is 401, a staff member's token (even a tenant admin's) is 403, a forged one 401."""

from __future__ import annotations

from alac_kernel.auth.dev_issuer import DEV_ADMIN_CLIENT, DEV_ADMIN_SECRET, DevKey, mint_token
from alac_kernel.testing.harness import InProcessIssuer

USERS = "/admin/realms/alac-dev/users"


def admin_token(issuer: InProcessIssuer) -> str:
    response = issuer.client.post(
        "/realms/alac-dev/protocol/openid-connect/token",
        data={"grant_type": "client_credentials"},
        auth=(DEV_ADMIN_CLIENT, DEV_ADMIN_SECRET),
    )
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def test_only_the_admin_client_administers_the_directory(tmp_path):
    issuer = InProcessIssuer(tmp_path)
    assert issuer.client.get(USERS).status_code == 401
    tamara = {"Authorization": f"Bearer {issuer.token('tamara')}"}
    assert issuer.client.get(USERS, headers=tamara).status_code == 403
    forged = mint_token(issuer.dev.admin_claims(), DevKey.generate())
    assert (
        issuer.client.get(USERS, headers={"Authorization": f"Bearer {forged}"}).status_code == 401
    )
    wrong = issuer.client.post(
        "/realms/alac-dev/protocol/openid-connect/token",
        data={"grant_type": "client_credentials"},
        auth=(DEV_ADMIN_CLIENT, "guess"),
    )
    assert wrong.status_code == 401
    admin = {"Authorization": f"Bearer {admin_token(issuer)}"}
    listed = issuer.client.get(USERS, params={"username": "lena", "exact": "true"}, headers=admin)
    assert listed.status_code == 200
    assert [u["username"] for u in listed.json()] == ["lena"]
    assert "password" not in listed.json()[0]


def test_invited_users_persist_across_a_restart_and_sign_in_by_keycloaks_rules(tmp_path):
    issuer = InProcessIssuer(tmp_path)
    admin = {"Authorization": f"Bearer {admin_token(issuer)}"}
    made = issuer.client.post(
        USERS,
        json={"username": "zhanna", "email": "z@tk.example.org", "enabled": True,
              "requiredActions": ["UPDATE_PASSWORD"], "attributes": {"office": ["almaty"]}},
        headers=admin,
    )  # fmt: skip
    assert made.status_code == 201
    user_id = made.headers["Location"].rsplit("/", 1)[1]
    org = issuer.dev.directory.organization_by_alias("tk")
    assert (
        issuer.client.post(
            f"/admin/realms/alac-dev/organizations/{org['id']}/members",
            content=user_id,
            headers=admin,
        ).status_code
        == 201
    )
    again = InProcessIssuer(tmp_path)  # the same key folder: the directory is kept
    assert again.dev.directory.user_rep(user_id)["username"] == "zhanna"
    token_url = "/realms/alac-dev/protocol/openid-connect/token"
    form = {"grant_type": "password", "client_id": "alac-cli", "username": "zhanna"}
    admin = {"Authorization": f"Bearer {admin_token(again)}"}
    reset = again.client.put(
        f"{USERS}/{user_id}/reset-password",
        json={"type": "password", "value": "Zhanna-1", "temporary": True},
        headers=admin,
    )
    assert reset.status_code == 204
    # a temporary password is a required action left: no token yet, as on Keycloak
    assert again.client.post(token_url, data={**form, "password": "Zhanna-1"}).status_code == 400
    assert (
        again.client.put(
            f"{USERS}/{user_id}", json={"requiredActions": []}, headers=admin
        ).status_code
        == 204
    )
    granted = again.client.post(token_url, data={**form, "password": "Zhanna-1"})
    assert granted.status_code == 200, granted.text
    again.dev.directory.update_organization(org["id"], {"enabled": False})
    assert again.client.post(token_url, data={**form, "password": "Zhanna-1"}).status_code == 400
