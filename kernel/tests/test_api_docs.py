"""Every service's OpenAPI page works offline (Swagger UI's assets come from the service
itself) and its document declares the bearer scheme on the operations that need a token, so
Swagger UI offers "Authorize". The browser check (no request to another host) is in
web/tests/test_browser.py."""

from __future__ import annotations

import re

import pytest

from alac_kernel.apidocs import ASSETS_URL, DOCS_CLIENT_ID, OAUTH2_REDIRECT_URL, OIDC_SCHEME

BEARER = "bearer"

SERVICES = ("intake", "cases", "analytics", "search")


@pytest.mark.parametrize("service", SERVICES)
def test_the_docs_page_loads_its_assets_from_the_service_itself(sqlite_platform, service) -> None:
    client = sqlite_platform.clients[service]
    page = client.get("/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    urls = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page.text) + re.findall(
        r"url: ?['\"]([^'\"]+)['\"]", page.text
    )
    assert urls, "the page names its assets"
    assert all(u.startswith("/") and not u.startswith("//") for u in urls), urls
    for name, kind in (
        ("swagger-ui-bundle.js", "javascript"), ("swagger-ui.css", "text/css"),
        ("favicon-32x32.png", "image/png"),
    ):  # fmt: skip
        assert f"{ASSETS_URL}/{name}" in page.text
        asset = client.get(f"{ASSETS_URL}/{name}")
        assert asset.status_code == 200 and kind in asset.headers["content-type"], name
    # Swagger UI 5 (the 4.x of swagger-ui-bundle cannot render OpenAPI 3.1 documents)
    bundle = client.get(f"{ASSETS_URL}/swagger-ui-bundle.js").text
    assert re.search(r'"5\.\d+\.\d+"', bundle)
    assert client.get("/openapi.json").json()["openapi"].startswith("3.1")
    # Only the page's own files are served from the package folder; ReDoc (CDN) is not offered.
    assert client.get(f"{ASSETS_URL}/swagger-editor-bundle.js").status_code == 404
    assert client.get(f"{ASSETS_URL}/../core.py").status_code == 404
    assert client.get("/redoc").status_code == 404


@pytest.mark.parametrize("service", SERVICES)
def test_the_openapi_document_declares_the_bearer_scheme(sqlite_platform, service) -> None:
    document = sqlite_platform.clients[service].get("/openapi.json").json()
    assert document["components"]["securitySchemes"][BEARER] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": document["components"]["securitySchemes"][BEARER]["description"],
    }
    secured = {
        (method, path)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if operation.get("security") == [{BEARER: []}, {OIDC_SCHEME: ["openid"]}]
    }
    assert secured, "operations that need a token say so"
    # Public operations declare nothing: they take no token.
    public = {("get", "/healthz"), ("get", "/readyz")}
    if service == "intake":
        public |= {
            ("post", "/v1/public/complaints"), ("get", "/v1/follow-up/status"),
            ("post", "/v1/follow-up/consent"), ("get", "/v1/reference/{list_name}"),
        }  # fmt: skip
        assert ("post", "/v1/complaints") in secured
    if service == "cases":
        assert ("get", "/v1/cases") in secured
    documented = {(m, p) for p, ops in document["paths"].items() for m in ops}
    assert public <= documented - secured, public - (documented - secured)


@pytest.mark.parametrize("service", SERVICES)
def test_authorize_signs_in_on_the_issuer_with_the_code_flow_and_pkce(
    sqlite_platform, service
) -> None:
    """The `oidc` scheme points at the service's own issuer; the page sets up the public
    client with PKCE and the redirect page is served by the service (no other host)."""
    client = sqlite_platform.clients[service]
    issuer = client.app.state.runtime.settings.auth_issuer
    document = client.get("/openapi.json").json()
    scheme = document["components"]["securitySchemes"][OIDC_SCHEME]
    assert scheme["type"] == "oauth2"
    flow = scheme["flows"]["authorizationCode"]
    assert flow["authorizationUrl"] == f"{issuer}/protocol/openid-connect/auth"
    assert flow["tokenUrl"] == f"{issuer}/protocol/openid-connect/token"
    assert "openid" in flow["scopes"]
    page = client.get("/docs").text
    assert f'"clientId": "{DOCS_CLIENT_ID}"' in page
    assert '"usePkceWithAuthorizationCodeGrant": true' in page
    assert OAUTH2_REDIRECT_URL in page
    redirect = client.get(OAUTH2_REDIRECT_URL)
    assert redirect.status_code == 200 and "swaggerUIRedirectOauth2" in redirect.text
    assert not re.search(r"""(?:src|href)=["'](?:https?:)?//""", redirect.text)
