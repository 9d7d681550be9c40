"""The OpenAPI page (`/docs`) of every service, served from the platform itself, with Authorize.

FastAPI's defaults load Swagger UI's script and style from a CDN, so the page is blank
offline (a mobile clinic, a closed network) and tells a third party who reads the API docs.
The assets come from the PyPI package `swagger-ui-py` (pinned in constraints.txt), which
ships Swagger UI 5: the package `swagger-ui-bundle` still ships Swagger UI 4, which cannot
render the OpenAPI 3.1 documents FastAPI writes. Only its static files are used.

The documents declare an HTTP bearer scheme on every operation that needs a token (through
`alac_kernel.auth.fastapi.BEARER`), so Swagger UI shows "Authorize" and sends the token
pasted there (e.g. `alac token vera`).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

DOCS_URL = "/docs"
ASSETS_URL = "/docs/assets"
# The only files the page needs; the package also carries Swagger Editor, not served.
ASSETS = ("swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png")


def swagger_ui_dir() -> Path:
    folder = Path(str(resources.files("swagger_ui") / "static"))
    missing = [name for name in ASSETS if not (folder / name).is_file()]
    if missing:  # a broken install must not give a blank page that looks like a network fault
        raise RuntimeError(f"swagger-ui-py is installed without {', '.join(missing)}")
    return folder


class _OnlyAssets(StaticFiles):
    """StaticFiles limited to ASSETS: the rest of the package's folder stays private."""

    def lookup_path(self, path: str):  # type: ignore[no-untyped-def]
        if path not in ASSETS:
            return "", None
        return super().lookup_path(path)


def install_api_docs(app: FastAPI) -> None:
    """`/docs` with local assets. The app must be created with
    `docs_url=None, redoc_url=None` (ReDoc's page also loads from a CDN, so it is not offered)."""
    app.mount(ASSETS_URL, _OnlyAssets(directory=swagger_ui_dir()), name="swagger-ui-assets")

    @app.get(DOCS_URL, include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} – API",
            swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_URL}/favicon-32x32.png",
            # No OAuth2 redirect page: the scheme is a pasted bearer token, kept in the page's
            # memory only (not persisted to the browser's storage).
            oauth2_redirect_url=None,
        )
