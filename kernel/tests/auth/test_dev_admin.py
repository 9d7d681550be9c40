"""The development issuer's copy of Keycloak's admin API answers only its admin client: no
token is 401, a staff member's token (even a tenant admin's) is 403, a forged one 401."""

from __future__ import annotations

import jwt

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


def test_role_groups_give_their_roles_to_members_and_persist_as_on_keycloak(tmp_path):
    """Groups as Keycloak serves them: made at the top and as children (409 for a sibling of
    the same name), found by path (404 when missing), their client roles in a member's
    effective roles and token, kept across a restart, deleted with their children."""
    import json

    from alac_kernel.auth.dev_directory import DIRECTORY_FILE

    issuer = InProcessIssuer(tmp_path)
    admin = {"Authorization": f"Bearer {admin_token(issuer)}"}
    base = "/admin/realms/alac-dev"
    made = issuer.client.post(f"{base}/groups", json={"name": "tk"}, headers=admin)
    assert made.status_code == 201, made.text
    parent = made.headers["Location"].rsplit("/", 1)[1]
    child = issuer.client.post(
        f"{base}/groups/{parent}/children", json={"name": "analysts"}, headers=admin
    )
    assert child.status_code == 201, child.text
    group = child.headers["Location"].rsplit("/", 1)[1]
    assert child.headers["Location"].endswith(f"/groups/{group}")
    twice = issuer.client.post(
        f"{base}/groups/{parent}/children", json={"name": "analysts"}, headers=admin
    )
    assert twice.status_code == 409
    assert issuer.client.get(f"{base}/group-by-path/tk/nobody", headers=admin).status_code == 404
    found = issuer.client.get(f"{base}/group-by-path/tk/analysts", headers=admin).json()
    assert (found["id"], found["path"], found["parentId"]) == (group, "/tk/analysts", parent)
    client = issuer.dev.directory.client_uuid
    role = issuer.client.get(f"{base}/clients/{client}/roles/analyst", headers=admin).json()
    mapped = issuer.client.post(
        f"{base}/groups/{group}/role-mappings/clients/{client}", json=[role], headers=admin
    )
    assert mapped.status_code == 204
    lena = issuer.dev.subject_of("lena")  # a lawyer of tk, mapped directly
    assert (
        issuer.client.put(f"{base}/users/{lena}/groups/{group}", headers=admin).status_code == 204
    )
    effective = issuer.client.get(
        f"{base}/users/{lena}/role-mappings/clients/{client}/composite", headers=admin
    ).json()
    assert sorted(r["name"] for r in effective) == ["analyst", "lawyer"]
    direct = issuer.client.get(
        f"{base}/users/{lena}/role-mappings/clients/{client}", headers=admin
    ).json()
    assert [r["name"] for r in direct] == ["lawyer"]

    again = InProcessIssuer(tmp_path)  # the same key folder: groups and memberships kept
    claims = jwt.decode(again.token("lena"), options={"verify_signature": False})
    assert sorted(claims["resource_access"]["alac-api"]["roles"]) == ["analyst", "lawyer"]
    admin = {"Authorization": f"Bearer {admin_token(again)}"}
    groups = again.client.get(f"{base}/users/{lena}/groups", headers=admin).json()
    assert [g["path"] for g in groups] == ["/tk/analysts"]
    assert again.client.delete(f"{base}/groups/{parent}", headers=admin).status_code == 204
    assert again.client.get(f"{base}/groups/{group}", headers=admin).status_code == 404
    assert again.client.get(f"{base}/users/{lena}/groups", headers=admin).json() == []

    # a directory written before groups existed is read as one without any
    path = tmp_path / DIRECTORY_FILE
    data = json.loads(path.read_text())
    data.pop("groups")
    for user in data["users"].values():
        user.pop("groups")
    path.write_text(json.dumps(data))
    older = InProcessIssuer(tmp_path)
    assert older.dev.directory.groups == {}
    assert jwt.decode(older.token("lena"), options={"verify_signature": False})["resource_access"][
        "alac-api"
    ]["roles"] == ["lawyer"]
