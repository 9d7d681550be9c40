"""The development token issuer of the embedded mode, shaped like a Keycloak realm.

It serves, under the issuer URL's path (e.g. `/realms/alac-dev`):

- `/.well-known/openid-configuration`  discovery document
- `/protocol/openid-connect/certs`      JWKS (RS256 keys, kid `alac-dev-<thumbprint>`)
- `/protocol/openid-connect/token`     `grant_type=password` (demo users),
                                        `grant_type=client_credentials` (demo partner clients) and
                                        `grant_type=authorization_code` (with PKCE)
- `/protocol/openid-connect/auth`      the authorization endpoint of the code flow: a sign-in
                                        form (kk/ru/en by `ui_locales`: dev_login.py), then a
                                        redirect with the code
- `/protocol/openid-connect/logout`    end session (OpenID Connect RP-Initiated Logout)
- `/admin/realms/<realm>/partner-clients` the admin interface for partner systems (create,
                                        rotate the secret, delete; a tenant admin's token of
                                        this issuer, for its own tenant): see dev_clients.py

The protocol itself (requests checked, errors shaped as RFC 6749 says, PKCE, logout) is
Authlib's authorization server: see dev_oauth.py. This module holds what is Keycloak's own:
the users and clients of the realm, the claims of its tokens, and the keys.

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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jwt
from authlib.oauth2.rfc6749 import InvalidGrantError, InvalidRequestError, OAuth2Error
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI, Request, Response
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import HTMLResponse, JSONResponse
from jwt.algorithms import RSAAlgorithm

from alac_kernel.auth import roles as R
from alac_kernel.auth.dev_admin import ADMIN_ROLES, install_admin_api
from alac_kernel.auth.dev_clients import ClientRegistry
from alac_kernel.auth.dev_directory import DIRECTORY_FILE, Directory
from alac_kernel.auth.dev_login import login_page
from alac_kernel.auth.dev_oauth import IssuerClient, IssuerServer, oauth_request
from alac_kernel.auth.verifier import DEV_KID_PREFIX

KEY_FILE = "dev-issuer-key.pem"
KEY_BITS = 2048


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
        public = RSAAlgorithm.to_jwk(self.private_key.public_key(), as_dict=True)
        return {"kid": self.kid, "kty": "RSA", "alg": "RS256", "use": "sig",
                "n": public["n"], "e": public["e"]}  # fmt: skip


def _thumbprint(public_key: rsa.RSAPublicKey) -> str:
    """RFC 7638 JWK thumbprint (SHA-256, base64url)."""
    public = RSAAlgorithm.to_jwk(public_key, as_dict=True)
    canonical = json.dumps({k: public[k] for k in ("e", "kty", "n")}, separators=(",", ":"))
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
            roles=tuple(self.directory.effective_roles(record)),
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

    # ------------------------------------------------------------ clients (for dev_oauth)

    def client(self, client_id: str) -> IssuerClient | None:
        """A client of this realm as the protocol sees it (see `dev_oauth.IssuerClient`)."""
        if client_id in self.public_clients:
            return IssuerClient(client_id, True, frozenset({"password", "authorization_code"}))
        partner = frozenset({"client_credentials"})
        if client_id == DEV_ADMIN_CLIENT:
            return IssuerClient(client_id, False, partner, _secret_is(DEV_ADMIN_SECRET))
        demo = self.clients.get(client_id)
        if demo is not None:
            return IssuerClient(client_id, False, partner, _secret_is(demo.secret), demo)
        registered = self.registry.get(client_id) if self.registry else None
        if registered is None:
            return None
        # a partner system registered through the admin interface (current or, during a
        # rotation's grace period, previous secret)
        return IssuerClient(
            client_id, False, partner,
            lambda secret: registered.accepts(secret, time.time()),
            DemoClient(client_id, "", registered.tenant),
        )  # fmt: skip

    def service_account_claims(self, client: IssuerClient) -> dict[str, Any]:
        """The claims of a confidential client's own token (client credentials)."""
        if client.account is None:
            return self.admin_claims()
        return self.client_claims(client.account)

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

    def id_token(self, user: DemoUser, client_id: str) -> str:
        """The OpenID Connect ID token of a code flow sign-in (audience: the client); its
        client sends it back as `id_token_hint` to sign out."""
        claims = self._base_claims(self.subject_of(user.username), client_id, None)
        claims.update(aud=client_id, typ="ID", preferred_username=user.username)
        for name in ("scope", "realm_access", "jti"):
            claims.pop(name, None)
        return self.sign(claims)

    def record_end_session(self, subject: str, client: IssuerClient) -> None:
        """A client signed its user out (RP-initiated logout): this issuer keeps no single
        sign-on session (it asks for the password on every sign-in), so ending one is only
        recorded; the list lets tests see that a client asked."""
        with self._lock:
            self.ended_sessions.append((subject, client.client_id))

    def check_password(self, username: str, password: str) -> DemoUser:
        """The user, or invalid_grant. As Keycloak: a disabled user, one with required actions
        left (set a password, verify the e-mail) or a member of a disabled (suspended)
        organization gets no token."""
        record = self.directory.authenticate(username, password) if username and password else None
        user = self._as_user(record) if record else None
        if user is None:
            raise InvalidGrantError("Invalid user credentials")
        return user


def _secret_is(expected: str) -> Callable[[str], bool]:
    return lambda given: hmac.compare_digest(given.encode(), expected.encode())


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


def _see_other(answer: Response) -> Response:
    """A redirect answering the sign-in form's POST: 303, so the browser GETs the callback."""
    if answer.status_code == 302:
        answer.status_code = 303
    return answer


def _bad_request(description: str) -> HTMLResponse:
    """A request the issuer cannot even redirect back (unknown client, a redirect URI it does
    not accept): the browser stays here, as RFC 6749 4.1.2.1 asks."""
    return HTMLResponse(f"<!doctype html><title>Bad request</title><p>{escape(description)}", 400)


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
    # Authlib refuses plain HTTP off loopback; this issuer serves plain HTTP by design (the
    # developer's machine, the tests' in-process http://issuer.test) and only in the embedded
    # mode (refused above for production). Only Authlib reads the variable; the platform uses
    # Authlib nowhere else.
    os.environ.setdefault("AUTHLIB_INSECURE_TRANSPORT", "1")
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
    server = IssuerServer(dev)
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
    async def authorization_form(request: Request) -> Response:
        try:
            params = await oauth_request(request)
            server.consent(params)
        except OAuth2Error as error:
            return _refused(error, see_other=False)
        page = login_page(params.payload.data)
        return HTMLResponse(page, headers={"Cache-Control": "no-store"})

    @app.post(f"{prefix}/protocol/openid-connect/auth")
    async def authorization_submit(request: Request) -> Response:
        try:
            params = await oauth_request(request)
            grant = server.consent(params)
        except OAuth2Error as error:
            return _refused(error, see_other=True)
        form = params.payload.data
        try:
            user = dev.check_password(form.get("username") or "", form.get("password") or "")
        except InvalidGrantError:  # wrong password: ask again, no redirect
            page = login_page(form, refused=True)
            return HTMLResponse(page, 401, headers={"Cache-Control": "no-store"})
        return _see_other(server.authorize(params, user, grant))

    def _refused(error: OAuth2Error, *, see_other: bool) -> Response:
        if not error.redirect_uri:
            return _bad_request(str(error.get_error_description() or error.error))
        answer = server.error(error)
        return _see_other(answer) if see_other else answer

    @app.get(f"{prefix}/protocol/openid-connect/logout")
    async def logout(request: Request) -> Response:
        try:
            answer = server.logout(await oauth_request(request))
        except OAuth2Error as error:
            return _bad_request(str(error.get_error_description() or error.error))
        return answer or HTMLResponse(
            "<!doctype html><title>Signed out</title><p>You are signed out."
        )

    @app.post(f"{prefix}/protocol/openid-connect/token")
    async def token(request: Request) -> Response:
        try:
            params = await oauth_request(request)
            if not params.payload.grant_type:
                raise InvalidRequestError("Missing form parameter: grant_type")
        except OAuth2Error as error:
            return server.error(error)
        return server.token(params)

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
