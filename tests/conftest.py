"""Fixtures shared by the cross-service tests: a real Keycloak (the `keycloak` engine, realm
`alac` with the demo overlay) for the session, used by tests/keycloak and tests/tenancy.

Started once through the engine's `run()`; when Keycloak was not fetched or Java 25 is
missing the tests fail with one line naming what is missing and the command that fetches it
(they never skip: a green run must mean the tokens were really checked).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from alac_cli.engines import keycloak
from alac_cli.engines.base import EngineMissing


@dataclass(frozen=True)
class RunningKeycloak:
    issuer: str
    jwks_url: str
    data: Path

    @property
    def token_url(self) -> str:
        return f"{self.issuer}/protocol/openid-connect/token"

    @property
    def base_url(self) -> str:
        return self.issuer.split("/realms/")[0]

    def password_token(self, username: str, password: str | None = None, **form: str) -> str:
        response = self.password_grant(username, password, **form)
        assert response.status_code == 200, response.text
        return response.json()["access_token"]

    def password_grant(
        self, username: str, password: str | None = None, **form: str
    ) -> httpx.Response:
        data = {
            "grant_type": "password",
            "client_id": "alac-cli",
            "username": username,
            "password": password if password is not None else f"demo{username}",
            **form,
        }
        return httpx.post(self.token_url, data=data, timeout=30)

    def client_token(self, client_id: str, secret: str) -> str:
        response = httpx.post(
            self.token_url,
            data={"grant_type": "client_credentials"},
            auth=(client_id, secret),
            timeout=30,
        )
        assert response.status_code == 200, response.text
        return response.json()["access_token"]

    def admin(self) -> httpx.Client:
        """An admin REST client (master realm's bootstrap admin of this instance)."""
        response = httpx.post(
            f"{self.base_url}/realms/master/protocol/openid-connect/token",
            data={
                "grant_type": "password",
                "client_id": "admin-cli",
                "username": "admin",
                "password": keycloak.admin_password(self.data),
            },
            timeout=30,
        )
        assert response.status_code == 200, response.text
        token = response.json()["access_token"]
        return httpx.Client(
            base_url=f"{self.base_url}/admin/realms/{keycloak.REALM}",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )


@pytest.fixture(scope="session")
def keycloak_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningKeycloak]:
    data = tmp_path_factory.mktemp("keycloak-data")
    try:
        context = keycloak.run(data)
        endpoint = context.__enter__()
    except EngineMissing as exc:
        pytest.fail(f"Keycloak engine missing: {exc}", pytrace=False)
    try:
        yield RunningKeycloak(
            endpoint.settings["ALAC_AUTH_ISSUER"], endpoint.settings["ALAC_AUTH_JWKS_URL"], data
        )
    finally:
        context.__exit__(None, None, None)
