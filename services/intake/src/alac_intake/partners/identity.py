"""Partner systems at the identity provider: one OAuth client with client credentials, its
service account holding the `partner` role and a member of the tenant's organization (so its
tokens carry the tenant in the `organization` claim, as every user's do).

Two implementations behind one interface:

- `KeycloakPartnerClients` (production profile): Keycloak's admin API through the kernel's
  IdentityAdmin (python-keycloak, settings ALAC_IDENTITY_ADMIN_*). Rotation uses Keycloak's client secret rotation policy (executor `secret-rotation`): the
  previous secret stays valid as the "rotated secret" for the grace period.
- `DevIssuerPartnerClients` (embedded mode): the development issuer's admin interface
  (`/admin/realms/<realm>/partner-clients`, alac_kernel.auth.dev_clients), authorised by the
  calling tenant admin's own token.

Failures of the provider raise `IdentityUnavailable` (answered 503 with Retry-After).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar

import httpx

from alac_kernel import identity
from alac_kernel.identity import IdentityAdmin
from alac_kernel.settings import Settings

T = TypeVar("T")


class IdentityUnavailable(RuntimeError):
    """The identity provider could not be reached or refused the operation."""


class ClientIdTaken(ValueError):
    pass


@dataclass(frozen=True)
class IssuedSecret:
    client_id: str
    secret: str


class PartnerClients(Protocol):
    grace_s: int

    def create(self, *, client_id: str, tenant: str, name: str, caller_token: str) -> str: ...

    def rotate(self, *, client_id: str, caller_token: str) -> str: ...

    def delete(self, *, client_id: str, caller_token: str) -> None: ...


class DevIssuerPartnerClients:
    def __init__(self, issuer: str, grace_s: int, http: httpx.Client | None = None) -> None:
        base, _, realm = issuer.rstrip("/").rpartition("/realms/")
        self.url = f"{base}/admin/realms/{realm}/partner-clients"
        self.grace_s = grace_s
        self.http = http or httpx.Client(timeout=10.0)

    def _call(
        self, method: str, url: str, token: str, body: dict | None = None, gone_ok: bool = False
    ) -> dict:
        try:
            r = self.http.request(
                method, url, json=body, headers={"Authorization": f"Bearer {token}"}
            )
        except httpx.HTTPError as exc:
            raise IdentityUnavailable(f"development issuer unreachable: {exc}") from exc
        if r.status_code == 409:
            raise ClientIdTaken("client_id taken")
        if gone_ok and r.status_code == 404:
            return {}
        if r.status_code >= 300:
            raise IdentityUnavailable(f"development issuer answered {r.status_code}: {r.text}")
        return r.json() if r.content else {}

    def create(self, *, client_id: str, tenant: str, name: str, caller_token: str) -> str:
        body = {"client_id": client_id, "tenant": tenant, "name": name}
        return self._call("POST", self.url, caller_token, body)["secret"]

    def rotate(self, *, client_id: str, caller_token: str) -> str:
        body = {"grace_seconds": self.grace_s}
        return self._call("POST", f"{self.url}/{client_id}/rotate", caller_token, body)["secret"]

    def delete(self, *, client_id: str, caller_token: str) -> None:
        # A client already gone (a second revocation) is done, as with Keycloak below; not
        # "the identity provider refused" (503).
        self._call("DELETE", f"{self.url}/{client_id}", caller_token, gone_ok=True)


class KeycloakPartnerClients:
    """Through the platform's one identity administration (alac_kernel.identity.IdentityAdmin,
    python-keycloak, the confidential client `alac-admin` of the ALAC_IDENTITY_ADMIN_*
    settings, which needs realm-management's manage-clients, manage-users and manage-realm)."""

    def __init__(self, admin: IdentityAdmin, grace_s: int) -> None:
        self.admin = admin
        self.grace_s = grace_s

    def _guard(self, action: Callable[[], T]) -> T:
        try:
            return action()
        except identity.IdentityRefused as exc:
            if exc.status == 409:
                raise ClientIdTaken("client_id taken") from exc
            raise IdentityUnavailable(f"Keycloak refused: {exc}") from exc
        except identity.IdentityUnavailable as exc:
            raise IdentityUnavailable(str(exc)) from exc

    def create(self, *, client_id: str, tenant: str, name: str, caller_token: str) -> str:
        return self._guard(
            lambda: self.admin.create_partner_client(
                tenant, client_id=client_id, name=name, grace_s=self.grace_s
            )
        )

    def rotate(self, *, client_id: str, caller_token: str) -> str:
        return self._guard(lambda: self.admin.rotate_client_secret(client_id, grace_s=self.grace_s))

    def delete(self, *, client_id: str, caller_token: str) -> None:
        self._guard(lambda: self.admin.delete_client(client_id))


def partner_clients_from_settings(settings: Settings) -> PartnerClients:
    """The production profile: Keycloak through the platform's identity administration
    (ALAC_IDENTITY_ADMIN_*, the same settings as the tenant registry's). The embedded mode:
    the development issuer's partner-client interface."""
    grace = int(os.environ.get("ALAC_PARTNER_SECRET_GRACE_S", "86400"))
    if settings.profile == "production":
        return KeycloakPartnerClients(IdentityAdmin.from_settings(settings), grace)
    return DevIssuerPartnerClients(settings.auth_issuer, grace)
