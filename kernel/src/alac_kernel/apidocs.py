"""The OpenAPI page (`/docs`) of every service, served from the platform itself, with Authorize.

FastAPI's defaults load Swagger UI's script and style from a CDN, so the page is blank
offline (a mobile clinic, a closed network) and tells a third party who reads the API docs.
The assets come from the PyPI package `swagger-ui-py` (pinned in constraints.txt), which
ships Swagger UI 5: the package `swagger-ui-bundle` still ships Swagger UI 4, which cannot
render the OpenAPI 3.1 documents FastAPI writes. Only its static files are used.

The documents declare two alternative schemes on every operation that needs a token: an
HTTP bearer scheme (through `alac_kernel.auth.fastapi.BEARER`: a token pasted into
"Authorize", e.g. `alac token vera`) and, when the service knows its issuer, an OAuth2
authorization-code scheme (`oidc`) with the issuer's authorize and token endpoints: "Authorize"
then signs in on Keycloak or the development issuer as the public client `alac-docs` with PKCE
(S256), and the issuer sends the browser back to `/docs/oauth2-redirect` (FastAPI's page, inline,
nothing from another host). The token lives in the page's memory only.

The `oauth2` type with explicit endpoints rather than `openIdConnect`: Swagger UI would then
fetch the discovery document from the issuer's origin first, one more cross-origin request to
allow; the endpoint paths are the same on Keycloak and the development issuer.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

DOCS_URL = "/docs"
ASSETS_URL = "/docs/assets"
# The only files the page needs; the package also carries Swagger Editor, not served.
ASSETS = ("swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png")
OAUTH2_REDIRECT_URL = "/docs/oauth2-redirect"
# The public client of the OpenAPI pages (Keycloak realm and development issuer alike).
DOCS_CLIENT_ID = "alac-docs"
OIDC_SCHEME = "oidc"
BEARER_SCHEME = "bearer"  # alac_kernel.auth.fastapi.BEARER's scheme_name


def swagger_ui_dir() -> Path:
    folder = Path(str(resources.files("swagger_ui") / "static"))
    missing = [name for name in ASSETS if not (folder / name).is_file()]
    if missing:  # a broken install must not give a blank page that looks like a network fault
        raise RuntimeError(f"swagger-ui-py is installed without {', '.join(missing)}")
    return folder


class _OnlyAssets(StaticFiles):
    """StaticFiles limited to ASSETS: the rest of the package's folder stays private."""

    def lookup_path(self, path: str) -> tuple[str, os.stat_result | None]:
        if path not in ASSETS:
            return "", None
        return super().lookup_path(path)


def oauth2_scheme(issuer: str) -> dict[str, Any]:
    """The OpenAPI security scheme for signing in on `issuer` (a Keycloak realm's URL, or the
    development issuer's, which has the same endpoint paths)."""
    oidc = f"{issuer.rstrip('/')}/protocol/openid-connect"
    return {
        "type": "oauth2",
        "description": (
            f"Sign in on the platform's issuer ({issuer}) as the public client "
            f"`{DOCS_CLIENT_ID}` (authorization code with PKCE). Leave client_secret empty."
        ),
        "flows": {
            "authorizationCode": {
                "authorizationUrl": f"{oidc}/auth",
                "tokenUrl": f"{oidc}/token",
                "scopes": {"openid": "OpenID Connect sign-in"},
            }
        },
    }


def with_oauth2_alternative(document: dict[str, Any], issuer: str) -> dict[str, Any]:
    """`document` with the `oidc` scheme added, and offered on every operation that accepts the
    bearer scheme as an alternative to it (a list of requirements is a choice)."""
    components = document.setdefault("components", {})
    components.setdefault("securitySchemes", {})[OIDC_SCHEME] = oauth2_scheme(issuer)
    for path_item in document.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict):
                continue
            security = operation.get("security")
            if security and any(BEARER_SCHEME in req for req in security):
                if not any(OIDC_SCHEME in req for req in security):
                    security.append({OIDC_SCHEME: ["openid"]})
    return document


def install_api_docs(app: FastAPI, issuer: str | None = None) -> None:
    """`/docs` with local assets. The app must be created with
    `docs_url=None, redoc_url=None` (ReDoc's page also loads from a CDN, so it is not offered).
    With `issuer`, the document also declares the OAuth2 scheme and "Authorize" signs in there."""
    app.mount(ASSETS_URL, _OnlyAssets(directory=swagger_ui_dir()), name="swagger-ui-assets")
    if issuer:
        plain_openapi = app.openapi

        def openapi() -> dict[str, Any]:
            if app.openapi_schema is None:  # FastAPI caches the document on the app
                app.openapi_schema = with_oauth2_alternative(plain_openapi(), issuer)
            return app.openapi_schema

        app.openapi = openapi  # type: ignore[method-assign]

        @app.get(OAUTH2_REDIRECT_URL, include_in_schema=False)
        def oauth2_redirect() -> HTMLResponse:
            return get_swagger_ui_oauth2_redirect_html()

    @app.get(DOCS_URL, include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} – API",
            swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_URL}/favicon-32x32.png",
            oauth2_redirect_url=OAUTH2_REDIRECT_URL if issuer else None,
            # A public client: no secret; PKCE (S256) instead. Tokens stay in the page's
            # memory (Swagger UI's persistAuthorization is off by default).
            init_oauth={
                "clientId": DOCS_CLIENT_ID,
                "usePkceWithAuthorizationCodeGrant": True,
                "scopes": "openid",
            }
            if issuer
            else None,
        )
