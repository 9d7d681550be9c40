"""The web front end's client in the deployed realm (`alac-web`: public, authorization code
flow with PKCE S256) on the session's real Keycloak: the flow the staff console runs, with a
loopback redirect on any port (what `alac up --port-base N` needs), and what it refuses."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import secrets
from urllib.parse import parse_qs, urlsplit

import httpx

from alac_cli.engines.base import free_port


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(64)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _sign_in(browser: httpx.Client, page: httpx.Response, username: str) -> httpx.Response:
    """Keycloak's login with organizations enabled asks the username first, then the password
    (identity-first); post each form as a browser would."""
    # Keycloak marks its login cookies Secure (SameSite=None); a browser sends them to a
    # loopback address over http, httpx's jar does not: carry them by hand.
    jar: dict[str, str] = {}
    for _ in range(3):
        assert page.status_code == 200, _said(page.text)
        for header in page.headers.get_list("set-cookie"):
            name, _, value = header.split(";", 1)[0].partition("=")
            jar[name.strip()] = value
        action = html.unescape(re.search(r'<form[^>]+action="([^"]+)"', page.text).group(1))
        form = {"username": username}
        if 'name="password"' in page.text:
            form["password"] = "demo" + username
        cookie = "; ".join(f"{k}={v}" for k, v in jar.items())
        page = browser.post(action, data=form, headers={"Cookie": cookie})
        if page.status_code == 302:
            return page
    raise AssertionError(f"no redirect after the sign-in: {_said(page.text)}")


def _said(page: str) -> str:
    """What Keycloak's page says (its error message), for an assertion's message."""
    found = re.search(r"(?s)<main[^>]*>(.*?)</main>", page)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(1) if found else page))[:500]


def _authorize(keycloak_server, redirect_uri: str, challenge: str, **extra: str) -> httpx.Response:  # type: ignore[no-untyped-def]
    params = {
        "client_id": "alac-web", "redirect_uri": redirect_uri, "response_type": "code",
        "scope": "openid", "state": "s1", "code_challenge": challenge,
        "code_challenge_method": "S256", **extra,
    }  # fmt: skip
    return httpx.get(f"{keycloak_server.issuer}/protocol/openid-connect/auth", params=params,
                     timeout=30)  # fmt: skip


def test_the_web_client_signs_in_with_pkce_on_any_loopback_port(keycloak_server, kc_verifier):
    redirect_uri = f"http://127.0.0.1:{free_port()}/staff/callback"
    verifier, challenge = _pkce()
    with httpx.Client(timeout=30) as browser:  # keeps Keycloak's session cookies
        page = browser.get(
            f"{keycloak_server.issuer}/protocol/openid-connect/auth",
            params={"client_id": "alac-web", "redirect_uri": redirect_uri, "response_type": "code",
                    "scope": "openid", "state": "s1", "code_challenge": challenge,
                    "code_challenge_method": "S256", "ui_locales": "ru"},
        )  # fmt: skip
        assert page.status_code == 200, page.text[:500]
        assert 'name="username"' in page.text, _said(page.text)
        done = _sign_in(browser, page, "lena")
        back = urlsplit(done.headers["location"])
        assert f"{back.scheme}://{back.netloc}{back.path}" == redirect_uri
        query = parse_qs(back.query)
        assert query["state"] == ["s1"]
        token_form = {"grant_type": "authorization_code", "code": query["code"][0],
                      "client_id": "alac-web", "redirect_uri": redirect_uri}  # fmt: skip
        # without the verifier the code is worthless (PKCE)
        stolen = browser.post(keycloak_server.token_url, data=token_form)
        assert stolen.status_code == 400
    # a code is single use: a fresh flow for the redeem with the verifier
    with httpx.Client(timeout=30) as browser:
        verifier, challenge = _pkce()
        page = browser.get(
            f"{keycloak_server.issuer}/protocol/openid-connect/auth",
            params={"client_id": "alac-web", "redirect_uri": redirect_uri, "response_type": "code",
                    "scope": "openid", "state": "s2", "code_challenge": challenge,
                    "code_challenge_method": "S256"},
        )  # fmt: skip
        done = _sign_in(browser, page, "lena")
        code = parse_qs(urlsplit(done.headers["location"]).query)["code"][0]
        tokens = browser.post(keycloak_server.token_url, data={
            "grant_type": "authorization_code", "code": code, "client_id": "alac-web",
            "redirect_uri": redirect_uri, "code_verifier": verifier,
        })  # fmt: skip
        assert tokens.status_code == 200, tokens.text
    principal = kc_verifier().verify(tokens.json()["access_token"])
    assert principal.username == "lena" and principal.tenant == "tk"
    assert "lawyer" in principal.roles and principal.office == "almaty"


def test_the_web_client_refuses_a_foreign_redirect_and_a_plain_challenge(keycloak_server):
    _, challenge = _pkce()
    foreign = _authorize(keycloak_server, "http://evil.example/staff/callback", challenge)
    assert foreign.status_code == 400 or "redirect_uri" in foreign.text
    assert 'name="username"' not in foreign.text
    other_path = _authorize(keycloak_server, "http://127.0.0.1:8000/other", challenge)
    assert 'name="username"' not in other_path.text
    plain = _authorize(keycloak_server, "http://127.0.0.1:8000/staff/callback", "x" * 43,
                       code_challenge_method="plain")  # fmt: skip
    assert 'name="username"' not in plain.text  # the client requires S256


def test_the_web_clients_sign_out_ends_keycloaks_session(keycloak_server):
    """What /staff/logout does (OpenID Connect RP-initiated logout): the browser goes to the
    realm's end_session_endpoint with the ID token as hint and a loopback return address on
    any port; Keycloak ends the single sign-on session and sends it back without asking."""
    redirect_uri = f"http://127.0.0.1:{free_port()}/staff/callback"
    verifier, challenge = _pkce()
    with httpx.Client(timeout=30) as browser:
        page = browser.get(
            f"{keycloak_server.issuer}/protocol/openid-connect/auth",
            params={"client_id": "alac-web", "redirect_uri": redirect_uri, "response_type": "code",
                    "scope": "openid", "state": "s3", "code_challenge": challenge,
                    "code_challenge_method": "S256"},
        )  # fmt: skip
        done = _sign_in(browser, page, "kazbek")
        code = parse_qs(urlsplit(done.headers["location"]).query)["code"][0]
        tokens = browser.post(keycloak_server.token_url, data={
            "grant_type": "authorization_code", "code": code, "client_id": "alac-web",
            "redirect_uri": redirect_uri, "code_verifier": verifier,
        })  # fmt: skip
        assert tokens.status_code == 200, tokens.text
    id_token = tokens.json()["id_token"]
    end = httpx.get(f"{keycloak_server.issuer}/.well-known/openid-configuration").json()[
        "end_session_endpoint"
    ]
    with keycloak_server.admin() as admin:
        (user,) = admin.get("/users", params={"username": "kazbek", "exact": "true"}).json()
        sid = json.loads(base64.urlsafe_b64decode(id_token.split(".")[1] + "=="))["sid"]

        def sessions() -> set[str]:
            return {x["id"] for x in admin.get(f"/users/{user['id']}/sessions").json()}

        assert sid in sessions()
        signed_out = f"http://127.0.0.1:{free_port()}/staff/signed-out"
        refused = httpx.get(end, params={"id_token_hint": id_token, "client_id": "alac-web",
                                         "post_logout_redirect_uri": "http://evil.example/x"},
                            timeout=30)  # fmt: skip
        assert refused.status_code == 400 or "evil.example" not in refused.headers.get(
            "location", ""
        )
        answer = httpx.get(end, params={"id_token_hint": id_token, "client_id": "alac-web",
                                        "post_logout_redirect_uri": signed_out},
                           timeout=30)  # fmt: skip
        assert answer.status_code == 302, _said(answer.text)
        assert answer.headers["location"] == signed_out
        assert sid not in sessions()  # the single sign-on session of this sign-in is over


def test_the_openapi_pages_client_signs_in_and_redeems_from_the_page(keycloak_server, kc_verifier):
    """`alac-docs` (Authorize on a service's /docs, alac_kernel.apidocs): the code flow with
    PKCE to `/docs/oauth2-redirect` on a loopback port, and the code redeemed as the page does
    it, from the service's origin: Keycloak answers the CORS preflight and the POST for that
    origin (the client's web origins `*`: Keycloak's `+`
    takes the redirect URIs' origins, without the loopback port, and refuses the POST), and for no other."""
    port = free_port()
    origin, redirect_uri = (
        f"http://127.0.0.1:{port}",
        f"http://127.0.0.1:{port}/docs/oauth2-redirect",
    )
    verifier, challenge = _pkce()
    with httpx.Client(timeout=30) as browser:
        page = browser.get(
            f"{keycloak_server.issuer}/protocol/openid-connect/auth",
            params={"client_id": "alac-docs", "redirect_uri": redirect_uri, "response_type": "code",
                    "scope": "openid", "state": "d1", "code_challenge": challenge,
                    "code_challenge_method": "S256"},
        )  # fmt: skip
        assert 'name="username"' in page.text, _said(page.text)
        done = _sign_in(browser, page, "lena")
        back = urlsplit(done.headers["location"])
        assert f"{back.scheme}://{back.netloc}{back.path}" == redirect_uri
        code = parse_qs(back.query)["code"][0]
        preflight = browser.options(keycloak_server.token_url, headers={
            "Origin": origin, "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,x-requested-with",
        })  # fmt: skip
        assert preflight.headers.get("access-control-allow-origin") == origin, preflight.headers
        tokens = browser.post(keycloak_server.token_url, headers={"Origin": origin}, data={
            "grant_type": "authorization_code", "code": code, "client_id": "alac-docs",
            "redirect_uri": redirect_uri, "code_verifier": verifier,
        })  # fmt: skip
        assert tokens.status_code == 200, tokens.text
        assert tokens.headers.get("access-control-allow-origin") == origin
    principal = kc_verifier().verify(tokens.json()["access_token"])
    assert principal.username == "lena" and principal.client_id == "alac-docs"
    assert "lawyer" in principal.roles
    _, challenge = _pkce()
    foreign = _authorize(keycloak_server, "http://evil.example/docs/oauth2-redirect", challenge,
                         client_id="alac-docs")  # fmt: skip
    assert 'name="username"' not in foreign.text
