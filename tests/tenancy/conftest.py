"""The onboarding and staff suites run on both identity providers: the development issuer of
the embedded mode (served on a loopback port, since python-keycloak needs a socket) and a real
Keycloak 26 (the session's `keycloak_server`). The four services run in process, trusting
the provider's tokens; the cases service administers the provider with python-keycloak.

One thing is done by the test itself, on both providers: what an invited person does in the
browser on first sign-in (choose a password, verify the e-mail), done through the admin API
(`Provider.accept_invitation`), since no mail server runs here to deliver the link.
"""

from __future__ import annotations

import contextlib
import importlib.util
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from keycloak import KeycloakAdmin, KeycloakOpenIDConnection
from keycloak.exceptions import KeycloakError

from alac_kernel.auth.dev_issuer import DEV_ADMIN_CLIENT, DEV_ADMIN_SECRET
from alac_kernel.auth.verifier import TokenVerifier
from alac_kernel.identity import IdentityAdmin, IdentitySettings
from alac_kernel.settings import DEV_REALM
from alac_kernel.testing.serve import serve_app

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).parent))  # tenancy_helpers (pytest runs in importlib mode)


def _root_conftest():  # type: ignore[no-untyped-def]
    name = "alac_root_conftest_for_tenancy"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, ROOT / "conftest.py")
        module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
        sys.modules[name] = module
        spec.loader.exec_module(module)  # type: ignore[union-attr]
    return sys.modules[name]


@dataclass
class Provider:
    """An identity provider as the tests use it: sign in, and accept an invitation."""

    name: str
    token_url: str
    admin_settings: IdentitySettings
    platform_admin: tuple[str, str]  # username, password

    def password_grant(self, username: str, password: str) -> httpx.Response:
        return httpx.post(
            self.token_url,
            data={
                "grant_type": "password",
                "client_id": "alac-cli",
                "username": username,
                "password": password,
                "scope": "openid",
            },
            timeout=30,
        )

    def token(self, username: str, password: str) -> str:
        response = self.password_grant(username, password)
        assert response.status_code == 200, response.text
        return response.json()["access_token"]

    def _admin(self) -> KeycloakAdmin:
        s = self.admin_settings
        return KeycloakAdmin(
            connection=KeycloakOpenIDConnection(
                server_url=s.server_url, realm_name=s.realm, client_id=s.client_id,
                client_secret_key=s.client_secret,
            )
        )  # fmt: skip

    def accept_invitation(self, username: str, password: str) -> None:
        """What the invited person does on the provider's pages: set a password, verify the
        e-mail (Keycloak's required actions UPDATE_PASSWORD and VERIFY_EMAIL)."""
        admin = self._admin()
        user_id = admin.get_user_id(username)
        assert user_id, f"{username} was not invited"
        assert set(admin.get_user(user_id)["requiredActions"]) >= {"UPDATE_PASSWORD"}
        admin.set_user_password(user_id, password, temporary=False)
        admin.update_user(user_id, {"requiredActions": [], "emailVerified": True})

    def role_groups(self, tenant: str) -> dict[str, list[str]] | None:
        """The tenant's role groups as the admin API shows them: name -> the `alac-api`
        client roles mapped to the group (None when the tenant has no group)."""
        admin = self._admin()
        try:
            parent = admin.get_group_by_path(f"/{tenant}")
        except KeycloakError as exc:
            if exc.response_code == 404:
                return None
            raise
        client = admin.get_client_id("alac-api")
        return {
            g["name"]: sorted(r["name"] for r in admin.get_group_client_roles(g["id"], client))
            for g in admin.get_group_children(parent["id"])
        }

    def groups_of(self, username: str) -> list[str]:
        """The paths of the groups `username` is a member of."""
        admin = self._admin()
        return sorted(g["path"] for g in admin.get_user_groups(admin.get_user_id(username)))

    def direct_roles(self, username: str) -> list[str]:
        """The `alac-api` roles mapped to the user directly (not through a group)."""
        admin = self._admin()
        client = admin.get_client_id("alac-api")
        held = admin.get_client_roles_of_user(admin.get_user_id(username), client)
        return sorted(r["name"] for r in held)

    def delete_users(self, usernames: list[str]) -> None:
        admin = self._admin()
        for username in usernames:
            user_id = admin.get_user_id(username)
            if user_id:
                admin.delete_user(user_id)


@dataclass
class World:
    platform: Any  # the root conftest's Platform
    provider: Provider
    suffix: str  # keeps tenants and usernames of tests on the shared Keycloak apart

    def bearer(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    def platform_admin(self) -> dict[str, str]:
        return self.bearer(self.provider.token(*self.provider.platform_admin))


# Both run the four services in one process (`build_platform`), so both are `platform` tests
# (not in the fast tier), as the root conftest marks the tests of its own platform fixtures.
@pytest.fixture(
    params=[
        pytest.param("embedded", marks=pytest.mark.platform),
        pytest.param("keycloak", marks=[pytest.mark.keycloak, pytest.mark.platform]),
    ]
)
def provider_name(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def world(provider_name: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[World]:
    build = _root_conftest().build_platform
    suffix = uuid.uuid4().hex[:6]
    if provider_name == "embedded":
        with build("sqlite", tmp_path) as platform, serve_app(platform.issuer.app) as base:
            provider = Provider(
                "embedded",
                f"{base}/realms/{DEV_REALM}/protocol/openid-connect/token",
                IdentitySettings(base, DEV_REALM, DEV_ADMIN_CLIENT, DEV_ADMIN_SECRET),
                ("pavel", "demopavel"),
            )
            platform.runtime("cases").identity = IdentityAdmin(provider.admin_settings)
            yield World(platform, provider, suffix)
        return
    keycloak_server = request.getfixturevalue("keycloak_server")

    def verifier() -> TokenVerifier:
        return TokenVerifier(
            issuer=keycloak_server.issuer,
            audience="alac-api",
            client_id="alac-api",
            jwks_url=keycloak_server.jwks_url,
            refuse_dev_keys=True,
        )

    provider = Provider(
        "keycloak",
        keycloak_server.token_url,
        IdentitySettings.from_issuer(keycloak_server.issuer, DEV_ADMIN_CLIENT, DEV_ADMIN_SECRET),
        ("pavel", "demopavel"),
    )
    with build("sqlite", tmp_path, verifier_factory=verifier) as platform:
        platform.runtime("cases").identity = IdentityAdmin(provider.admin_settings)
        yield World(platform, provider, suffix)


@pytest.fixture
def unreachable_identity() -> Callable[[], IdentityAdmin]:
    """An admin client pointed at a loopback port nothing listens on."""

    def make() -> IdentityAdmin:
        with contextlib.closing(__import__("socket").socket()) as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        return IdentityAdmin(
            IdentitySettings(f"http://127.0.0.1:{port}", DEV_REALM, DEV_ADMIN_CLIENT, "x")
        )

    return make
