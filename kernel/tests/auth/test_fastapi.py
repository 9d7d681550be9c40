"""The FastAPI dependency: a tiny protected app, tokens from the real dev issuer."""

from __future__ import annotations

import time
from typing import Annotated

import pytest
from fastapi import Depends, FastAPI, Request
from fastapi.testclient import TestClient

from alac_kernel.auth import roles as R
from alac_kernel.auth.dev_issuer import mint_token
from alac_kernel.auth.fastapi import CurrentPrincipal, install_auth, require_roles
from alac_kernel.auth.principal import Principal
from alac_kernel.auth.verifier import TokenVerifier
from alac_kernel.problems import PROBLEM_JSON, install_problem_handlers


def build_app(verifier: TokenVerifier) -> tuple[FastAPI, list]:
    app = FastAPI()
    install_problem_handlers(app)
    install_auth(app, verifier)
    seen_by_middleware: list = []

    @app.middleware("http")
    async def record_principal(request: Request, call_next):
        response = await call_next(request)
        seen_by_middleware.append(getattr(request.state, "principal", None))
        return response

    @app.get("/me")
    def me(principal: CurrentPrincipal) -> dict:
        return {
            "tenant": principal.tenant,
            "office": principal.office,
            "username": principal.username,
            "roles": sorted(principal.roles),
        }

    @app.post("/letters")
    def write_letter(
        principal: Annotated[Principal, Depends(require_roles(R.LAWYER))],
    ) -> dict:
        return {"by": principal.username}

    @app.get("/reports", dependencies=[Depends(require_roles(R.COORDINATOR, R.ANALYST))])
    def reports() -> dict:
        return {"ok": True}

    return app, seen_by_middleware


@pytest.fixture
def api(make_verifier):
    app, seen = build_app(make_verifier())
    with TestClient(app) as client:
        client.seen = seen
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_missing_token_is_401_problem_with_bearer_challenge(api):
    response = api.get("/me")
    assert response.status_code == 401
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.headers["www-authenticate"] == "Bearer"
    body = response.json()
    assert body["status"] == 401
    assert body["title"] == "Unauthorized"
    assert "Bearer" in body["detail"]


def test_other_scheme_is_401_with_bearer_challenge(api):
    response = api.get("/me", headers={"Authorization": "Basic dmVyYTpkZW1vdmVyYQ=="})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


def test_empty_bearer_is_invalid_request(api):
    response = api.get("/me", headers={"Authorization": "Bearer "})
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith('Bearer error="invalid_request"')


def test_valid_token_reaches_the_route_and_request_state(api, issuer, login):
    response = api.get("/me", headers=bearer(login(issuer, "laura")))
    assert response.status_code == 200, response.text
    assert response.json() == {
        "tenant": "tk",
        "office": "astana",
        "username": "laura",
        "roles": sorted(
            ["lawyer", "default-roles-alac-dev", "offline_access", "uma_authorization"]
        ),
    }
    [seen] = api.seen
    assert isinstance(seen, Principal)
    assert seen.username == "laura"


def test_expired_token_is_401_naming_the_reason(api, issuer):
    now = int(time.time())
    claims = issuer.dev.user_claims(issuer.dev.users["lena"])
    claims.update(iat=now - 2000, nbf=now - 2000, exp=now - 1000)
    response = api.get("/me", headers=bearer(mint_token(claims, issuer.dev.signing_key)))
    assert response.status_code == 401
    assert response.headers["content-type"] == PROBLEM_JSON
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith('Bearer error="invalid_token", error_description="expired')
    assert challenge.count('"') == 4  # the description is a clean quoted-string
    body = response.json()
    assert body["reason"] == "expired"
    assert "expired" in body["detail"]


def test_forged_token_is_401_bad_signature(api, issuer):
    from alac_kernel.auth.dev_issuer import DevKey

    claims = issuer.dev.user_claims(issuer.dev.users["tamara"])
    forged = mint_token(claims, DevKey.generate(kid=issuer.dev.signing_key.kid))
    response = api.get("/me", headers=bearer(forged))
    assert response.status_code == 401
    assert response.json()["reason"] == "bad_signature"
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


def test_wrong_role_is_403_naming_the_role(api, issuer, login):
    response = api.post("/letters", headers=bearer(login(issuer, "vera")))
    assert response.status_code == 403
    assert response.headers["content-type"] == PROBLEM_JSON
    body = response.json()
    assert body["status"] == 403
    assert "lawyer" in body["detail"]
    assert body["required_roles"] == ["lawyer"]


def test_right_role_passes(api, issuer, login):
    response = api.post("/letters", headers=bearer(login(issuer, "dana")))
    assert response.status_code == 200
    assert response.json() == {"by": "dana"}


def test_any_of_several_roles(api, issuer, login):
    assert api.get("/reports", headers=bearer(login(issuer, "kazbek"))).status_code == 200
    assert api.get("/reports", headers=bearer(login(issuer, "anuar"))).status_code == 200
    response = api.get("/reports", headers=bearer(login(issuer, "lena")))
    assert response.status_code == 403
    assert response.json()["required_roles"] == ["coordinator", "analyst"]
    assert "coordinator, analyst" in response.json()["detail"]


def test_role_check_needs_a_token_first(api):
    response = api.post("/letters")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


def test_issuer_unreachable_is_503(make_verifier, issuer, login):
    token = login(issuer, "vera")
    app, _ = build_app(make_verifier(jwks_url=issuer.jwks_url.replace("/certs", "/missing")))
    with TestClient(app) as client:
        response = client.get("/me", headers=bearer(token))
    assert response.status_code == 503
    assert response.json()["reason"] == "jwks_unavailable"
    assert response.headers["retry-after"] == "5"


def test_require_roles_rejects_unknown_role_names():
    with pytest.raises(ValueError, match="lawyr"):
        require_roles("lawyr")
    with pytest.raises(ValueError):
        require_roles()
