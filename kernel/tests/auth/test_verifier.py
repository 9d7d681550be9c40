"""TokenVerifier against the development issuer served over real HTTP."""

from __future__ import annotations

import threading
import time

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from alac_kernel.auth import roles as R
from alac_kernel.auth.dev_issuer import DevKey, mint_token
from alac_kernel.auth.principal import Principal
from alac_kernel.auth.verifier import AuthError, JwksUnavailable, TokenVerifier
from alac_kernel.settings import Settings


def reason_of(verifier: TokenVerifier, token: str) -> AuthError:
    with pytest.raises(AuthError) as info:
        verifier.verify(token)
    return info.value


def claims_for(issuer, username: str = "lena", **overrides):
    claims = issuer.dev.user_claims(issuer.dev.users[username])
    for name, value in overrides.items():
        if value is None:
            claims.pop(name, None)
        else:
            claims[name] = value
    return claims


# ---------------------------------------------------------------- valid tokens


def test_password_grant_token_gives_principal(issuer, make_verifier, login):
    token = login(issuer, "lena")
    principal = make_verifier().verify(token)
    assert isinstance(principal, Principal)
    assert principal.tenant == "tk"
    assert principal.office == "almaty"
    assert principal.username == "lena"
    assert R.LAWYER in principal.roles
    assert principal.has_any(R.LAWYER, R.COORDINATOR)
    assert not principal.has_any(R.VOLUNTEER, R.TENANT_ADMIN)
    assert principal.subject == issuer.dev.subject_of("lena")
    assert principal.client_id == "alac-api"
    assert principal.token_id


def test_client_credentials_token_is_partner_of_its_tenant(issuer, make_verifier):
    response = httpx.post(
        issuer.token_url,
        data={
            "grant_type": "client_credentials",
            "client_id": "partner-ndi",
            "client_secret": "partner-ndi-secret",
        },
    )
    assert response.status_code == 200, response.text
    principal = make_verifier().verify(response.json()["access_token"])
    assert principal.tenant == "ndi"
    assert principal.office is None
    assert principal.client_id == "partner-ndi"
    assert principal.username == "service-account-partner-ndi"
    assert principal.has_any(R.PARTNER)
    assert not principal.has_any(R.LAWYER, R.VOLUNTEER)


@pytest.mark.parametrize(
    ("username", "tenant", "office", "role"),
    [
        ("vera", "tk", "almaty", R.VOLUNTEER),
        ("lena", "tk", "almaty", R.LAWYER),
        ("kazbek", "tk", "almaty", R.COORDINATOR),
        ("tamara", "tk", "almaty", R.TENANT_ADMIN),
        ("anuar", "tk", "almaty", R.ANALYST),
        ("askar", "tk", "astana", R.VOLUNTEER),
        ("laura", "tk", "astana", R.LAWYER),
        ("nurlan", "ndi", "shymkent", R.VOLUNTEER),
        ("dana", "ndi", "shymkent", R.LAWYER),
        ("nadia", "network", None, R.NETWORK_ANALYST),
    ],
)
def test_every_demo_user_logs_in_with_documented_password(
    issuer, make_verifier, login, username, tenant, office, role
):
    principal = make_verifier().verify(login(issuer, username, f"demo{username}"))
    assert (principal.tenant, principal.office) == (tenant, office)
    assert role in principal.roles
    assert principal.roles & R.ALL_ROLES == {role}


# ---------------------------------------------------------------- time claims


def test_expired_token(issuer, make_verifier):
    now = int(time.time())
    token = mint_token(
        claims_for(issuer, iat=now - 1000, nbf=now - 1000, exp=now - 100), issuer.dev.signing_key
    )
    err = reason_of(make_verifier(leeway_s=30), token)
    assert err.reason == "expired"


def test_expiry_within_leeway_is_accepted(issuer, make_verifier):
    now = int(time.time())
    token = mint_token(
        claims_for(issuer, iat=now - 100, nbf=now - 100, exp=now - 10), issuer.dev.signing_key
    )
    assert make_verifier(leeway_s=30).verify(token).username == "lena"
    assert reason_of(make_verifier(leeway_s=0), token).reason == "expired"


def test_nbf_in_the_future(issuer, make_verifier):
    now = int(time.time())
    token = mint_token(claims_for(issuer, nbf=now + 300, exp=now + 900), issuer.dev.signing_key)
    err = reason_of(make_verifier(), token)
    assert err.reason == "not_yet_valid"
    assert "nbf" in err.detail


def test_iat_in_the_future(issuer, make_verifier):
    now = int(time.time())
    token = mint_token(claims_for(issuer, iat=now + 300, exp=now + 900), issuer.dev.signing_key)
    assert reason_of(make_verifier(), token).reason == "not_yet_valid"


def test_missing_exp_is_malformed(issuer, make_verifier):
    token = mint_token(claims_for(issuer, exp=None), issuer.dev.signing_key)
    err = reason_of(make_verifier(), token)
    assert err.reason == "malformed"
    assert "exp" in err.detail


# ---------------------------------------------------------------- issuer and audience


def test_wrong_audience(issuer, make_verifier):
    token = mint_token(claims_for(issuer, aud="another-api"), issuer.dev.signing_key)
    assert reason_of(make_verifier(), token).reason == "wrong_audience"


def test_missing_audience(issuer, make_verifier):
    token = mint_token(claims_for(issuer, aud=None), issuer.dev.signing_key)
    assert reason_of(make_verifier(), token).reason == "wrong_audience"


def test_audience_list_containing_ours_is_accepted(issuer, make_verifier):
    token = mint_token(claims_for(issuer, aud=["account", "alac-api"]), issuer.dev.signing_key)
    assert make_verifier().verify(token).tenant == "tk"
    token = mint_token(claims_for(issuer, aud=["account", "broker"]), issuer.dev.signing_key)
    assert reason_of(make_verifier(), token).reason == "wrong_audience"


@pytest.mark.parametrize(
    "iss_suffix",
    ["/", "-evil", "/../alac-prod"],
    ids=["trailing-slash", "prefix-match", "path-trick"],
)
def test_wrong_issuer_must_match_exactly(issuer, make_verifier, iss_suffix):
    token = mint_token(claims_for(issuer, iss=issuer.issuer + iss_suffix), issuer.dev.signing_key)
    assert reason_of(make_verifier(), token).reason == "wrong_issuer"


def test_other_realm_issuer(issuer, make_verifier):
    other = issuer.issuer.replace("/realms/alac-dev", "/realms/other")
    token = mint_token(claims_for(issuer, iss=other), issuer.dev.signing_key)
    assert reason_of(make_verifier(), token).reason == "wrong_issuer"


# ---------------------------------------------------------------- signatures and algorithms


def test_forged_with_other_key_same_kid(issuer, make_verifier):
    forger = DevKey.generate(kid=issuer.dev.signing_key.kid)
    token = mint_token(claims_for(issuer), forger)
    assert forger.kid == issuer.dev.signing_key.kid
    assert reason_of(make_verifier(), token).reason == "bad_signature"


def test_tampered_payload_is_bad_signature(issuer, make_verifier, login):
    header, _payload, signature = login(issuer, "vera").split(".")
    forged_payload = mint_token(claims_for(issuer, "tamara"), issuer.dev.signing_key).split(".")[1]
    err = reason_of(make_verifier(), f"{header}.{forged_payload}.{signature}")
    assert err.reason == "bad_signature"


def test_alg_none_is_refused(issuer, make_verifier):
    token = mint_token(claims_for(issuer), None, kid=issuer.dev.signing_key.kid, algorithm="none")
    assert token.endswith(".")
    err = reason_of(make_verifier(), token)
    assert err.reason == "algorithm"


def test_hs256_signed_with_public_key_is_refused(issuer, make_verifier):
    public_pem = issuer.dev.signing_key.public_pem()
    token = mint_token(
        claims_for(issuer), public_pem, kid=issuer.dev.signing_key.kid, algorithm="HS256"
    )
    err = reason_of(make_verifier(), token)
    assert err.reason == "algorithm"
    # also with the JWK's own bytes (another classic variant)
    der = issuer.dev.signing_key.private_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    token = mint_token(claims_for(issuer), der, kid=issuer.dev.signing_key.kid, algorithm="HS256")
    assert reason_of(make_verifier(), token).reason == "algorithm"


def test_other_rsa_algorithm_is_refused(issuer, make_verifier):
    token = mint_token(claims_for(issuer), issuer.dev.signing_key, algorithm="RS512")
    assert reason_of(make_verifier(), token).reason == "algorithm"


@pytest.mark.parametrize("token", ["", "abc", "a.b.c", "eyJhbGciOiJSUzI1NiJ9.e30", "x" * 20000])
def test_malformed_tokens(make_verifier, token):
    assert reason_of(make_verifier(), token).reason == "malformed"


def test_refused_algorithms_and_malformed_tokens_do_not_fetch_keys(issuer, make_verifier):
    verifier = make_verifier()
    for token in ("garbage", mint_token(claims_for(issuer), None, algorithm="none")):
        with pytest.raises(AuthError):
            verifier.verify(token)
    assert issuer.jwks_hits == 0


def test_id_token_is_not_an_access_token(issuer, make_verifier):
    token = mint_token(claims_for(issuer, typ="ID"), issuer.dev.signing_key)
    err = reason_of(make_verifier(), token)
    assert err.reason == "malformed"
    assert "ID" in err.detail


# ---------------------------------------------------------------- key cache and rotation


def test_keys_are_cached_by_kid(issuer, make_verifier, login):
    verifier = make_verifier()
    for username in ("vera", "lena", "kazbek"):
        verifier.verify(login(issuer, username))
    assert issuer.jwks_hits == 1
    assert verifier.known_kids == {issuer.dev.signing_key.kid}


def test_unknown_kid_refreshes_once_and_picks_up_rotation(issuer, make_verifier, login, clock):
    verifier = make_verifier(min_refresh_s=10)
    old_token = login(issuer, "vera")
    old_kid = issuer.dev.signing_key.kid
    verifier.verify(old_token)
    assert issuer.jwks_hits == 1

    clock.advance(11)
    new_key = issuer.dev.rotate()
    new_token = login(issuer, "vera")
    assert jwt.get_unverified_header(new_token)["kid"] == new_key.kid  # signed with the new key
    assert new_key.kid != old_kid
    principal = verifier.verify(new_token)
    assert principal.username == "vera"
    assert issuer.jwks_hits == 2  # exactly one refresh for the new kid
    assert verifier.known_kids == {old_kid, new_key.kid}

    # both keys are cached now: no more fetches
    verifier.verify(old_token)
    verifier.verify(login(issuer, "lena"))
    assert issuer.jwks_hits == 2


def test_retired_key_disappears_after_refresh(issuer, make_verifier, login, clock):
    verifier = make_verifier(min_refresh_s=10)
    old_token = login(issuer, "vera")
    old_kid = issuer.dev.signing_key.kid
    verifier.verify(old_token)
    issuer.dev.rotate()
    issuer.dev.retire(old_kid)
    clock.advance(11)
    verifier.verify(login(issuer, "vera"))  # new kid: refresh replaces the whole key set
    assert old_kid not in verifier.known_kids
    clock.advance(11)
    assert reason_of(verifier, old_token).reason == "unknown_key"


def test_flood_of_unknown_kids_fetches_at_most_once_per_interval(issuer, make_verifier, clock):
    verifier = make_verifier(min_refresh_s=10)
    claims = claims_for(issuer)
    for i in range(50):
        token = mint_token(claims, issuer.dev.signing_key, kid=f"garbage-{i}")
        err = reason_of(verifier, token)
        assert err.reason == "unknown_key"
        clock.advance(0.1)  # 5 seconds in total: still inside the interval
    assert issuer.jwks_hits == 1

    clock.advance(6)  # past min_refresh_s since the last fetch
    for i in range(20):
        reason_of(verifier, mint_token(claims, issuer.dev.signing_key, kid=f"more-garbage-{i}"))
    assert issuer.jwks_hits == 2

    # the genuine key is still served from the cache during the flood
    assert verifier.verify(mint_token(claims, issuer.dev.signing_key)).tenant == "tk"
    assert issuer.jwks_hits == 2


def test_concurrent_flood_fetches_once(issuer, make_verifier):
    verifier = make_verifier(min_refresh_s=10)
    claims = claims_for(issuer)
    tokens = [mint_token(claims, issuer.dev.signing_key, kid=f"burst-{i}") for i in range(32)]
    tokens += [mint_token(claims, issuer.dev.signing_key)] * 8
    barrier = threading.Barrier(len(tokens))
    outcomes: list[str] = []
    lock = threading.Lock()

    def worker(token: str) -> None:
        barrier.wait()
        try:
            verifier.verify(token)
            outcome = "ok"
        except AuthError as exc:
            outcome = exc.reason
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=worker, args=(t,)) for t in tokens]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert sorted(outcomes) == ["ok"] * 8 + ["unknown_key"] * 32
    assert issuer.jwks_hits == 1


def test_jwks_unreachable(issuer, make_verifier):
    verifier = make_verifier(jwks_url=issuer.jwks_url.replace("/certs", "/nope"))
    with pytest.raises(JwksUnavailable) as info:
        verifier.verify(mint_token(claims_for(issuer), issuer.dev.signing_key))
    assert info.value.reason == "jwks_unavailable"


# ---------------------------------------------------------------- organization and roles


def test_organization_list_form(issuer, make_verifier):
    token = mint_token(claims_for(issuer, organization=["tk-almaty"]), issuer.dev.signing_key)
    assert make_verifier().verify(token).tenant == "tk-almaty"


def test_organization_map_form(issuer, make_verifier):
    org = {"tk-almaty": {"id": "4b1e0c4e-3f5a-4c1e-9a55-8f0d1b1f6a10"}}
    token = mint_token(claims_for(issuer, organization=org), issuer.dev.signing_key)
    assert make_verifier().verify(token).tenant == "tk-almaty"


@pytest.mark.parametrize(
    ("organization", "why"),
    [
        (None, "no 'organization' claim"),
        ([], "no organization"),
        ({}, "no organization"),
        (["tk", "ndi"], "2 organizations"),
        ({"tk": {"id": "1"}, "ndi": {"id": "2"}}, "2 organizations"),
        ("tk", "neither a list nor a map"),
        ([""], "empty"),
    ],
    ids=["missing", "empty-list", "empty-map", "two-list", "two-map", "string", "blank"],
)
def test_no_single_organization_is_no_tenant(issuer, make_verifier, organization, why):
    claims = claims_for(issuer)
    if organization is None:
        del claims["organization"]
    else:
        claims["organization"] = organization
    err = reason_of(make_verifier(), mint_token(claims, issuer.dev.signing_key))
    assert err.reason == "no_tenant"
    assert why in err.detail


def test_realm_and_client_roles_are_merged(issuer, make_verifier):
    claims = claims_for(
        issuer,
        realm_access={"roles": ["analyst", "offline_access"]},
        resource_access={
            "alac-api": {"roles": ["lawyer", "coordinator"]},
            "other-client": {"roles": ["platform-admin"]},
        },
    )
    principal = make_verifier().verify(mint_token(claims, issuer.dev.signing_key))
    assert principal.roles == {"analyst", "offline_access", "lawyer", "coordinator"}
    assert not principal.has_any(R.PLATFORM_ADMIN)


def test_roles_of_the_configured_client(issuer, make_verifier):
    claims = claims_for(
        issuer, realm_access=None, resource_access={"alac-web": {"roles": ["lawyer"]}}
    )
    token = mint_token(claims, issuer.dev.signing_key)
    assert make_verifier().verify(token).roles == frozenset()
    assert make_verifier(client_id="alac-web").verify(token).roles == {"lawyer"}


# ---------------------------------------------------------------- production profile


def test_refuse_dev_keys(issuer, make_verifier, login):
    token = login(issuer, "lena")
    assert issuer.dev.signing_key.kid.startswith("alac-dev-")
    err = reason_of(make_verifier(refuse_dev_keys=True), token)
    assert err.reason == "dev_key_refused"
    assert issuer.jwks_hits == 0  # refused before any key lookup
    assert make_verifier(refuse_dev_keys=False).verify(token).username == "lena"


def test_refuse_dev_keys_accepts_other_keys(issuer, make_verifier, login):
    issuer.dev.rotate(DevKey.generate(kid="kc-rsa-generated-1"))
    token = login(issuer, "dana")
    assert make_verifier(refuse_dev_keys=True).verify(token).tenant == "ndi"


def test_from_settings_production_refuses_dev_keys():
    settings = Settings(
        profile="production",
        auth_issuer="https://id.example.org/realms/alac",
        database_url="postgresql+psycopg://alac@db/alac",
        bus_backend="kafka",
    )
    verifier = TokenVerifier.from_settings(settings)
    try:
        assert verifier.refuse_dev_keys
        assert (
            verifier.jwks_url == "https://id.example.org/realms/alac/protocol/openid-connect/certs"
        )
        assert verifier.issuer == "https://id.example.org/realms/alac"
    finally:
        verifier.close()
    embedded = TokenVerifier.from_settings(Settings(profile="embedded"))
    try:
        assert not embedded.refuse_dev_keys
        assert embedded.min_refresh_s == 10.0
    finally:
        embedded.close()
