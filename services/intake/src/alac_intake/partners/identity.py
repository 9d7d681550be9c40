"""Partner systems at the identity provider: one OAuth client with client credentials, its
service account holding the `partner` role and a member of the tenant's organization (so its
tokens carry the tenant in the `organization` claim, as every user's do).

Two implementations behind one interface:

- `KeycloakPartnerClients` (production profile): Keycloak's admin API through python-keycloak.
  Rotation uses Keycloak's client secret rotation policy (executor `secret-rotation`): the
  previous secret stays valid as the "rotated secret" for the grace period.
- `DevIssuerPartnerClients` (embedded mode): the development issuer's admin interface
  (`/admin/realms/<realm>/partner-clients`, alac_kernel.auth.dev_clients), authorised by the
  calling tenant admin's own token.

Failures of the provider raise `IdentityUnavailable` (answered 503 with Retry-After).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Protocol

import httpx

from alac_kernel.auth import roles as R
from alac_kernel.settings import Settings

ROTATION_PROFILE = "alac-partner-secret-rotation"
ROTATION_POLICY = "alac-partner-secret-rotation"
PARTNER_ATTRIBUTE = "alac.partner"


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
    """Through python-keycloak's KeycloakAdmin (a service account of the realm with the
    realm-management roles manage-clients, manage-users and manage-realm, or a master admin
    in tests)."""

    def __init__(
        self,
        *,
        server_url: str,
        realm: str,
        api_client_id: str,
        grace_s: int,
        admin_realm: str | None = None,
        username: str | None = None,
        password: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        verify: bool | str = True,
    ) -> None:
        self.server_url = server_url.rstrip("/") + "/"
        self.realm = realm
        self.api_client_id = api_client_id
        self.grace_s = grace_s
        self._login = {
            "admin_realm": admin_realm or realm,
            "username": username,
            "password": password,
            "client_id": client_id or "admin-cli",
            "client_secret": client_secret,
            "verify": verify,
        }

    def _admin(self):  # type: ignore[no-untyped-def]
        from keycloak import KeycloakAdmin, KeycloakOpenIDConnection

        login = self._login
        connection = KeycloakOpenIDConnection(
            server_url=self.server_url,
            realm_name=self.realm,
            user_realm_name=login["admin_realm"],
            username=login["username"],
            password=login["password"],
            client_id=login["client_id"],
            client_secret_key=login["client_secret"],
            verify=login["verify"],
            timeout=15,
        )
        return KeycloakAdmin(connection=connection)

    def _guard(self, action):  # type: ignore[no-untyped-def]
        from keycloak.exceptions import KeycloakError

        try:
            return action()
        except KeycloakError as exc:
            if getattr(exc, "response_code", None) == 409:
                raise ClientIdTaken("client_id taken") from exc
            raise IdentityUnavailable(f"Keycloak refused: {exc}") from exc
        except (httpx.HTTPError, OSError) as exc:
            raise IdentityUnavailable(f"Keycloak unreachable: {exc}") from exc
        except Exception as exc:  # requests' ConnectionError and kin, by their base class
            if type(exc).__module__.startswith(("requests", "urllib3")):
                raise IdentityUnavailable(f"Keycloak unreachable: {exc}") from exc
            raise

    def create(self, *, client_id: str, tenant: str, name: str, caller_token: str) -> str:
        return self._guard(lambda: self._create(client_id, tenant, name))

    def _create(self, client_id: str, tenant: str, name: str) -> str:
        admin = self._admin()
        self._ensure_rotation_policy(admin)
        internal = admin.create_client(
            {
                "clientId": client_id,
                "name": name,
                "description": f"ALAC partner system of tenant {tenant}",
                "enabled": True,
                "publicClient": False,
                "clientAuthenticatorType": "client-secret",
                "serviceAccountsEnabled": True,
                "standardFlowEnabled": False,
                "directAccessGrantsEnabled": False,
                "implicitFlowEnabled": False,
                "protocol": "openid-connect",
                "attributes": {PARTNER_ATTRIBUTE: "true", "alac.tenant": tenant},
                "defaultClientScopes": [
                    "basic",
                    "profile",
                    "roles",
                    "acr",
                    "organization",
                    "alac-api-audience",
                    "service_account",
                ],
                "optionalClientScopes": [],
            }
        )
        try:
            account = admin.get_client_service_account_user(internal)
            api = admin.get_client_id(self.api_client_id)
            role = admin.get_client_role(api, R.PARTNER)
            admin.assign_client_role(account["id"], api, [role])
            orgs = [o for o in admin.get_organizations({"search": tenant}) if o["alias"] == tenant]
            if not orgs:
                raise IdentityUnavailable(f"Keycloak has no organization {tenant!r}")
            admin.organization_user_add(account["id"], orgs[0]["id"])
            return admin.get_client_secrets(internal)["value"]
        except Exception:
            # never leave a half-made client behind: the registration is retried whole
            admin.delete_client(internal)
            raise

    def rotate(self, *, client_id: str, caller_token: str) -> str:
        def run() -> str:
            admin = self._admin()
            self._ensure_rotation_policy(admin)
            return admin.generate_client_secrets(admin.get_client_id(client_id))["value"]

        return self._guard(run)

    def delete(self, *, client_id: str, caller_token: str) -> None:
        def run() -> None:
            admin = self._admin()
            internal = admin.get_client_id(client_id)
            if internal:
                admin.delete_client(internal)

        self._guard(run)

    def _ensure_rotation_policy(self, admin) -> None:  # type: ignore[no-untyped-def]
        """Keycloak keeps a regenerated client's previous secret valid as the "rotated
        secret" when a client policy with the `secret-rotation` executor applies to it; ours
        applies to clients with the attribute alac.partner=true only."""
        base = f"admin/realms/{self.realm}/client-policies"
        conn = admin.connection
        profiles = conn.raw_get(f"{base}/profiles").json()
        wanted_profile = {
            "name": ROTATION_PROFILE,
            "description": "ALAC partner systems: the previous secret stays valid for a grace period",
            "executors": [
                {
                    "executor": "secret-rotation",
                    "configuration": {
                        "expiration-period": str(10 * 365 * 86400),
                        "rotated-expiration-period": str(self.grace_s),
                        "remaining-rotation-period": str(86400),
                    },
                }
            ],
        }
        mine = [p for p in profiles.get("profiles", []) if p.get("name") == ROTATION_PROFILE]
        if not mine or mine[0] != wanted_profile:
            others = [p for p in profiles.get("profiles", []) if p.get("name") != ROTATION_PROFILE]
            _ok(
                conn.raw_put(
                    f"{base}/profiles", data=json.dumps({"profiles": [*others, wanted_profile]})
                )
            )
        policies = conn.raw_get(f"{base}/policies").json()
        if not any(p.get("name") == ROTATION_POLICY for p in policies.get("policies", [])):
            policy = {
                "name": ROTATION_POLICY,
                "description": "ALAC partner systems' client secret rotation",
                "enabled": True,
                "conditions": [
                    {
                        "condition": "client-attributes",
                        "configuration": {
                            "is_negative_logic": False,
                            "attributes": json.dumps([{"key": PARTNER_ATTRIBUTE, "value": "true"}]),
                        },
                    }
                ],
                "profiles": [ROTATION_PROFILE],
            }
            body = {"policies": [*policies.get("policies", []), policy]}
            _ok(conn.raw_put(f"{base}/policies", data=json.dumps(body)))


def _ok(response) -> None:  # type: ignore[no-untyped-def]
    if response.status_code >= 300:
        raise IdentityUnavailable(f"Keycloak answered {response.status_code}: {response.text}")


class UnconfiguredPartnerClients:
    """The production profile without Keycloak admin settings: every change answers 503 with
    what to set, rather than calling the development issuer's interface on Keycloak."""

    def __init__(self, grace_s: int) -> None:
        self.grace_s = grace_s

    def _refuse(self, **_: str) -> str:
        raise IdentityUnavailable(
            "partner registration needs ALAC_KEYCLOAK_ADMIN_URL and the credentials of a "
            "Keycloak admin account (docs/partners.md)"
        )

    create = rotate = delete = _refuse  # type: ignore[assignment]


def partner_clients_from_settings(settings: Settings) -> PartnerClients:
    """Keycloak when ALAC_KEYCLOAK_ADMIN_URL is set, else the development issuer (embedded
    profile only)."""
    env = os.environ
    grace = int(env.get("ALAC_PARTNER_SECRET_GRACE_S", "86400"))
    server = env.get("ALAC_KEYCLOAK_ADMIN_URL")
    if server:
        realm = settings.auth_issuer.rstrip("/").rpartition("/realms/")[2]
        return KeycloakPartnerClients(
            server_url=server,
            realm=env.get("ALAC_KEYCLOAK_REALM", realm),
            api_client_id=settings.auth_client_id,
            grace_s=grace,
            admin_realm=env.get("ALAC_KEYCLOAK_ADMIN_REALM"),
            username=env.get("ALAC_KEYCLOAK_ADMIN_USER"),
            password=env.get("ALAC_KEYCLOAK_ADMIN_PASSWORD"),
            client_id=env.get("ALAC_KEYCLOAK_ADMIN_CLIENT_ID"),
            client_secret=env.get("ALAC_KEYCLOAK_ADMIN_CLIENT_SECRET"),
        )
    if settings.profile == "production":
        return UnconfiguredPartnerClients(grace)
    return DevIssuerPartnerClients(settings.auth_issuer, grace)
