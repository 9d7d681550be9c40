"""The user directory of the development issuer: organizations, users, groups, client roles.

The embedded mode needs the same administration as Keycloak (onboarding creates an
organization and its first admin; a tenant admin invites staff), so the development issuer
keeps a small directory and serves the part of Keycloak's admin REST API the platform uses
(`alac_kernel.auth.dev_admin`). The platform's identity administration
(`alac_kernel.identity`) talks to both with python-keycloak, so one code path is tested on
both.

The directory is kept as JSON in the issuer's key folder (written atomically, mode 0600), so
invited users survive a restart of `make run`. Demo users are seeded on first start with their
usual ids (the issuer's `subject_of(username)`), so tokens keep their `sub`.

Groups follow Keycloak's too: a tree of named groups (unique among siblings), each with client
roles; a member's effective roles, which its tokens carry, are its own and those of its groups
and their parents.

Sign-in rules follow Keycloak's: a disabled user, a user with pending required actions
("Account is not fully set up") or a member of a disabled organization is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import threading
import uuid
from collections.abc import Callable, Iterable
from copy import deepcopy
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

DIRECTORY_FILE = "dev-directory.json"
PBKDF2_ROUNDS = 20_000  # development only: fast enough to onboard 100 centres in a benchmark


class DirectoryConflict(Exception):
    """Same username, e-mail or organization alias/name: Keycloak's 409."""


class DirectoryNotFound(Exception):
    """No such user, organization, client or role: Keycloak's 404."""


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt or os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, PBKDF2_ROUNDS)
    return f"pbkdf2-sha256${PBKDF2_ROUNDS}${salt.hex()}${digest.hex()}"


def check_password(stored: str | None, password: str) -> bool:
    if not stored:
        hash_password(password, b"\x00" * 16)  # same work either way: no timing oracle
        return False
    _, rounds, salt, digest = stored.split("$")
    computed = hashlib.pbkdf2_hmac("sha256", password.encode(), bytes.fromhex(salt), int(rounds))
    return hmac.compare_digest(computed.hex(), digest)


class Directory:
    """Organizations and users, as Keycloak's admin API represents them."""

    def __init__(self, path: Path | None, client_id: str, client_roles: Iterable[str]) -> None:
        self.path = path
        self.client_id = client_id
        # The resource server's client, with its roles: ids are stable per role name.
        self.client_uuid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"alac-dev/clients/{client_id}"))
        self.roles = {
            name: str(uuid.uuid5(uuid.NAMESPACE_URL, f"alac-dev/roles/{name}"))
            for name in sorted(client_roles)
        }
        self._lock = threading.RLock()
        self.organizations: dict[str, dict[str, Any]] = {}
        self.users: dict[str, dict[str, Any]] = {}
        self.groups: dict[str, dict[str, Any]] = {}
        self.sent_actions: list[dict[str, Any]] = []  # "e-mails" the embedded mode would send
        if path is not None and path.exists():
            data = json.loads(path.read_text(encoding="utf-8"))
            self.organizations = data["organizations"]
            self.users = data["users"]
            # Directories written before groups existed have none.
            self.groups = data.get("groups", {})
            for user in self.users.values():
                user.setdefault("groups", [])

    @property
    def seeded(self) -> bool:
        return bool(self.users or self.organizations)

    # ------------------------------------------------------------ persistence

    def _save(self) -> None:
        if self.path is None:
            return
        data = {"organizations": self.organizations, "users": self.users, "groups": self.groups}
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh)
        os.replace(tmp, self.path)

    def change(self, fn: Callable[[], T]) -> T:
        """Run a change under the lock and save; nothing is saved when it raises."""
        with self._lock:
            before = deepcopy((self.organizations, self.users, self.groups))
            try:
                result = fn()
                self._save()
            except BaseException:
                self.organizations, self.users, self.groups = before
                raise
            return result

    # ------------------------------------------------------------ organizations

    def find_organizations(
        self, search: str | None = None, exact: bool = False
    ) -> list[dict[str, Any]]:
        with self._lock:
            found = []
            for org in self.organizations.values():
                names = (org["name"], org["alias"])
                if search is None or (
                    search in names if exact else any(search.lower() in n.lower() for n in names)
                ):
                    found.append(deepcopy(org))
            return sorted(found, key=lambda o: o["name"])

    def organization(self, org_id: str) -> dict[str, Any]:
        with self._lock:
            if org_id not in self.organizations:
                raise DirectoryNotFound("Organization not found")
            return deepcopy(self.organizations[org_id])

    def organization_by_alias(self, alias: str) -> dict[str, Any] | None:
        with self._lock:
            return next(
                (deepcopy(o) for o in self.organizations.values() if o["alias"] == alias), None
            )

    def create_organization(self, rep: dict[str, Any], org_id: str | None = None) -> str:
        def do() -> str:
            name, alias = rep.get("name"), rep.get("alias") or rep.get("name")
            if not name:
                raise ValueError("name is required")
            for org in self.organizations.values():
                if org["name"] == name or org["alias"] == alias:
                    raise DirectoryConflict("A organization with the same name already exists.")
            new_id = org_id or str(uuid.uuid4())
            self.organizations[new_id] = {
                "id": new_id,
                "name": name,
                "alias": alias,
                "enabled": bool(rep.get("enabled", True)),
                "description": rep.get("description"),
                "domains": list(rep.get("domains") or []),
                "attributes": dict(rep.get("attributes") or {}),
            }
            return new_id

        return self.change(do)

    def update_organization(self, org_id: str, rep: dict[str, Any]) -> None:
        def do() -> None:
            org = self.organizations.get(org_id)
            if org is None:
                raise DirectoryNotFound("Organization not found")
            for key in ("name", "enabled", "description", "domains", "attributes"):
                if key in rep:
                    org[key] = rep[key]

        self.change(do)

    def delete_organization(self, org_id: str) -> None:
        def do() -> None:
            if self.organizations.pop(org_id, None) is None:
                raise DirectoryNotFound("Organization not found")
            for user in self.users.values():
                if org_id in user["organizations"]:
                    user["organizations"].remove(org_id)

        self.change(do)

    def add_member(self, org_id: str, user_id: str) -> None:
        def do() -> None:
            if org_id not in self.organizations:
                raise DirectoryNotFound("Organization not found")
            user = self.users.get(user_id)
            if user is None:
                raise DirectoryNotFound("User not found")
            if org_id in user["organizations"]:
                raise DirectoryConflict("User is already a member of the organization.")
            user["organizations"].append(org_id)

        self.change(do)

    def members(self, org_id: str) -> list[dict[str, Any]]:
        with self._lock:
            self.organization(org_id)
            return [
                self.user_rep(u["id"]) for u in self.users.values() if org_id in u["organizations"]
            ]

    # ------------------------------------------------------------ users

    def user_rep(self, user_id: str) -> dict[str, Any]:
        """Keycloak's UserRepresentation (without credentials)."""
        with self._lock:
            user = self.users.get(user_id)
            if user is None:
                raise DirectoryNotFound("User not found")
            return {
                k: deepcopy(v)
                for k, v in user.items()
                if k not in ("password", "client_roles", "organizations", "groups")
            }

    def find_users(
        self,
        *,
        username: str | None = None,
        email: str | None = None,
        search: str | None = None,
        exact: bool = False,
    ) -> list[dict[str, Any]]:
        def matches(value: str | None, wanted: str | None) -> bool:
            if wanted is None:
                return True
            value, wanted = (value or "").lower(), wanted.lower()
            return value == wanted if exact else wanted in value

        with self._lock:
            found = [
                self.user_rep(u["id"])
                for u in self.users.values()
                if matches(u["username"], username)
                and matches(u.get("email"), email)
                and (
                    search is None
                    or any(
                        matches(u.get(f), search)
                        for f in ("username", "email", "firstName", "lastName")
                    )
                )
            ]
            return sorted(found, key=lambda u: u["username"])

    def create_user(self, rep: dict[str, Any], user_id: str | None = None) -> str:
        def do() -> str:
            username = (rep.get("username") or "").lower()
            if not username:
                raise ValueError("username is required")
            email = rep.get("email")
            for user in self.users.values():
                if user["username"] == username:
                    raise DirectoryConflict("User exists with same username")
                if email and (user.get("email") or "").lower() == email.lower():
                    raise DirectoryConflict("User exists with same email")
            new_id = user_id or str(uuid.uuid4())
            password = next(
                (c["value"] for c in rep.get("credentials") or [] if c.get("type") == "password"),
                None,
            )
            self.users[new_id] = {
                "id": new_id,
                "username": username,
                "email": email,
                "firstName": rep.get("firstName"),
                "lastName": rep.get("lastName"),
                "enabled": bool(rep.get("enabled", True)),
                "emailVerified": bool(rep.get("emailVerified", False)),
                "attributes": dict(rep.get("attributes") or {}),
                "requiredActions": list(rep.get("requiredActions") or []),
                "password": hash_password(password) if password else None,
                "client_roles": [],
                "organizations": [],
                "groups": [],
            }
            return new_id

        return self.change(do)

    def update_user(self, user_id: str, rep: dict[str, Any]) -> None:
        def do() -> None:
            user = self.users.get(user_id)
            if user is None:
                raise DirectoryNotFound("User not found")
            for key in (
                "email",
                "firstName",
                "lastName",
                "enabled",
                "emailVerified",
                "attributes",
                "requiredActions",
            ):
                if key in rep:
                    user[key] = deepcopy(rep[key])

        self.change(do)

    def delete_user(self, user_id: str) -> None:
        def do() -> None:
            if self.users.pop(user_id, None) is None:
                raise DirectoryNotFound("User not found")

        self.change(do)

    def set_password(self, user_id: str, password: str, temporary: bool) -> None:
        def do() -> None:
            user = self.users.get(user_id)
            if user is None:
                raise DirectoryNotFound("User not found")
            user["password"] = hash_password(password)
            actions = [a for a in user["requiredActions"] if a != "UPDATE_PASSWORD"]
            if temporary:
                actions.append("UPDATE_PASSWORD")
            user["requiredActions"] = actions

        self.change(do)

    def execute_actions(self, user_id: str, actions: list[str]) -> None:
        """Keycloak e-mails a link; the embedded mode records what it would have sent."""
        with self._lock:
            user = self.user_rep(user_id)
            self.sent_actions.append(
                {"user_id": user_id, "email": user["email"], "actions": actions}
            )

    def client_roles_of(self, user_id: str) -> list[str]:
        with self._lock:
            if user_id not in self.users:
                raise DirectoryNotFound("User not found")
            return list(self.users[user_id]["client_roles"])

    def grant_roles(self, user_id: str, names: Iterable[str], grant: bool) -> None:
        def do() -> None:
            user = self.users.get(user_id)
            if user is None:
                raise DirectoryNotFound("User not found")
            for name in names:
                if name not in self.roles:
                    raise DirectoryNotFound(f"Could not find role {name}")
                if grant and name not in user["client_roles"]:
                    user["client_roles"].append(name)
                if not grant and name in user["client_roles"]:
                    user["client_roles"].remove(name)

        self.change(do)

    # ------------------------------------------------------------ groups

    def _group(self, group_id: str) -> dict[str, Any]:
        group = self.groups.get(group_id)
        if group is None:
            raise DirectoryNotFound("Could not find group by id")
        return group

    def group_rep(self, group_id: str) -> dict[str, Any]:
        """Keycloak's GroupRepresentation (its client roles by client, as Keycloak's full one)."""
        with self._lock:
            group = self._group(group_id)
            children = [g for g in self.groups.values() if g["parentId"] == group_id]
            return {
                "id": group["id"],
                "name": group["name"],
                "path": group["path"],
                "parentId": group["parentId"],
                "subGroupCount": len(children),
                "subGroups": [],
                "attributes": deepcopy(group["attributes"]),
                "realmRoles": [],
                "clientRoles": {self.client_id: list(group["client_roles"])},
            }

    def child_groups(self, parent_id: str | None) -> list[dict[str, Any]]:
        with self._lock:
            if parent_id is not None:
                self._group(parent_id)
            found = [g["id"] for g in self.groups.values() if g["parentId"] == parent_id]
            return sorted((self.group_rep(g) for g in found), key=lambda g: g["name"])

    def group_by_path(self, path: str) -> dict[str, Any]:
        with self._lock:
            wanted = "/" + path.strip("/")
            match = next((g for g in self.groups.values() if g["path"] == wanted), None)
            if match is None:
                raise DirectoryNotFound(f"Group path does not exist: {wanted}")
            return self.group_rep(match["id"])

    def create_group(self, rep: dict[str, Any], parent_id: str | None = None) -> str:
        def do() -> str:
            name = rep.get("name")
            if not name:
                raise ValueError("name is required")
            if parent_id is not None and parent_id not in self.groups:
                raise DirectoryNotFound("Could not find parent group by id")
            for group in self.groups.values():
                if group["parentId"] == parent_id and group["name"] == name:
                    kind = "Sibling" if parent_id else "Top level"
                    raise DirectoryConflict(f"{kind} group named '{name}' already exists.")
            parent_path = self.groups[parent_id]["path"] if parent_id else ""
            new_id = str(uuid.uuid4())
            self.groups[new_id] = {
                "id": new_id,
                "name": name,
                "path": f"{parent_path}/{name}",
                "parentId": parent_id,
                "attributes": dict(rep.get("attributes") or {}),
                "client_roles": [],
            }
            return new_id

        return self.change(do)

    def delete_group(self, group_id: str) -> None:
        """The group, its subgroups and every membership of them, as Keycloak does."""

        def do() -> None:
            self._group(group_id)
            doomed = {group_id}
            while True:
                more = {g for g, v in self.groups.items() if v["parentId"] in doomed} - doomed
                if not more:
                    break
                doomed |= more
            for gid in doomed:
                del self.groups[gid]
            for user in self.users.values():
                user["groups"] = [g for g in user["groups"] if g not in doomed]

        self.change(do)

    def grant_group_roles(self, group_id: str, names: Iterable[str]) -> None:
        def do() -> None:
            group = self._group(group_id)
            for name in names:
                if name not in self.roles:
                    raise DirectoryNotFound(f"Could not find role {name}")
                if name not in group["client_roles"]:
                    group["client_roles"].append(name)

        self.change(do)

    def groups_of(self, user_id: str) -> list[dict[str, Any]]:
        with self._lock:
            if user_id not in self.users:
                raise DirectoryNotFound("User not found")
            return [self.group_rep(g) for g in self.users[user_id]["groups"]]

    def join_group(self, user_id: str, group_id: str, join: bool) -> None:
        """Keycloak answers 204 whether or not the user was a member already."""

        def do() -> None:
            user = self.users.get(user_id)
            if user is None:
                raise DirectoryNotFound("User not found")
            self._group(group_id)
            if join and group_id not in user["groups"]:
                user["groups"].append(group_id)
            if not join and group_id in user["groups"]:
                user["groups"].remove(group_id)

        self.change(do)

    def group_members(self, group_id: str) -> list[dict[str, Any]]:
        with self._lock:
            self._group(group_id)
            return [self.user_rep(u["id"]) for u in self.users.values() if group_id in u["groups"]]

    def effective_roles(self, user: dict[str, Any]) -> list[str]:
        """The client roles a token carries: the user's own, then those of its groups and of
        the groups above them (Keycloak's effective role mappings)."""
        with self._lock:
            roles = list(user["client_roles"])
            for group_id in user.get("groups", []):
                while group_id in self.groups:
                    group = self.groups[group_id]
                    roles += [r for r in group["client_roles"] if r not in roles]
                    group_id = group["parentId"]
            return roles

    # ------------------------------------------------------------ sign-in

    def authenticate(self, username: str, password: str) -> dict[str, Any] | None:
        """The user record when the password is right and Keycloak would let them in."""
        with self._lock:
            user = next((u for u in self.users.values() if u["username"] == username.lower()), None)
            if not check_password(user["password"] if user else None, password) or user is None:
                return None
            if not user["enabled"] or user["requiredActions"]:
                return None
            if any(not self.organizations[o]["enabled"] for o in user["organizations"]):
                return None
            return deepcopy(user)

    def user_by_username(self, username: str) -> dict[str, Any] | None:
        with self._lock:
            user = next((u for u in self.users.values() if u["username"] == username.lower()), None)
            return deepcopy(user) if user else None

    def aliases_of(self, user: dict[str, Any]) -> list[str]:
        with self._lock:
            return [
                self.organizations[o]["alias"]
                for o in user["organizations"]
                if o in self.organizations
            ]
