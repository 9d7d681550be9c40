"""Identity administration: organizations (tenants), staff accounts, their office and role,
through Keycloak's admin REST API with python-keycloak.

One implementation for both run modes: in production it talks to Keycloak; in the embedded
mode to the development issuer, which serves the same admin API over its own directory
(`alac_kernel.auth.dev_admin`). Every operation is idempotent (it looks before it creates, or
creates and looks when the provider says it exists), so an onboarding or an invitation
interrupted half-way is completed by running it again.

Failures are sorted into two kinds the callers turn into HTTP answers:
`IdentityUnavailable` (cannot reach the identity provider, or it answers 5xx: retry later, 503
with Retry-After) and `IdentityRefused` (it answered no: 409 for a name taken, 4xx otherwise).
"""

from __future__ import annotations

import json
import logging
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar
from urllib.parse import urlsplit

from keycloak import KeycloakAdmin, KeycloakOpenIDConnection
from keycloak.exceptions import KeycloakConnectionError, KeycloakError

from alac_kernel.auth import roles as R
from alac_kernel.settings import Settings

log = logging.getLogger("alac.identity")
T = TypeVar("T")

# Roles a tenant admin may give; tenant-admin itself only comes with onboarding (or a platform
# admin), partner belongs to clients, network-analyst and platform-admin are the network's.
STAFF_ROLES = (R.VOLUNTEER, R.LAWYER, R.COORDINATOR, R.ANALYST)
TENANT_ROLES = (*STAFF_ROLES, R.TENANT_ADMIN)
# What an invited person does on first sign-in (Keycloak's required-action ids).
INVITE_ACTIONS = ["UPDATE_PASSWORD", "VERIFY_EMAIL"]
RETRY_AFTER_S = 30
# Partner systems' clients carry this attribute; the secret rotation policy applies to them.
PARTNER_ATTRIBUTE = "alac.partner"
ROTATION_PROFILE = "alac-partner-secret-rotation"
ROTATION_POLICY = "alac-partner-secret-rotation"
# Each tenant's role groups: `/<tenant>/<group>`, each mapped to the `alac-api` client role of
# the same meaning, so a member's token carries the role in `resource_access` exactly as a
# direct role mapping would. Keycloak's organizations do not scope groups, hence one parent
# group per tenant, marked with the tenant attribute so that only ours are ever deleted.
ROLE_GROUPS = {
    R.VOLUNTEER: "volunteers",
    R.LAWYER: "lawyers",
    R.COORDINATOR: "coordinators",
    R.ANALYST: "analysts",
    R.TENANT_ADMIN: "tenant-admins",
}
TENANT_ATTRIBUTE = "alac.tenant"


class IdentityUnavailable(Exception):
    """The identity provider cannot be reached or failed: nothing was decided, retry later."""

    retry_after_s = RETRY_AFTER_S


class IdentityRefused(Exception):
    """The identity provider refused the request (e.g. 409: the username is taken)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class IdentitySettings:
    """Where the admin API is and who calls it.

    `server_url` is Keycloak's base (without /realms/...), `realm` the platform's realm; the
    caller is a confidential client of that realm with realm-management roles (client
    credentials). `resource_client` is the client whose roles are the platform's roles.
    """

    server_url: str
    realm: str
    client_id: str
    client_secret: str
    resource_client: str = "alac-api"
    timeout_s: float = 10.0
    send_email: bool = False  # Keycloak needs SMTP for execute-actions-email

    @classmethod
    def from_issuer(
        cls, issuer: str, client_id: str, client_secret: str, **kw: Any
    ) -> IdentitySettings:
        """The admin API of the realm that issues the platform's tokens."""
        parts = urlsplit(issuer.rstrip("/"))
        base_path, _, realm = parts.path.rpartition("/realms/")
        return cls(
            f"{parts.scheme}://{parts.netloc}{base_path}", realm, client_id, client_secret, **kw
        )


@dataclass(frozen=True)
class Account:
    """A person in the identity provider, as the platform sees them."""

    id: str
    username: str
    email: str | None
    first_name: str | None
    last_name: str | None
    enabled: bool
    office: str | None
    roles: tuple[str, ...]
    language: str | None
    required_actions: tuple[str, ...]

    @property
    def display_name(self) -> str:
        name = " ".join(p for p in (self.first_name, self.last_name) if p)
        return name or self.username


class IdentityAdmin:
    """The platform's administration of its realm (thread-safe; one per process)."""

    @classmethod
    def from_settings(cls, settings: Settings) -> IdentityAdmin:
        """The one set of settings (ALAC_IDENTITY_ADMIN_ISSUER, _CLIENT_ID, _CLIENT_SECRET,
        ALAC_IDENTITY_SEND_EMAIL) every service uses: the realm that issues the platform's
        tokens unless told otherwise, the confidential client `alac-admin`."""
        return cls(
            IdentitySettings.from_issuer(
                settings.identity_admin_issuer or settings.auth_issuer,
                settings.identity_admin_client_id,
                settings.identity_admin_client_secret,
                resource_client=settings.auth_client_id,
                send_email=settings.identity_send_email,
            )
        )

    def __init__(self, settings: IdentitySettings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._admin: KeycloakAdmin | None = None
        self._client_uuid: str | None = None
        self._client_roles: dict[str, dict[str, Any]] | None = None

    # ------------------------------------------------------------ plumbing

    def _connect(self) -> KeycloakAdmin:
        with self._lock:
            if self._admin is None:
                s = self.settings
                connection = KeycloakOpenIDConnection(
                    server_url=s.server_url,
                    realm_name=s.realm,
                    client_id=s.client_id,
                    client_secret_key=s.client_secret,
                    timeout=math.ceil(s.timeout_s),  # whole seconds, as python-keycloak types it
                    verify=True,
                )
                self._admin = KeycloakAdmin(connection=connection)
            return self._admin

    def _call(self, what: str, fn: Callable[[KeycloakAdmin], T]) -> T:
        try:
            return fn(self._connect())
        except KeycloakConnectionError as exc:
            self._admin = None  # a fresh connection (and token) next time
            raise IdentityUnavailable(f"{what}: cannot reach the identity provider") from exc
        except KeycloakError as exc:
            status = exc.response_code or 0
            if status in (401,):
                self._admin = None
            if status >= 500 or status == 0 or status == 401:
                raise IdentityUnavailable(f"{what}: identity provider answered {status}") from exc
            raise IdentityRefused(status, f"{what}: {_message(exc)}") from exc

    def _resource_client(self, admin: KeycloakAdmin) -> str:
        if self._client_uuid is None:
            self._client_uuid = admin.get_client_id(self.settings.resource_client)
            if self._client_uuid is None:
                raise IdentityRefused(
                    404, f"the realm has no client {self.settings.resource_client!r}"
                )
        return self._client_uuid

    def _roles(self, admin: KeycloakAdmin) -> dict[str, dict[str, Any]]:
        """The resource client's roles by name (the realm's fixed set: read once)."""
        if self._client_roles is None:
            client = self._resource_client(admin)
            self._client_roles = {r["name"]: r for r in admin.get_client_roles(client)}
        return self._client_roles

    def check(self) -> None:
        """Raise IdentityUnavailable unless the admin API answers now (before a change that
        must not be left half-done)."""
        self._call("check", lambda a: a.get_client_id(self.settings.resource_client))

    # ------------------------------------------------------------ organizations

    def organization(self, tenant: str) -> dict[str, Any] | None:
        def find(admin: KeycloakAdmin) -> dict[str, Any] | None:
            # Keycloak searches names and domains, not aliases: list them all and match the
            # alias (a few hundred organizations at most, fetched page by page).
            found = admin.get_organizations({"briefRepresentation": False})
            match = next((o for o in found if o.get("alias") == tenant), None)
            return admin.get_organization(match["id"]) if match else None

        return self._call("find organization", find)

    def ensure_organization(self, tenant: str, name: str, domain: str | None = None) -> str:
        """The organization of `tenant` (alias = tenant id), created if missing; its id.

        Created first, looked up only when the provider refuses (one made before: a resumed
        onboarding, a demo centre): finding one by alias means listing every organization of
        the realm (`organization`), which a new centre's onboarding need not pay for."""
        payload = {
            "name": name,
            "alias": tenant,
            "enabled": True,
            "domains": [{"name": domain or f"{tenant}.alac.invalid", "verified": False}],
            "attributes": {"tenant": [tenant]},
        }

        def create(admin: KeycloakAdmin) -> str:
            created = admin.create_organization(payload)
            if created is None:  # no Location header: not an answer Keycloak gives
                raise IdentityUnavailable("create organization: the answer named no id")
            return str(created)

        try:
            return self._call("create organization", create)
        except IdentityRefused:
            existing = self.organization(tenant)
            if existing is None:
                raise  # another organization holds the name or the domain
            return str(existing["id"])

    def set_organization_enabled(self, tenant: str, enabled: bool) -> None:
        org = self.organization(tenant)
        if org is None:
            raise IdentityRefused(404, f"no organization {tenant!r}")
        org["enabled"] = enabled
        self._call("update organization", lambda a: a.update_organization(org["id"], org))

    def suspend(self, tenant: str) -> list[str]:
        """Disable the organization and every enabled member account (Keycloak 26 still lets
        members of a disabled organization sign in with a password); the ids of the accounts
        disabled now, so that lifting the suspension enables exactly those again."""
        self.set_organization_enabled(tenant, False)
        disabled = []
        for account in self.members(tenant):
            if account.enabled:
                self.set_enabled(account.id, False)
                disabled.append(account.id)
        return disabled

    def lift_suspension(self, tenant: str, accounts: list[str]) -> None:
        for user_id in accounts:
            try:
                self.set_enabled(user_id, True)
            except IdentityRefused as exc:
                if exc.status != 404:  # deleted meanwhile: nothing to enable
                    raise
        self.set_organization_enabled(tenant, True)

    def delete_organization(self, tenant: str) -> None:
        """The organization and every member account (none of them may sign in again)."""
        org = self.organization(tenant)
        if org is None:
            return
        for account in self.members(tenant):
            self._call("delete user", partial(KeycloakAdmin.delete_user, user_id=account.id))
        self.delete_role_groups(tenant)
        self._call("delete organization", lambda a: a.delete_organization(org["id"]))

    # ------------------------------------------------------------ role groups

    def _group_at(self, admin: KeycloakAdmin, path: str) -> dict[str, Any] | None:
        try:
            return admin.get_group_by_path(path)
        except KeycloakError as exc:
            if exc.response_code == 404:
                return None
            raise

    def _tenant_group(self, admin: KeycloakAdmin, tenant: str) -> dict[str, Any] | None:
        group = self._group_at(admin, f"/{tenant}")
        if group is not None and tenant not in (group.get("attributes") or {}).get(
            TENANT_ATTRIBUTE, []
        ):
            raise IdentityRefused(409, f"the realm has a group /{tenant} of no tenant")
        return group

    def _ensure_role_groups(self, admin: KeycloakAdmin, tenant: str) -> dict[str, str]:
        attributes = {TENANT_ATTRIBUTE: [tenant]}
        group = self._tenant_group(admin, tenant)
        parent = (
            group["id"]
            if group is not None
            else str(admin.create_group({"name": tenant, "attributes": attributes}))
        )
        client = self._resource_client(admin)
        roles = self._roles(admin)
        # a parent made just now has no children to look for
        children = {g["name"]: g["id"] for g in admin.get_group_children(parent)} if group else {}
        ids = {}
        for role, name in ROLE_GROUPS.items():
            if name in children:
                ids[role] = children[name]
                # made before an interruption: its role may not be mapped yet
                mapped = {r["name"] for r in admin.get_group_client_roles(ids[role], client)}
                if role in mapped:
                    continue
            else:
                payload = {"name": name, "attributes": attributes}
                ids[role] = str(admin.create_group(payload, parent=parent))
            admin.assign_group_client_roles(ids[role], client, [roles[role]])
        return ids

    def ensure_role_groups(self, tenant: str) -> dict[str, str]:
        """The tenant's role groups (`/<tenant>/volunteers`, ...), each mapped to its client
        role, created where missing; their ids by role. Idempotent."""
        return self._call("role groups", lambda a: self._ensure_role_groups(a, tenant))

    def delete_role_groups(self, tenant: str) -> None:
        """The tenant's parent group and its role groups with it (memberships go too)."""

        def do(admin: KeycloakAdmin) -> None:
            group = self._tenant_group(admin, tenant)
            if group is not None:
                admin.delete_group(group["id"])

        self._call("delete role groups", do)

    def _join_role_group(
        self, admin: KeycloakAdmin, tenant: str, user_id: str, role: str, *, fresh: bool = False
    ) -> None:
        """Make `role` the user's one tenant role: a member of its group and of no other of
        the tenant's role groups; a direct mapping of a tenant role (accounts from before the
        role groups) is taken away, so that the group alone gives the role. A `fresh` account
        (made just now) has neither to take away."""
        prefix = f"/{tenant}/"
        client = self._resource_client(admin)
        found = self._group_at(admin, prefix + ROLE_GROUPS[role])
        if found and role in {r["name"] for r in admin.get_group_client_roles(found["id"], client)}:
            wanted = found["id"]
        else:  # a tenant onboarded before the role groups (or their making cut short)
            wanted = self._ensure_role_groups(admin, tenant)[role]
        if fresh:
            admin.group_user_add(user_id, wanted)
            return
        for held in admin.get_user_groups(user_id):
            if held["path"].startswith(prefix) and held["id"] != wanted:
                admin.group_user_remove(user_id, held["id"])
        admin.group_user_add(user_id, wanted)
        direct = admin.get_client_roles_of_user(user_id, client)
        stale = [r for r in direct if r["name"] in TENANT_ROLES]
        if stale:
            admin.delete_client_roles_of_user(user_id, client, stale)

    # ------------------------------------------------------------ accounts

    def _account(self, admin: KeycloakAdmin, rep: dict[str, Any]) -> Account:
        # Effective roles: those of the user's role group as well as any mapped directly.
        roles = admin.get_composite_client_roles_of_user(rep["id"], self._resource_client(admin))
        attrs = rep.get("attributes") or {}
        return Account(
            id=rep["id"],
            username=rep["username"],
            email=rep.get("email"),
            first_name=rep.get("firstName"),
            last_name=rep.get("lastName"),
            enabled=bool(rep.get("enabled", True)),
            office=(attrs.get("office") or [None])[0],
            roles=tuple(sorted(r["name"] for r in roles)),
            language=(attrs.get("locale") or [None])[0],
            required_actions=tuple(rep.get("requiredActions") or ()),
        )

    def account(self, user_id: str) -> Account:
        return self._call("read user", lambda a: self._account(a, a.get_user(user_id)))

    def find_account(self, username_or_email: str) -> Account | None:
        """By username, else by e-mail (exact, case-insensitive)."""
        wanted = username_or_email.strip().lower()

        def find(admin: KeycloakAdmin) -> Account | None:
            key = "email" if "@" in wanted else "username"
            for rep in admin.get_users({key: wanted, "exact": True}):
                if (rep.get(key) or "").lower() == wanted:
                    return self._account(admin, rep)
            return None

        return self._call("find user", find)

    def members(self, tenant: str) -> list[Account]:
        org = self.organization(tenant)
        if org is None:
            return []

        def listing(admin: KeycloakAdmin) -> list[Account]:
            reps = admin.get_organization_members(org["id"], {"first": 0, "max": 1000})
            return [self._account(admin, r) for r in reps]

        return self._call("list members", listing)

    def invite(
        self,
        tenant: str,
        *,
        username: str,
        email: str,
        first_name: str,
        last_name: str,
        office: str,
        role: str,
        language: str = "ru",
        organization_id: str | None = None,
    ) -> Account:
        """A staff account in `tenant`'s organization with `role` and `office`, which must
        set a password and verify the e-mail on first sign-in. Idempotent: an account of the
        same username in the same organization is completed, not duplicated; one elsewhere
        is refused (409). `organization_id`, when the caller knows it (the registry keeps
        it), spares listing the realm's organizations to find it."""
        if role not in TENANT_ROLES:
            raise IdentityRefused(422, f"role {role!r} cannot be given to staff")
        if organization_id is None:
            org = self.organization(tenant)
            if org is None:
                raise IdentityRefused(404, f"no organization {tenant!r}")
            organization_id = str(org["id"])
        org_id = organization_id
        rep_new = {
            "username": username,
            "email": email,
            "firstName": first_name,
            "lastName": last_name,
            "enabled": True,
            "emailVerified": False,
            "requiredActions": INVITE_ACTIONS,
            "attributes": {"office": [office], "locale": [language]},
        }

        def do(admin: KeycloakAdmin) -> Account:
            existing = admin.get_users({"username": username, "exact": True})
            rep = next((u for u in existing if u["username"] == username.lower()), None)
            if rep is None:
                user_id = admin.create_user(rep_new)
                admin.organization_user_add(user_id, org_id)
                self._join_role_group(admin, tenant, user_id, role, fresh=True)
            else:
                user_id = rep["id"]
                theirs = [o["alias"] for o in admin.get_user_organizations(user_id)]
                if theirs and theirs != [tenant]:
                    raise IdentityRefused(409, f"username {username!r} is taken")
                if tenant not in theirs:
                    admin.organization_user_add(user_id, org_id)
                self._join_role_group(admin, tenant, user_id, role)
            if self.settings.send_email:
                admin.send_update_account(user_id=user_id, payload=INVITE_ACTIONS)
            if rep is None:
                # made just now with these fields, its role from its group: no need to read back
                # (the provider keeps usernames and e-mails in lower case)
                return Account(
                    id=user_id, username=username.lower(), email=email.lower(),
                    first_name=first_name, last_name=last_name, enabled=True, office=office,
                    roles=(role,), language=language, required_actions=tuple(INVITE_ACTIONS),
                )  # fmt: skip
            return self._account(admin, admin.get_user(user_id))

        return self._call("invite", do)

    def move(
        self, tenant: str, user_id: str, *, office: str | None = None, role: str | None = None
    ) -> Account:
        """Another office and/or role (the old role group is left, the new one joined)."""
        if role is not None and role not in TENANT_ROLES:
            raise IdentityRefused(422, f"role {role!r} cannot be given to staff")

        def do(admin: KeycloakAdmin) -> Account:
            rep = admin.get_user(user_id)
            if office is not None:
                attrs = dict(rep.get("attributes") or {})
                attrs["office"] = [office]
                admin.update_user(user_id, {**_editable(rep), "attributes": attrs})
            if role is not None:
                self._join_role_group(admin, tenant, user_id, role)
            return self._account(admin, admin.get_user(user_id))

        return self._call("move", do)

    def set_enabled(self, user_id: str, enabled: bool) -> None:
        def do(admin: KeycloakAdmin) -> None:
            rep = admin.get_user(user_id)
            admin.update_user(user_id, {**_editable(rep), "enabled": enabled})

        self._call("enable" if enabled else "disable", do)

    def send_password_reset(self, user_id: str) -> None:
        self._call(
            "password reset",
            lambda a: a.send_update_account(user_id=user_id, payload=["UPDATE_PASSWORD"]),
        )

    # ------------------------------------------------------------ partner systems' clients

    def create_partner_client(self, tenant: str, *, client_id: str, name: str, grace_s: int) -> str:
        """A confidential client with client credentials for a partner system of `tenant`:
        its service account holds the `partner` role and is a member of the tenant's
        organization (so its tokens carry the tenant as every user's do). Returns the secret.
        A client id already taken is refused (409); a failure half-way deletes the client, so
        the registration is retried whole."""

        def do(admin: KeycloakAdmin) -> str:
            orgs = admin.get_organizations({"briefRepresentation": False})
            org = next((o for o in orgs if o.get("alias") == tenant), None)
            if org is None:
                raise IdentityRefused(404, f"no organization {tenant!r}")
            self._ensure_rotation_policy(admin, grace_s)
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
                    "defaultClientScopes": ["basic", "profile", "roles", "acr", "organization",
                                            "alac-api-audience", "service_account"],
                    "optionalClientScopes": [],
                }
            )  # fmt: skip
            try:
                account = admin.get_client_service_account_user(internal)
                api = self._resource_client(admin)
                admin.assign_client_role(
                    account["id"], api, [admin.get_client_role(api, R.PARTNER)]
                )
                admin.organization_user_add(account["id"], org["id"])
                return str(admin.get_client_secrets(internal)["value"])
            except Exception:
                admin.delete_client(internal)
                raise

        return self._call("create partner client", do)

    def rotate_client_secret(self, client_id: str, *, grace_s: int) -> str:
        """A new secret; the previous one stays valid for `grace_s` (Keycloak's client secret
        rotation policy, executor `secret-rotation`, applied to partner clients)."""

        def do(admin: KeycloakAdmin) -> str:
            internal = admin.get_client_id(client_id)
            if internal is None:
                raise IdentityRefused(404, f"no client {client_id!r}")
            self._ensure_rotation_policy(admin, grace_s)
            return str(admin.generate_client_secrets(internal)["value"])

        return self._call("rotate client secret", do)

    def delete_client(self, client_id: str) -> None:
        def do(admin: KeycloakAdmin) -> None:
            internal = admin.get_client_id(client_id)
            if internal:
                admin.delete_client(internal)

        self._call("delete client", do)

    def _ensure_rotation_policy(self, admin: KeycloakAdmin, grace_s: int) -> None:
        """Keycloak keeps a regenerated client's previous secret valid as the "rotated
        secret" when a client policy with the `secret-rotation` executor applies to it; ours
        applies to clients with the attribute alac.partner=true only."""
        base = f"admin/realms/{self.settings.realm}/client-policies"
        conn = admin.connection
        profiles = _json_ok(conn.raw_get(f"{base}/profiles"))
        wanted = {
            "name": ROTATION_PROFILE,
            "description": "ALAC partner systems: the previous secret stays valid for a grace period",
            "executors": [
                {
                    "executor": "secret-rotation",
                    "configuration": {
                        "expiration-period": str(10 * 365 * 86400),
                        "rotated-expiration-period": str(grace_s),
                        "remaining-rotation-period": str(86400),
                    },
                }
            ],
        }
        mine = [p for p in profiles.get("profiles", []) if p.get("name") == ROTATION_PROFILE]
        if not mine or mine[0] != wanted:
            others = [p for p in profiles.get("profiles", []) if p.get("name") != ROTATION_PROFILE]
            body = {"profiles": [*others, wanted]}
            _json_ok(conn.raw_put(f"{base}/profiles", data=json.dumps(body)))
        policies = _json_ok(conn.raw_get(f"{base}/policies"))
        if not any(p.get("name") == ROTATION_POLICY for p in policies.get("policies", [])):
            condition = {"key": PARTNER_ATTRIBUTE, "value": "true"}
            policy = {
                "name": ROTATION_POLICY,
                "description": "ALAC partner systems' client secret rotation",
                "enabled": True,
                "conditions": [
                    {
                        "condition": "client-attributes",
                        "configuration": {
                            "is_negative_logic": False,
                            "attributes": json.dumps([condition]),
                        },
                    }
                ],
                "profiles": [ROTATION_PROFILE],
            }
            body = {"policies": [*policies.get("policies", []), policy]}
            _json_ok(conn.raw_put(f"{base}/policies", data=json.dumps(body)))


def _json_ok(response: Any) -> dict[str, Any]:
    if response.status_code >= 500:
        raise IdentityUnavailable(f"identity provider answered {response.status_code}")
    if response.status_code >= 300:
        raise IdentityRefused(response.status_code, response.text)
    return response.json() if response.content else {}


def _editable(rep: dict[str, Any]) -> dict[str, Any]:
    """The fields of a user representation that PUT accepts back (Keycloak's declarative
    user profile refuses an update that drops attributes, so send them all)."""
    keys = ("username", "email", "firstName", "lastName", "enabled", "emailVerified",
            "attributes", "requiredActions")  # fmt: skip
    return {k: rep[k] for k in keys if k in rep}


def _message(exc: KeycloakError) -> str:
    # python-keycloak hands the body, and sometimes the message, over as bytes.
    text = exc.response_body or exc.error_message
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{exc.response_code} {text}"
