"""The development issuer: Keycloak-shaped endpoints, claims, grants and key persistence."""

from __future__ import annotations

import base64
import json
import stat
import threading
import time
import uuid

import httpx
import pytest

from alac_kernel.auth.dev_issuer import DEMO_USERS, KEY_FILE, DevKey, create_dev_issuer_app
from alac_kernel.auth.verifier import TokenVerifier


def payload_of(token: str) -> dict:
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def header_of(token: str) -> dict:
    part = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def test_discovery_and_jwks_under_realm_path(issuer):
    discovery = httpx.get(f"{issuer.issuer}/.well-known/openid-configuration").json()
    assert discovery["issuer"] == issuer.issuer
    assert discovery["jwks_uri"] == issuer.jwks_url
    assert discovery["token_endpoint"] == issuer.token_url
    assert set(discovery["grant_types_supported"]) == {
        "password",
        "client_credentials",
        "authorization_code",
    }
    assert discovery["code_challenge_methods_supported"] == ["S256"]

    jwks = httpx.get(issuer.jwks_url).json()
    [key] = jwks["keys"]
    assert key["kty"] == "RSA" and key["alg"] == "RS256" and key["use"] == "sig"
    assert key["kid"] == issuer.dev.signing_key.kid
    assert key["kid"].startswith("alac-dev-")
    assert "d" not in key and "p" not in key  # no private parts published
    root = issuer.issuer.split("/realms/")[0]
    assert httpx.get(f"{root}/protocol/openid-connect/certs").status_code == 404


def test_password_grant_response_and_claims_like_keycloak(issuer):
    response = httpx.post(
        issuer.token_url,
        data={"grant_type": "password", "username": "vera", "password": "demovera"},
    )
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 900
    assert header_of(body["access_token"]) == {
        "alg": "RS256",
        "typ": "JWT",
        "kid": issuer.dev.signing_key.kid,
    }
    claims = payload_of(body["access_token"])
    assert claims["iss"] == issuer.issuer
    assert claims["aud"] == "alac-api"
    assert claims["azp"] == "alac-api"
    assert claims["typ"] == "Bearer"
    assert claims["preferred_username"] == "vera"
    assert claims["organization"] == ["tk"]
    assert claims["office"] == "almaty"
    assert claims["resource_access"] == {"alac-api": {"roles": ["volunteer"]}}
    assert "offline_access" in claims["realm_access"]["roles"]
    assert claims["exp"] - claims["iat"] == 900
    assert claims["nbf"] == claims["iat"]
    assert abs(claims["iat"] - time.time()) < 10
    uuid.UUID(claims["sub"])
    uuid.UUID(claims["jti"])

    again = payload_of(
        httpx.post(
            issuer.token_url,
            data={"grant_type": "password", "username": "vera", "password": "demovera"},
        ).json()["access_token"]
    )
    assert again["sub"] == claims["sub"]  # stable per user
    assert again["jti"] != claims["jti"]  # unique per token


def test_password_grant_with_public_client_id_sets_azp(issuer):
    response = httpx.post(
        issuer.token_url,
        data={
            "grant_type": "password",
            "client_id": "alac-cli",
            "username": "lena",
            "password": "demolena",
        },
    )
    assert response.status_code == 200
    claims = payload_of(response.json()["access_token"])
    assert claims["azp"] == "alac-cli"
    assert claims["resource_access"] == {"alac-api": {"roles": ["lawyer"]}}


def test_client_credentials_with_basic_auth(issuer):
    response = httpx.post(
        issuer.token_url,
        data={"grant_type": "client_credentials"},
        auth=("partner-ndi", "partner-ndi-secret"),
    )
    assert response.status_code == 200, response.text
    claims = payload_of(response.json()["access_token"])
    assert claims["azp"] == "partner-ndi"
    assert claims["organization"] == ["ndi"]
    assert claims["resource_access"]["alac-api"]["roles"] == ["partner"]
    assert "office" not in claims


@pytest.mark.parametrize(
    "form",
    [
        {"grant_type": "password", "username": "vera", "password": "wrong"},
        {"grant_type": "password", "username": "vera", "password": "demolena"},
        {"grant_type": "password", "username": "nobody", "password": "demonobody"},
        {"grant_type": "password", "username": "vera", "password": ""},
        {"grant_type": "password", "username": "vera"},
    ],
    ids=["wrong-password", "other-users-password", "unknown-user", "empty-password", "no-password"],
)
def test_bad_user_credentials_are_invalid_grant(issuer, form):
    response = httpx.post(issuer.token_url, data=form)
    assert response.status_code == 400  # as Keycloak answers (RFC 6749 5.2)
    assert response.json() == {
        "error": "invalid_grant",
        "error_description": "Invalid user credentials",
    }


@pytest.mark.parametrize(
    "form",
    [
        {"grant_type": "client_credentials", "client_id": "partner-ndi", "client_secret": "nope"},
        {"grant_type": "client_credentials", "client_id": "partner-x", "client_secret": "x"},
        {"grant_type": "client_credentials"},
    ],
    ids=["wrong-secret", "unknown-client", "no-client"],
)
def test_bad_client_credentials_are_invalid_client(issuer, form):
    response = httpx.post(issuer.token_url, data=form)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_unknown_client_for_password_grant(issuer):
    response = httpx.post(
        issuer.token_url,
        data={
            "grant_type": "password",
            "client_id": "evil",
            "username": "vera",
            "password": "demovera",
        },
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_unsupported_grant_and_wrong_content_type(issuer):
    # (authorization_code is supported since the web front end's sign-in: see
    # test_dev_issuer_code_flow.py; the device grant is not)
    device = "urn:ietf:params:oauth:grant-type:device_code"
    response = httpx.post(issuer.token_url, data={"grant_type": device})
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"
    response = httpx.post(issuer.token_url, data={})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    response = httpx.post(issuer.token_url, json={"grant_type": "password", "username": "vera"})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_key_persists_across_restarts(issuer_factory, tmp_path, login):
    key_dir = tmp_path / "keys"
    first = issuer_factory(key_dir)
    first_jwks = httpx.get(first.jwks_url).json()
    token = login(first, "kazbek")
    first.stop()

    key_file = key_dir / KEY_FILE
    assert key_file.exists()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert b"PRIVATE KEY" in key_file.read_bytes()

    second = issuer_factory(key_dir)
    assert second.issuer != first.issuer  # a new server on another port
    assert httpx.get(second.jwks_url).json() == first_jwks  # same kid, same key
    # a token issued before the restart still verifies against the restarted issuer's keys
    with httpx.Client() as http:
        verifier = TokenVerifier(first.issuer, "alac-api", "alac-api", second.jwks_url, http=http)
        assert verifier.verify(token).username == "kazbek"


def test_key_creation_race_yields_one_key(tmp_path):
    results: list[str] = []
    barrier = threading.Barrier(6)

    def create() -> None:
        barrier.wait()
        results.append(DevKey.load_or_create(tmp_path).kid)

    threads = [threading.Thread(target=create) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(results)) == 1
    assert DevKey.load_or_create(tmp_path).kid == results[0]
    assert [p.name for p in tmp_path.iterdir()] == [KEY_FILE]  # no temp files left


def test_kid_is_thumbprint_of_the_key(tmp_path):
    key = DevKey.generate()
    same = DevKey.from_pem(key.private_pem())
    assert same.kid == key.kid
    assert DevKey.generate().kid != key.kid


def test_refuses_production_profile(tmp_path):
    with pytest.raises(RuntimeError, match="production"):
        create_dev_issuer_app(
            tmp_path, "http://127.0.0.1:8090/realms/alac-dev", profile="production"
        )
    assert not (tmp_path / KEY_FILE).exists()  # refused before generating anything


def test_demo_users_are_as_documented():
    by_name = {u.username: u for u in DEMO_USERS}
    assert set(by_name) == {
        "vera",
        "lena",
        "kazbek",
        "tamara",
        "anuar",
        "askar",
        "laura",
        "nurlan",
        "dana",
        "nadia",
        "pavel",
    }
    assert by_name["pavel"].roles == ("platform-admin",)
    assert all(u.password == "demo" + u.username for u in DEMO_USERS)
    assert {u.tenant for u in DEMO_USERS} == {"tk", "ndi", "network"}


def test_a_refused_client_is_told_as_keycloak_tells_it(issuer):
    response = httpx.post(
        issuer.token_url,
        data={"grant_type": "client_credentials"},
        auth=("partner-ndi", "not-the-secret"),
    )
    assert response.status_code == 401
    assert response.json() == {
        "error": "invalid_client",
        "error_description": "Invalid client or Invalid client credentials",
    }


@pytest.mark.parametrize("raw", [b"\xff\xfe:secret", b"partner-ndi:\xff"], ids=["id", "secret"])
def test_basic_credentials_that_are_not_utf8_are_invalid_client_not_a_crash(issuer, raw):
    response = httpx.post(
        issuer.token_url,
        data={"grant_type": "client_credentials"},
        headers={"Authorization": "Basic " + base64.b64encode(raw).decode()},
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
