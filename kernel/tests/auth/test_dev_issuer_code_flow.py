"""The development issuer's authorization code flow with PKCE (the web front end's sign-in):
the sign-in form, the redirect with the code, the code grant and everything it refuses."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from alac_kernel.auth.verifier import TokenVerifier

REDIRECT = "http://127.0.0.1:8000/staff/callback"


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def authorize(issuer, challenge: str, **override: str) -> httpx.Response:  # type: ignore[no-untyped-def]
    form = {
        "client_id": "alac-web",
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "state": "st-123",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "username": "lena",
        "password": "demolena",
        **override,
    }
    return httpx.post(f"{issuer.issuer}/protocol/openid-connect/auth", data=form)


def code_of(response: httpx.Response) -> str:
    assert response.status_code == 303, response.text
    location = urlsplit(response.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    query = parse_qs(location.query)
    assert query["state"] == ["st-123"]
    return query["code"][0]


def redeem(issuer, code: str, verifier: str, **override: str) -> httpx.Response:  # type: ignore[no-untyped-def]
    return httpx.post(
        issuer.token_url,
        data={
            "grant_type": "authorization_code",
            "code": code,
            "client_id": "alac-web",
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
            **override,
        },
    )


def test_sign_in_form_then_code_then_token_for_the_user(issuer) -> None:
    verifier, challenge = pkce()
    page = httpx.get(
        f"{issuer.issuer}/protocol/openid-connect/auth",
        params={
            "client_id": "alac-web",
            "redirect_uri": REDIRECT,
            "response_type": "code",
            "state": "st-123",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        },
    )
    assert page.status_code == 200
    assert '<label for="username">' in page.text and f'value="{challenge}"' in page.text
    response = redeem(issuer, code_of(authorize(issuer, challenge)), verifier)
    assert response.status_code == 200, response.text
    token = response.json()["access_token"]
    claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    assert claims["preferred_username"] == "lena" and claims["azp"] == "alac-web"
    verifier_ = TokenVerifier(
        issuer=issuer.issuer, audience="alac-api", client_id="alac-api", jwks_url=issuer.jwks_url
    )
    principal = verifier_.verify(token)
    assert "lawyer" in principal.roles and principal.tenant == "tk"


def test_a_code_works_once_and_only_with_its_verifier_client_and_redirect(issuer) -> None:
    verifier, challenge = pkce()
    code = code_of(authorize(issuer, challenge))
    wrong = redeem(issuer, code, pkce()[0])
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    # a failed attempt burns the code: a stolen code cannot be retried with guesses
    assert redeem(issuer, code, verifier).status_code == 400
    for override in ({"client_id": "alac-cli"}, {"redirect_uri": REDIRECT + "x"}):
        code = code_of(authorize(issuer, challenge))
        refused = redeem(issuer, code, verifier, **override)
        assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"
    code = code_of(authorize(issuer, challenge))
    assert redeem(issuer, code, verifier).status_code == 200
    assert redeem(issuer, code, verifier).status_code == 400


def test_wrong_password_asks_again_without_redirecting(issuer) -> None:
    response = authorize(issuer, pkce()[1], password="nope")
    assert response.status_code == 401
    assert "location" not in response.headers
    assert 'role="alert"' in response.text


@pytest.mark.parametrize(
    "override",
    [
        {"redirect_uri": "https://evil.example/cb"},  # never redirect off loopback
        {"client_id": "partner-ndi"},  # a confidential client cannot use this flow
        {"client_id": "nobody"},
    ],
)
def test_a_bad_client_or_redirect_is_refused_without_redirect(issuer, override) -> None:
    response = authorize(issuer, pkce()[1], **override)
    assert response.status_code == 400 and "location" not in response.headers
    query = {"client_id": "alac-web", "redirect_uri": REDIRECT, **override}
    page = httpx.get(f"{issuer.issuer}/protocol/openid-connect/auth", params=query)
    assert page.status_code == 400


def test_pkce_is_required(issuer) -> None:
    for override in ({"code_challenge": ""}, {"code_challenge_method": "plain"}):
        response = authorize(issuer, pkce()[1], **override)
        assert response.status_code == 303
        assert parse_qs(urlsplit(response.headers["location"]).query)["error"] == [
            "invalid_request"
        ]


DOCS_REDIRECT = "http://127.0.0.1:8102/docs/oauth2-redirect"


def test_the_openapi_pages_client_signs_in_and_may_redeem_from_the_page(issuer) -> None:
    """`alac-docs` (Authorize on a service's /docs): the code flow with PKCE; the page redeems
    the code from the service's origin, so the issuer answers the CORS preflight and the POST
    for a loopback origin, and for no other."""
    verifier, challenge = pkce()
    signed_in = authorize(issuer, challenge, client_id="alac-docs", redirect_uri=DOCS_REDIRECT)
    assert signed_in.status_code == 303, signed_in.text
    code = parse_qs(urlsplit(signed_in.headers["location"]).query)["code"][0]
    origin = "http://127.0.0.1:8102"
    preflight = httpx.options(
        issuer.token_url,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,x-requested-with",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == origin
    answer = httpx.post(
        issuer.token_url,
        data={"grant_type": "authorization_code", "code": code, "client_id": "alac-docs",
              "redirect_uri": DOCS_REDIRECT, "code_verifier": verifier},
        headers={"Origin": origin},
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    assert answer.headers["access-control-allow-origin"] == origin
    principal = TokenVerifier(
        issuer=issuer.issuer, audience="alac-api", client_id="alac-api", jwks_url=issuer.jwks_url
    ).verify(answer.json()["access_token"])
    assert principal.client_id == "alac-docs" and "lawyer" in principal.roles
    elsewhere = httpx.options(
        issuer.token_url,
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in elsewhere.headers


@pytest.mark.parametrize(
    ("ui_locales", "lang", "label"),
    [("kk", "kk", "Пайдаланушы аты"), ("ru-RU en", "ru", "Имя пользователя"),
     ("de en", "en", "Username"), (None, "en", "Username")],
)  # fmt: skip
def test_the_sign_in_page_speaks_the_asked_language(issuer, ui_locales, lang, label) -> None:
    query = {"client_id": "alac-web", "redirect_uri": REDIRECT, "response_type": "code",
             "state": "st-123", "code_challenge": pkce()[1], "code_challenge_method": "S256"}  # fmt: skip
    if ui_locales:
        query["ui_locales"] = ui_locales
    page = httpx.get(f"{issuer.issuer}/protocol/openid-connect/auth", params=query)
    assert page.status_code == 200
    assert f'<html lang="{lang}">' in page.text and f'<label for="username">{label}' in page.text
    # a wrong password is announced in the same language (the language goes with the form)
    again = authorize(issuer, query["code_challenge"], password="nope", **(
        {"ui_locales": ui_locales} if ui_locales else {}))  # fmt: skip
    assert again.status_code == 401 and f'<html lang="{lang}">' in again.text
    assert 'role="alert"' in again.text


def test_a_repeated_parameter_is_refused(issuer) -> None:
    """RFC 6749 3.1: request parameters must not be included more than once."""
    query = [("client_id", "alac-web"), ("redirect_uri", REDIRECT), ("response_type", "code"),
             ("code_challenge", pkce()[1]), ("code_challenge_method", "S256"),
             ("state", "a"), ("state", "b")]  # fmt: skip
    page = httpx.get(f"{issuer.issuer}/protocol/openid-connect/auth", params=query)
    assert page.status_code == 400 and "location" not in page.headers
    assert "Multiple" in page.text
