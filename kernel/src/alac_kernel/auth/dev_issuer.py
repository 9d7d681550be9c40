"""The development token issuer of the embedded mode, shaped like a Keycloak realm.

It serves, under the issuer URL's path (e.g. `/realms/alac-dev`):

- `/.well-known/openid-configuration`  discovery document
- `/protocol/openid-connect/certs`      JWKS (RS256 keys, kid `alac-dev-<thumbprint>`)
- `/protocol/openid-connect/token`     `grant_type=password` (demo users),
                                        `grant_type=client_credentials` (demo partner clients) and
                                        `grant_type=authorization_code` (with PKCE)
- `/protocol/openid-connect/auth`      the authorization endpoint of the code flow: a sign-in
                                        form for the demo users, then a redirect with the code
- `/admin/realms/<realm>/partner-clients` the admin interface for partner systems (create,
                                        rotate the secret, delete; a tenant admin's token of
                                        this issuer, for its own tenant): see dev_clients.py

The code flow is the one a browser application uses (the web front end's staff sign-in):
public clients only, PKCE with S256 required, redirect URIs on loopback only (there is no
client registry; Keycloak checks its registered redirect URIs instead), codes single-use and
valid for 60 seconds.

Tokens carry the claims Keycloak puts in an access token (iss, sub, aud, exp, iat, nbf, jti,
azp, typ, preferred_username, realm_access, resource_access.<client>.roles, organization in list
form, office), so switching to Keycloak is only a matter of settings. The RSA key is generated on
first start and kept as PEM (mode 0600) in the key folder, so tokens survive a restart.

Demo passwords are "demo" + username (e.g. vera / demovera). This issuer exists for the
embedded mode only: `create_dev_issuer_app(profile="production")` raises, and the production
token verifier refuses every `alac-dev-` key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI, Request, Response
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse

from alac_kernel.auth import roles as R
from alac_kernel.auth.dev_admin import ADMIN_ROLES, install_admin_api
from alac_kernel.auth.dev_clients import ClientRegistry
from alac_kernel.auth.dev_directory import DIRECTORY_FILE, Directory
from alac_kernel.auth.verifier import DEV_KID_PREFIX

KEY_FILE = "dev-issuer-key.pem"
KEY_BITS = 2048
CODE_TTL_S = 60
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


# ------------------------------------------------------------------ demo identities


@dataclass(frozen=True, slots=True)
class DemoUser:
    """A user of the issuer: a demo user as declared here, or a directory user (invited
    staff, a tenant's first admin) as the directory holds it (`sub` set, no password)."""

    username: str
    password: str
    tenant: str
    office: str | None
    roles: tuple[str, ...]
    sub: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None


@dataclass(frozen=True, slots=True)
class DemoClient:
    """A partner system using OAuth2 client credentials, scoped to one tenant."""

    client_id: str
    secret: str
    tenant: str
    office: str | None = None
    roles: tuple[str, ...] = (R.PARTNER,)


def _demo(username: str, tenant: str, office: str | None, role: str) -> DemoUser:
    return DemoUser(username, "demo" + username, tenant, office, (role,))


DEMO_USERS: tuple[DemoUser, ...] = (
    # Transparency Kazakhstan, Almaty office
    _demo("vera", "tk", "almaty", R.VOLUNTEER),
    _demo("lena", "tk", "almaty", R.LAWYER),
    _demo("kazbek", "tk", "almaty", R.COORDINATOR),
    _demo("tamara", "tk", "almaty", R.TENANT_ADMIN),
    _demo("anuar", "tk", "almaty", R.ANALYST),
    # Transparency Kazakhstan, Astana office
    _demo("askar", "tk", "astana", R.VOLUNTEER),
    _demo("laura", "tk", "astana", R.LAWYER),
    # a regional NGO, Shymkent office
    _demo("nurlan", "ndi", "shymkent", R.VOLUNTEER),
    _demo("dana", "ndi", "shymkent", R.LAWYER),
    # the network: cross-tenant aggregates only
    _demo("nadia", "network", None, R.NETWORK_ANALYST),
    # the network's platform admin: onboards, suspends and offboards centres
    _demo("pavel", "network", None, R.PLATFORM_ADMIN),
)

# The identity administration client (Keycloak: a confidential client whose service account
# holds realm-management roles). Development only: the issuer refuses the production profile.
DEV_ADMIN_CLIENT = "alac-admin"
DEV_ADMIN_SECRET = "alac-admin-dev-secret"  # noqa: S105

DEMO_CLIENTS: tuple[DemoClient, ...] = (DemoClient("partner-ndi", "partner-ndi-secret", "ndi"),)


# ------------------------------------------------------------------ keys


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_uint(value: int) -> str:
    return _b64url(value.to_bytes((value.bit_length() + 7) // 8 or 1, "big"))


@dataclass(frozen=True, slots=True)
class DevKey:
    """An RSA signing key with its key id."""

    private_key: rsa.RSAPrivateKey
    kid: str

    @classmethod
    def generate(cls, kid: str | None = None) -> DevKey:
        """A fresh 2048-bit key; kid `alac-dev-<RFC 7638 thumbprint>` unless given."""
        private_key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
        return cls(private_key, kid or DEV_KID_PREFIX + _thumbprint(private_key.public_key()))

    @classmethod
    def from_pem(cls, pem: bytes) -> DevKey:
        private_key = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(private_key, rsa.RSAPrivateKey):
            raise ValueError("the development issuer key is not an RSA key")
        return cls(private_key, DEV_KID_PREFIX + _thumbprint(private_key.public_key()))

    @classmethod
    def load_or_create(cls, key_dir: Path) -> DevKey:
        """The key kept in `key_dir`, generated (and saved with mode 0600) on first use.

        Safe against two processes starting at once: the file appears atomically via a hard
        link, and the loser of the race reads the winner's key.
        """
        key_dir = Path(key_dir)
        key_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = key_dir / KEY_FILE
        if path.exists():
            return cls.from_pem(path.read_bytes())
        key = cls.generate()
        tmp = key_dir / f".{KEY_FILE}.{os.getpid()}.{uuid.uuid4().hex}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(key.private_pem())
                fh.flush()
                os.fsync(fh.fileno())
            try:
                os.link(tmp, path)
            except FileExistsError:
                return cls.from_pem(path.read_bytes())
        finally:
            tmp.unlink(missing_ok=True)
        return key

    def private_pem(self) -> bytes:
        return self.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def public_pem(self) -> bytes:
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def jwk(self) -> dict[str, str]:
        numbers = self.private_key.public_key().public_numbers()
        return {
            "kid": self.kid,
            "kty": "RSA",
            "alg": "RS256",
            "use": "sig",
            "n": _b64url_uint(numbers.n),
            "e": _b64url_uint(numbers.e),
        }


def _thumbprint(public_key: rsa.RSAPublicKey) -> str:
    """RFC 7638 JWK thumbprint (SHA-256, base64url)."""
    numbers = public_key.public_numbers()
    canonical = json.dumps(
        {"e": _b64url_uint(numbers.e), "kty": "RSA", "n": _b64url_uint(numbers.n)},
        separators=(",", ":"),
        sort_keys=True,
    )
    return _b64url(hashlib.sha256(canonical.encode("ascii")).digest())


def mint_token(
    claims: Mapping[str, Any],
    key: DevKey | rsa.RSAPrivateKey | bytes | str | None,
    *,
    kid: str | None = None,
    algorithm: str = "RS256",
    headers: Mapping[str, Any] | None = None,
) -> str:
    """A signed JWT with arbitrary claims, key, kid and algorithm: for tests.

    `algorithm="none"` makes an unsigned token; `HS256` with the public key's PEM as `key`
    makes the classic algorithm-confusion forgery (signed by hand, since PyJWT rightly refuses
    to use an asymmetric key as an HMAC secret).
    """
    if isinstance(key, DevKey):
        kid = kid if kid is not None else key.kid
        key = key.private_key
    header: dict[str, Any] = {"alg": algorithm, "typ": "JWT"}
    if kid is not None:
        header["kid"] = kid
    header.update(headers or {})
    if algorithm.startswith("HS"):
        secret = key.encode() if isinstance(key, str) else key
        if not isinstance(secret, bytes):
            raise TypeError("an HMAC algorithm needs bytes or str as key")
        digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}[
            algorithm
        ]
        signing_input = ".".join(
            _b64url(json.dumps(part, separators=(",", ":")).encode())
            for part in (header, dict(claims))
        )
        signature = hmac.new(secret, signing_input.encode("ascii"), digest).digest()
        return f"{signing_input}.{_b64url(signature)}"
    extra = {k: v for k, v in header.items() if k != "alg"}
    return jwt.encode(
        # An unsigned token ("none") takes no key; PyJWT reads "" as none.
        dict(claims),
        key if algorithm != "none" and key is not None else "",
        algorithm=algorithm,
        headers=extra,
    )


# ------------------------------------------------------------------ the issuer


class DevIssuer:
    """Claims, signing and key rotation of the development issuer (no HTTP here)."""

    def __init__(
        self,
        key: DevKey,
        issuer: str,
        audience: str = "alac-api",
        client_id: str = "alac-api",
        users: Sequence[DemoUser] = DEMO_USERS,
        clients: Sequence[DemoClient] = DEMO_CLIENTS,
        token_ttl_s: int = 900,
        public_clients: Sequence[str] = ("alac-cli", "alac-web", "alac-docs"),
        registry: ClientRegistry | None = None,
        directory: Directory | None = None,
    ) -> None:
        self.registry = registry
        self.issuer = issuer.rstrip("/")
        self.audience = audience
        self.client_id = client_id
        self.token_ttl_s = token_ttl_s
        self.demo_users = {u.username: u for u in users}
        self.clients = {c.client_id: c for c in clients}
        self.public_clients = frozenset(public_clients) | {client_id}
        self.realm = self.issuer.rsplit("/", 1)[-1]
        self._keys: list[DevKey] = [key]
        self._lock = threading.Lock()
        self._codes: dict[str, _AuthCode] = {}
        # Who signed out through the end-session endpoint (subject, client), oldest first: this
        # issuer keeps no single sign-on session (it asks for the password on every sign-in),
        # so ending one is only recorded; the list lets tests see that a client asked.
        self.ended_sessions: list[tuple[str, str]] = []
        self.directory = directory or Directory(None, client_id, R.ALL_ROLES)
        if not self.directory.seeded:
            self._seed_directory(users)

    def _seed_directory(self, users: Sequence[DemoUser]) -> None:
        """The demo organizations and users, with the ids tokens always had."""
        for tenant in sorted({u.tenant for u in users}):
            self.directory.create_organization(
                {"name": tenant, "alias": tenant, "enabled": True,
                 "domains": [{"name": f"{tenant}.example.org"}]},
                org_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"alac-dev:{self.realm}/orgs/{tenant}")),
            )  # fmt: skip
        for user in users:
            org = self.directory.organization_by_alias(user.tenant)
            user_id = self.directory.create_user(
                {
                    "username": user.username,
                    "email": f"{user.username}@{user.tenant}.example.org",
                    "emailVerified": True,
                    "firstName": user.username.capitalize(),
                    "lastName": "Demo",
                    "enabled": True,
                    "attributes": {"office": [user.office]} if user.office else {},
                    "credentials": [{"type": "password", "value": user.password}],
                },
                user_id=self.subject_of(user.username),
            )
            self.directory.grant_roles(user_id, user.roles, grant=True)
            assert org is not None
            self.directory.add_member(org["id"], user_id)

    @property
    def users(self) -> dict[str, DemoUser]:
        """Every user of the directory that belongs to exactly one organization, by username
        (demo users and invited ones alike)."""
        found = {}
        for record in list(self.directory.users.values()):
            user = self._as_user(record)
            if user is not None:
                found[user.username] = user
        return found

    def _as_user(self, record: dict[str, Any]) -> DemoUser | None:
        aliases = self.directory.aliases_of(record)
        if len(aliases) != 1:
            return None
        demo = self.demo_users.get(record["username"])
        office = (record.get("attributes") or {}).get("office") or [None]
        return DemoUser(
            username=record["username"],
            password=demo.password if demo else "",
            tenant=aliases[0],
            office=office[0],
            roles=tuple(record["client_roles"]),
            sub=record["id"],
            first_name=record.get("firstName"),
            last_name=record.get("lastName"),
            email=record.get("email"),
        )

    @property
    def signing_key(self) -> DevKey:
        return self._keys[-1]

    def rotate(self, key: DevKey | None = None) -> DevKey:
        """Sign with a new key from now on; the old ones stay in the JWKS (not persisted)."""
        key = key or DevKey.generate()
        with self._lock:
            self._keys = [*self._keys, key]
        return key

    def retire(self, kid: str) -> None:
        """Drop a key from the JWKS (tokens it signed stop verifying after a refresh)."""
        with self._lock:
            remaining = [k for k in self._keys if k.kid != kid]
            if not remaining:
                raise ValueError("cannot retire the only key")
            self._keys = remaining

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        return {"keys": [k.jwk() for k in self._keys]}

    def discovery(self) -> dict[str, Any]:
        oidc = f"{self.issuer}/protocol/openid-connect"
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{oidc}/auth",
            "token_endpoint": f"{oidc}/token",
            "jwks_uri": f"{oidc}/certs",
            # RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0), as Keycloak's.
            "end_session_endpoint": f"{oidc}/logout",
            "grant_types_supported": ["password", "client_credentials", "authorization_code"],
            "response_types_supported": ["code"],
            "code_challenge_methods_supported": ["S256"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "claims_supported": [
                "iss",
                "sub",
                "aud",
                "exp",
                "iat",
                "nbf",
                "jti",
                "azp",
                "typ",
                "preferred_username",
                "realm_access",
                "resource_access",
                "organization",
                "office",
            ],
        }

    def _base_claims(self, sub: str, azp: str, now: int | None) -> dict[str, Any]:
        now = int(time.time()) if now is None else now
        return {
            "exp": now + self.token_ttl_s,
            "iat": now,
            "nbf": now,
            "jti": str(uuid.uuid4()),
            "iss": self.issuer,
            "aud": self.audience,
            "sub": sub,
            "typ": "Bearer",
            "azp": azp,
            "scope": "profile email",
            "realm_access": {
                "roles": [f"default-roles-{self.realm}", "offline_access", "uma_authorization"]
            },
        }

    def user_claims(
        self, user: DemoUser, *, azp: str | None = None, now: int | None = None
    ) -> dict[str, Any]:
        sub = user.sub or self.subject_of(user.username)
        claims = self._base_claims(sub, azp or self.client_id, now)
        claims["resource_access"] = {self.client_id: {"roles": list(user.roles)}}
        claims["preferred_username"] = user.username
        # Keycloak's `profile` and `email` scopes: names on audit entries and assignees.
        if user.first_name or user.last_name:
            claims["name"] = " ".join(p for p in (user.first_name, user.last_name) if p)
            if user.first_name:
                claims["given_name"] = user.first_name
            if user.last_name:
                claims["family_name"] = user.last_name
        if user.email:
            claims["email"] = user.email
            claims["email_verified"] = True
        claims["organization"] = [user.tenant]
        if user.office:
            claims["office"] = user.office
        return claims

    def client_claims(self, client: DemoClient, *, now: int | None = None) -> dict[str, Any]:
        claims = self._base_claims(
            self.subject_of(f"service-account-{client.client_id}"), client.client_id, now
        )
        claims["resource_access"] = {self.client_id: {"roles": list(client.roles)}}
        claims["preferred_username"] = f"service-account-{client.client_id}"
        claims["client_id"] = client.client_id
        claims["organization"] = [client.tenant]
        if client.office:
            claims["office"] = client.office
        return claims

    def admin_claims(self, *, now: int | None = None) -> dict[str, Any]:
        """The admin client's service account, as Keycloak gives one with realm-management
        roles (no organization: it administers the realm, not a tenant)."""
        claims = self._base_claims(
            self.subject_of(f"service-account-{DEV_ADMIN_CLIENT}"), DEV_ADMIN_CLIENT, now
        )
        claims["resource_access"] = {"realm-management": {"roles": list(ADMIN_ROLES)}}
        claims["preferred_username"] = f"service-account-{DEV_ADMIN_CLIENT}"
        claims["client_id"] = DEV_ADMIN_CLIENT
        return claims

    def subject_of(self, username: str) -> str:
        """A stable uuid per demo user of this realm (Keycloak's `sub`): the same whatever host
        and port the issuer is reached at, since the directory that keeps it outlives both."""
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"alac-dev:{self.realm}/users/{username}"))

    def sign(self, claims: Mapping[str, Any]) -> str:
        return mint_token(claims, self.signing_key)

    def token_for(self, username: str) -> str:
        """A token for a user of the directory without going through HTTP (tests, CLI)."""
        return self.sign(self.user_claims(self.users[username]))

    def token_response(self, claims: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "access_token": self.sign(claims),
            "expires_in": self.token_ttl_s,
            "refresh_expires_in": 0,
            "token_type": "Bearer",
            "not-before-policy": 0,
            "scope": claims.get("scope", ""),
        }

    # ------------------------------------------------------------ grants

    def password_grant(self, form: Mapping[str, str]) -> dict[str, Any]:
        client_id = form.get("client_id") or self.client_id
        if client_id not in self.public_clients:
            raise _OAuthError(401, "invalid_client", "Invalid client or Invalid client credentials")
        # 400 invalid_grant at the token endpoint, as Keycloak (and RFC 6749 5.2) answer.
        user = self._check_password(form.get("username", ""), form.get("password", ""), status=400)
        return self.token_response(self.user_claims(user, azp=client_id))

    def client_credentials_grant(
        self, form: Mapping[str, str], basic: tuple[str, str] | None
    ) -> dict[str, Any]:
        client_id, secret = basic or (form.get("client_id", ""), form.get("client_secret", ""))
        if client_id == DEV_ADMIN_CLIENT:
            if not hmac.compare_digest(secret.encode(), DEV_ADMIN_SECRET.encode()):
                raise _OAuthError(401, "unauthorized_client", "Invalid client secret")
            return self.token_response(self.admin_claims())
        client = self.clients.get(client_id)
        registered = self.registry.get(client_id) if self.registry and not client else None
        if registered is not None:
            # a partner system registered through the admin interface (current or, during
            # a rotation's grace period, previous secret)
            if not registered.accepts(secret, time.time()):
                raise _OAuthError(
                    401, "invalid_client", "Invalid client or Invalid client credentials"
                )
            return self.token_response(
                self.client_claims(DemoClient(client_id, "", registered.tenant))
            )
        expected = client.secret if client else "\x00" + secret
        if not hmac.compare_digest(expected.encode(), secret.encode()) or client is None:
            raise _OAuthError(401, "invalid_client", "Invalid client or Invalid client credentials")
        return self.token_response(self.client_claims(client))

    def admin_tenant(self, authorization: str | None) -> str:
        """The tenant of a tenant admin's bearer token signed by this issuer (admin interface)."""
        token = (authorization or "").removeprefix("Bearer ").strip()
        for key in list(self._keys):
            try:
                claims = jwt.decode(
                    token,
                    key.private_key.public_key(),
                    algorithms=["RS256"],
                    audience=self.audience,
                    issuer=self.issuer,
                )
            except jwt.PyJWTError:
                continue
            roles = claims.get("resource_access", {}).get(self.client_id, {}).get("roles", [])
            orgs = claims.get("organization") or []
            if R.TENANT_ADMIN in roles and isinstance(orgs, list) and len(orgs) == 1:
                return str(orgs[0])
            raise _OAuthError(403, "forbidden", "a tenant admin of one tenant is required")
        raise _OAuthError(401, "invalid_token", "a bearer token of this issuer is required")

    # ------------------------------------------------------------ authorization code + PKCE

    def check_authorization_request(self, params: Mapping[str, str]) -> str | None:
        """Why the request cannot even be answered with a redirect (bad client or redirect
        URI: never redirect to those), else None."""
        if params.get("client_id", "") not in self.public_clients:
            return "unknown client_id"
        target = urlsplit(params.get("redirect_uri", ""))
        if target.scheme not in ("http", "https") or target.hostname not in LOOPBACK_HOSTS:
            return "redirect_uri must be an http(s) address on loopback"
        if target.fragment:
            return "redirect_uri must not have a fragment"
        return None

    def authorize(self, params: Mapping[str, str]) -> str:
        """Check a signed-in authorization request; return a one-time code."""
        if params.get("response_type") != "code":
            raise _OAuthError(400, "unsupported_response_type", "response_type must be code")
        challenge = params.get("code_challenge", "")
        if params.get("code_challenge_method") != "S256" or not 43 <= len(challenge) <= 128:
            raise _OAuthError(400, "invalid_request", "PKCE with S256 is required")
        user = self._check_password(params.get("username", ""), params.get("password", ""))
        code = _b64url(os.urandom(32))
        now = time.monotonic()
        with self._lock:
            for stale in [c for c, v in self._codes.items() if v.expires <= now]:
                del self._codes[stale]
            self._codes[code] = _AuthCode(
                username=user.username,
                client_id=params["client_id"],
                redirect_uri=params["redirect_uri"],
                challenge=challenge,
                expires=now + CODE_TTL_S,
            )
        return code

    def authorization_code_grant(self, form: Mapping[str, str]) -> dict[str, Any]:
        with self._lock:
            grant = self._codes.pop(form.get("code", ""), None)  # single use, even on failure
        if grant is None or grant.expires <= time.monotonic():
            raise _OAuthError(400, "invalid_grant", "Code not valid")
        if form.get("client_id") != grant.client_id:
            raise _OAuthError(400, "invalid_grant", "Code was issued to another client")
        if form.get("redirect_uri") != grant.redirect_uri:
            raise _OAuthError(400, "invalid_grant", "Incorrect redirect_uri")
        verifier = form.get("code_verifier", "")
        computed = _b64url(hashlib.sha256(verifier.encode("ascii", "replace")).digest())
        if not verifier or not hmac.compare_digest(computed, grant.challenge):
            raise _OAuthError(400, "invalid_grant", "PKCE verification failed")
        user = self.users.get(grant.username)
        if user is None:  # deactivated between sign-in and code exchange
            raise _OAuthError(400, "invalid_grant", "User not found")
        body = self.token_response(self.user_claims(user, azp=grant.client_id))
        body["id_token"] = self.id_token(user, grant.client_id)
        return body

    def id_token(self, user: DemoUser, client_id: str) -> str:
        """The OpenID Connect ID token of a code flow sign-in (audience: the client); its
        client sends it back as `id_token_hint` to sign out."""
        claims = self._base_claims(self.subject_of(user.username), client_id, None)
        claims.update(aud=client_id, typ="ID", preferred_username=user.username)
        for name in ("scope", "realm_access", "jti"):
            claims.pop(name, None)
        return self.sign(claims)

    def end_session(self, params: Mapping[str, str]) -> tuple[str | None, str]:
        """Check an RP-initiated logout request; (where to send the browser or None, the
        subject). The hint must be an ID token this issuer signed (expired is fine: signing
        out late is normal); the return address, as a redirect_uri, only on loopback."""
        hint = params.get("id_token_hint", "")
        try:
            kid = jwt.get_unverified_header(hint).get("kid")
            key = next(k for k in self._keys if k.kid == kid)
            claims = jwt.decode(
                hint, key.private_key.public_key(), algorithms=["RS256"], issuer=self.issuer,
                options={"verify_aud": False, "verify_exp": False},
            )  # fmt: skip
        except (jwt.PyJWTError, StopIteration):
            raise _OAuthError(400, "invalid_request", "id_token_hint not valid") from None
        client_id = params.get("client_id") or str(claims.get("aud", ""))
        if claims.get("aud") != client_id or client_id not in self.public_clients:
            raise _OAuthError(400, "invalid_request", "id_token_hint issued to another client")
        target = params.get("post_logout_redirect_uri")
        if target:
            refused = self.check_authorization_request(
                {"client_id": client_id, "redirect_uri": target}
            )
            if refused:
                raise _OAuthError(400, "invalid_request", f"post_logout_{refused}")
        with self._lock:
            self.ended_sessions.append((str(claims["sub"]), client_id))
        return target, str(claims["sub"])

    def _check_password(self, username: str, password: str, status: int = 401) -> DemoUser:
        """The user, or `status` (401 for the sign-in page, 400 at the token endpoint).

        As Keycloak: a disabled user, one with required actions left (set a password, verify
        the e-mail) or a member of a disabled (suspended) organization gets no token."""
        if not username or not password:
            raise _OAuthError(status, "invalid_grant", "Invalid user credentials")
        record = self.directory.authenticate(username, password)
        user = self._as_user(record) if record else None
        if user is None:
            raise _OAuthError(status, "invalid_grant", "Invalid user credentials")
        return user


@dataclass(frozen=True, slots=True)
class _AuthCode:
    username: str
    client_id: str
    redirect_uri: str
    challenge: str
    expires: float


_LOGIN_FIELDS = (
    "client_id",
    "redirect_uri",
    "response_type",
    "state",
    "scope",
    "nonce",
    "code_challenge",
    "code_challenge_method",
)


def _login_page(params: Mapping[str, str], error: str | None = None) -> str:
    hidden = "".join(
        f'<input type="hidden" name="{name}" value="{escape(params.get(name, ""))}">'
        for name in _LOGIN_FIELDS
        if params.get(name)
    )
    alert = (
        f'<p role="alert" id="login-error"><strong>{escape(error)}</strong></p>' if error else ""
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Sign in · ALAC development issuer</title></head>
<body><main>
<h1>Sign in to ALAC</h1>
<p>Development issuer (embedded mode): demo users sign in with the password demo + username,
e.g. lena / demolena.</p>
{alert}
<form method="post">{hidden}
<p><label for="username">Username</label><br>
<input id="username" name="username" autocomplete="username" required autofocus></p>
<p><label for="password">Password</label><br>
<input id="password" name="password" type="password" autocomplete="current-password" required></p>
<p><button type="submit">Sign in</button></p>
</form></main></body></html>"""


class _OAuthError(Exception):
    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description

    def response(self) -> JSONResponse:
        return JSONResponse(
            {"error": self.error, "error_description": self.description},
            status_code=self.status,
            headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
        )


def _basic_credentials(header: str | None) -> tuple[str, str] | None:
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        raise _OAuthError(
            401, "invalid_client", "Invalid client or Invalid client credentials"
        ) from None
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise _OAuthError(401, "invalid_client", "Invalid client or Invalid client credentials")
    return client_id, secret


async def _form(request: Request) -> dict[str, str]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        raise _OAuthError(400, "invalid_request", "Expected application/x-www-form-urlencoded")
    body = await request.body()
    if len(body) > 16_384:
        raise _OAuthError(400, "invalid_request", "Request too large")
    try:
        parsed = parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError:
        raise _OAuthError(400, "invalid_request", "Malformed form body") from None
    return {name: values[0] for name, values in parsed.items()}


LOOPBACK_ORIGIN = r"https?://(127\.0\.0\.1|localhost|\[::1\])(:[0-9]{1,5})?"


def create_dev_issuer_app(
    key_dir: Path,
    issuer: str,
    audience: str = "alac-api",
    client_id: str = "alac-api",
    users: Sequence[DemoUser] = DEMO_USERS,
    clients: Sequence[DemoClient] = DEMO_CLIENTS,
    token_ttl_s: int = 900,
    *,
    profile: str = "embedded",
    public_clients: Sequence[str] = ("alac-cli", "alac-web", "alac-docs"),
) -> FastAPI:
    """The development issuer as an ASGI app; `app.state.dev_issuer` is its `DevIssuer`."""
    if profile == "production":
        raise RuntimeError(
            "the production profile refuses the development token issuer; use Keycloak"
        )
    key = DevKey.load_or_create(Path(key_dir))
    dev = DevIssuer(
        key,
        issuer,
        audience=audience,
        client_id=client_id,
        users=users,
        clients=clients,
        token_ttl_s=token_ttl_s,
        public_clients=public_clients,
        registry=ClientRegistry(Path(key_dir)),
        directory=Directory(Path(key_dir) / DIRECTORY_FILE, client_id, R.ALL_ROLES),
    )
    prefix = urlsplit(dev.issuer).path.rstrip("/")
    app = FastAPI(
        title="ALAC development token issuer", docs_url=None, redoc_url=None, openapi_url=None
    )
    app.state.dev_issuer = dev
    # The OpenAPI pages (`alac-docs`, another origin: each service's own port) exchange the
    # code at the token endpoint from the browser, so the issuer answers CORS, as Keycloak does
    # for a client's web origins; only loopback origins, the only redirect targets it accepts.
    app.add_middleware(
        CORSMiddleware,
        allow_origin_regex=LOOPBACK_ORIGIN,
        allow_methods=["GET", "POST"],
        allow_headers=["Accept", "Content-Type", "Authorization", "X-Requested-With"],
    )

    @app.get(f"{prefix}/.well-known/openid-configuration")
    def discovery() -> JSONResponse:
        return JSONResponse(dev.discovery())

    @app.get(f"{prefix}/protocol/openid-connect/certs")
    def certs() -> JSONResponse:
        return JSONResponse(dev.jwks(), headers={"Cache-Control": "no-cache"})

    @app.get(f"{prefix}/protocol/openid-connect/auth")
    def authorization_form(request: Request) -> HTMLResponse:
        params = dict(request.query_params)
        refused = dev.check_authorization_request(params)
        if refused:
            return HTMLResponse(
                f"<!doctype html><title>Bad request</title><p>{escape(refused)}", 400
            )
        return HTMLResponse(_login_page(params), headers={"Cache-Control": "no-store"})

    @app.post(f"{prefix}/protocol/openid-connect/auth")
    async def authorization_submit(request: Request) -> Response:
        try:
            params = await _form(request)
        except _OAuthError as exc:
            return HTMLResponse(escape(exc.description), exc.status)
        refused = dev.check_authorization_request(params)
        if refused:
            return HTMLResponse(
                f"<!doctype html><title>Bad request</title><p>{escape(refused)}", 400
            )
        try:
            code = dev.authorize(params)
        except _OAuthError as exc:
            if exc.status == 401:  # wrong password: ask again, no redirect
                page = _login_page(params, "Invalid username or password.")
                return HTMLResponse(page, 401, headers={"Cache-Control": "no-store"})
            answer = {"error": exc.error, "error_description": exc.description}
        else:
            answer = {"code": code}
        if params.get("state"):
            answer["state"] = params["state"]
        separator = "&" if "?" in params["redirect_uri"] else "?"
        return RedirectResponse(
            params["redirect_uri"] + separator + urlencode(answer), status_code=303
        )

    @app.get(f"{prefix}/protocol/openid-connect/logout")
    def logout(request: Request) -> Response:
        params = dict(request.query_params)
        try:
            target, _ = dev.end_session(params)
        except _OAuthError as exc:
            return HTMLResponse(
                f"<!doctype html><title>Bad request</title><p>{escape(exc.description)}", 400
            )
        if target is None:
            return HTMLResponse("<!doctype html><title>Signed out</title><p>You are signed out.")
        if params.get("state"):
            target += ("&" if "?" in target else "?") + urlencode({"state": params["state"]})
        return RedirectResponse(target, status_code=302)

    @app.post(f"{prefix}/protocol/openid-connect/token")
    async def token(request: Request) -> JSONResponse:
        try:
            form = await _form(request)
            grant = form.get("grant_type", "")
            if grant == "password":
                body = dev.password_grant(form)
            elif grant == "authorization_code":
                body = dev.authorization_code_grant(form)
            elif grant == "client_credentials":
                body = dev.client_credentials_grant(
                    form, _basic_credentials(request.headers.get("authorization"))
                )
            elif not grant:
                raise _OAuthError(400, "invalid_request", "Missing form parameter: grant_type")
            else:
                raise _OAuthError(400, "unsupported_grant_type", "Unsupported grant_type")
        except _OAuthError as exc:
            return exc.response()
        return JSONResponse(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})

    _admin_routes(app, dev, f"/admin{prefix}/partner-clients")
    install_admin_api(app, dev, dev.directory)
    return app


def _admin_routes(app: FastAPI, dev: DevIssuer, base: str) -> None:
    """Partner clients through the admin interface (what Keycloak's admin API does for them)."""
    registry = dev.registry
    assert registry is not None

    async def _json(request: Request) -> dict[str, Any]:
        try:
            body = json.loads(await request.body() or b"{}")
        except ValueError:
            raise _OAuthError(400, "invalid_request", "malformed JSON") from None
        if not isinstance(body, dict):
            raise _OAuthError(400, "invalid_request", "expected a JSON object")
        return body

    def _owned(client_id: str, tenant: str) -> None:
        found = registry.get(client_id)
        if found is None or found.tenant != tenant:
            raise _OAuthError(404, "not_found", "no such partner client")

    @app.post(base)
    async def create_client(request: Request) -> JSONResponse:
        try:
            tenant = dev.admin_tenant(request.headers.get("authorization"))
            body = await _json(request)
            client_id = body.get("client_id")
            if not isinstance(client_id, str) or not client_id:
                raise _OAuthError(400, "invalid_request", "client_id missing")
            if client_id in dev.clients or client_id in dev.public_clients:
                raise _OAuthError(409, "conflict", "client_id taken")
            if body.get("tenant", tenant) != tenant:
                raise _OAuthError(403, "forbidden", "only for the admin's own tenant")
            try:
                secret = registry.create(client_id, tenant)
            except KeyError:
                raise _OAuthError(409, "conflict", "client_id taken") from None
        except _OAuthError as exc:
            return exc.response()
        return JSONResponse({"client_id": client_id, "secret": secret}, status_code=201)

    @app.post(base + "/{client_id}/rotate")
    async def rotate_secret(client_id: str, request: Request) -> JSONResponse:
        try:
            tenant = dev.admin_tenant(request.headers.get("authorization"))
            _owned(client_id, tenant)
            grace = (await _json(request)).get("grace_seconds", 0)
            if not isinstance(grace, int) or isinstance(grace, bool) or grace < 0:
                raise _OAuthError(400, "invalid_request", "grace_seconds must be >= 0")
            secret = registry.rotate(client_id, grace)
        except _OAuthError as exc:
            return exc.response()
        return JSONResponse({"client_id": client_id, "secret": secret})

    @app.delete(base + "/{client_id}")
    def delete_client(client_id: str, request: Request) -> Response:
        try:
            _owned(client_id, dev.admin_tenant(request.headers.get("authorization")))
        except _OAuthError as exc:
            return exc.response()
        registry.delete(client_id)
        return Response(status_code=204)


__all__ = [
    "DEV_ADMIN_CLIENT",
    "DEV_ADMIN_SECRET",
    "DEMO_CLIENTS",
    "DEMO_USERS",
    "DemoClient",
    "DemoUser",
    "DevIssuer",
    "DevKey",
    "create_dev_issuer_app",
    "mint_token",
]
