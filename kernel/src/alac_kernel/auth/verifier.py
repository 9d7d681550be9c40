"""Verification of OIDC bearer tokens the way Keycloak issues them.

RS256 only; signing keys come from the issuer's JWKS endpoint and are cached by `kid`. A token
with an unknown `kid` triggers one JWKS refresh (key rotation), but never more often than
`min_refresh_s`, so a flood of tokens with made-up key ids cannot hammer the issuer. The issuer
must match exactly, the audience must be (one of) `aud`, and `exp`/`nbf`/`iat` are checked with
a small leeway. The tenant is the single organization of the `organization` claim. A verified
token is remembered for a minute (VERIFIED_FOR_S), never past its expiry or its key.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from alac_kernel.auth.principal import Principal

if TYPE_CHECKING:
    from alac_kernel.settings import Settings

log = logging.getLogger("alac.auth")

ALGORITHM = "RS256"
DEV_KID_PREFIX = "alac-dev-"
MAX_TOKEN_CHARS = 16_384
MIN_RSA_BITS = 2048
REQUIRED_CLAIMS = ("exp", "iat", "iss", "aud", "sub")
# A token verified once is taken at its word for a minute (never past its expiry, and only
# while its signing key is still in the key set): a client sends the same token with every
# request, and the signature check and claim parsing cost more than many a request's work.
VERIFIED_FOR_S = 60.0
VERIFIED_MAX = 4096  # tokens remembered at most (then forgotten all at once)

REASONS = frozenset(
    {
        "malformed",
        "algorithm",
        "unknown_key",
        "bad_signature",
        "expired",
        "not_yet_valid",
        "wrong_issuer",
        "wrong_audience",
        "no_tenant",
        "dev_key_refused",
        "jwks_unavailable",
    }
)


class AuthError(Exception):
    """A token was refused. `reason` is a stable code (see REASONS); `detail` says why."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


class JwksUnavailable(AuthError):
    """The issuer's key set could not be fetched: a server-side problem, not the caller's."""

    def __init__(self, detail: str) -> None:
        super().__init__("jwks_unavailable", detail)


class TokenVerifier:
    """Verifies access tokens and turns them into a `Principal`. Safe to share between threads."""

    def __init__(
        self,
        issuer: str,
        audience: str,
        client_id: str,
        jwks_url: str,
        leeway_s: float = 30,
        min_refresh_s: float = 10.0,
        http: httpx.Client | None = None,
        refuse_dev_keys: bool = False,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.issuer = issuer
        self.audience = audience
        self.client_id = client_id
        self.jwks_url = jwks_url
        self.leeway_s = leeway_s
        self.min_refresh_s = min_refresh_s
        self.refuse_dev_keys = refuse_dev_keys
        self._http = http or httpx.Client(timeout=httpx.Timeout(5.0))
        self._owns_http = http is None
        self._clock = clock
        self._keys: dict[str, RSAPublicKey] = {}
        self._last_fetch: float | None = None
        self._lock = threading.Lock()
        # token -> (principal, kid, remembered until (clock), expiry (epoch s, with leeway))
        self._verified: dict[str, tuple[Principal, str, float, float]] = {}

    @classmethod
    def from_settings(cls, settings: Settings, http: httpx.Client | None = None) -> TokenVerifier:
        """The verifier the settings describe; the production profile refuses dev keys."""
        return cls(
            issuer=settings.auth_issuer,
            audience=settings.auth_audience,
            client_id=settings.auth_client_id,
            jwks_url=settings.jwks_url,
            leeway_s=settings.auth_leeway_s,
            min_refresh_s=settings.auth_jwks_min_refresh_s,
            http=http,
            refuse_dev_keys=settings.profile == "production",
        )

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    # ---------------------------------------------------------------- keys

    @property
    def known_kids(self) -> frozenset[str]:
        return frozenset(self._keys)

    def refresh_keys(self) -> None:
        """Fetch the JWKS now, regardless of the refresh interval (e.g. at start-up)."""
        with self._lock:
            self._last_fetch = self._clock()
            self._keys = self._fetch_jwks()

    def _key_for(self, kid: str) -> RSAPublicKey:
        key = self._keys.get(kid)
        if key is not None:
            return key
        with self._lock:
            # Another thread may have refreshed while this one waited for the lock.
            key = self._keys.get(kid)
            if key is not None:
                return key
            now = self._clock()
            if self._last_fetch is not None and now - self._last_fetch < self.min_refresh_s:
                raise AuthError(
                    "unknown_key",
                    f"the issuer has no signing key {kid!r} (key set refreshed "
                    f"{now - self._last_fetch:.1f}s ago)",
                )
            self._last_fetch = now  # failures count too: a down issuer is not hammered either
            self._keys = self._fetch_jwks()
            key = self._keys.get(kid)
        if key is None:
            raise AuthError("unknown_key", f"the issuer has no signing key {kid!r}")
        return key

    def _fetch_jwks(self) -> dict[str, RSAPublicKey]:
        try:
            response = self._http.get(self.jwks_url, headers={"Accept": "application/json"})
            response.raise_for_status()
            document = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("JWKS fetch failed", extra={"jwks_url": self.jwks_url, "error": str(exc)})
            raise JwksUnavailable(f"could not fetch the issuer's keys: {exc}") from exc
        entries = document.get("keys") if isinstance(document, dict) else None
        if not isinstance(entries, list):
            raise JwksUnavailable("the issuer's JWKS document has no 'keys' list")
        keys: dict[str, RSAPublicKey] = {}
        for entry in entries:
            parsed = _signing_key(entry)
            if parsed is not None:
                keys[parsed[0]] = parsed[1]
        log.info("JWKS fetched", extra={"jwks_url": self.jwks_url, "kids": sorted(keys)})
        return keys

    # ---------------------------------------------------------------- tokens

    def verify(self, token: str) -> Principal:
        """The principal of a valid token; raises `AuthError` naming the reason otherwise."""
        if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_CHARS:
            raise AuthError("malformed", "the token is empty or too long")
        known = self._verified.get(token)
        if known is not None:
            remembered, signed_by, until, expires = known
            if self._clock() < until and time.time() < expires and signed_by in self._keys:
                return remembered
            self._verified.pop(token, None)
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise AuthError(
                "malformed", f"the token is not a JWS compact serialization: {exc}"
            ) from exc
        alg = header.get("alg")
        if alg != ALGORITHM:
            raise AuthError("algorithm", f"algorithm {alg!r} is not accepted; only {ALGORITHM}")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise AuthError("unknown_key", "the token header names no key id (kid)")
        if self.refuse_dev_keys and kid.startswith(DEV_KID_PREFIX):
            raise AuthError(
                "dev_key_refused",
                f"key {kid!r} belongs to the development issuer, refused by this profile",
            )
        key = self._key_for(kid)
        claims = self._decode(token, key)
        principal = self._principal(claims)
        if len(self._verified) >= VERIFIED_MAX:
            self._verified.clear()
        expires = float(claims["exp"]) + self.leeway_s  # what _decode accepts
        self._verified[token] = (principal, kid, self._clock() + VERIFIED_FOR_S, expires)
        return principal

    def _decode(self, token: str, key: RSAPublicKey) -> dict[str, Any]:
        try:
            return jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway_s,
                options={"require": list(REQUIRED_CLAIMS), "verify_sub": True, "verify_jti": True},
            )
        except jwt.InvalidSignatureError as exc:
            raise AuthError("bad_signature", "the signature does not verify") from exc
        except jwt.ExpiredSignatureError as exc:
            raise AuthError("expired", "the token has expired") from exc
        except jwt.ImmatureSignatureError as exc:
            raise AuthError("not_yet_valid", f"the token is not valid yet ({exc})") from exc
        except jwt.InvalidIssuerError as exc:
            raise AuthError("wrong_issuer", f"the token was not issued by {self.issuer}") from exc
        except jwt.InvalidAudienceError as exc:
            raise AuthError(
                "wrong_audience", f"the token is not meant for {self.audience!r}"
            ) from exc
        except jwt.MissingRequiredClaimError as exc:
            reason = {"iss": "wrong_issuer", "aud": "wrong_audience"}.get(exc.claim, "malformed")
            raise AuthError(reason, f"the token has no {exc.claim!r} claim") from exc
        except jwt.InvalidAlgorithmError as exc:
            raise AuthError("algorithm", str(exc)) from exc
        except jwt.PyJWTError as exc:
            raise AuthError("malformed", f"the token cannot be decoded: {exc}") from exc

    def _principal(self, claims: Mapping[str, Any]) -> Principal:
        typ = claims.get("typ")
        if typ is not None and typ != "Bearer":
            # Keycloak ID tokens (typ "ID") carry the client as audience too; not access tokens.
            raise AuthError("malformed", f"a token of type {typ!r} is not an access token")
        office = claims.get("office")
        if office is not None and not isinstance(office, str):
            raise AuthError("malformed", "the 'office' claim must be a string")
        return Principal(
            subject=str(claims["sub"]),
            username=_optional_str(claims.get("preferred_username")),
            tenant=_tenant(claims),
            office=office or None,
            roles=_roles(claims, self.client_id),
            client_id=_optional_str(claims.get("azp")),
            token_id=_optional_str(claims.get("jti")),
            name=_optional_str(claims.get("name")),
        )


def _signing_key(entry: object) -> tuple[str, RSAPublicKey] | None:
    """A usable RS256 signature key from one JWKS entry, or None (encryption keys, EC keys...)."""
    if not isinstance(entry, dict):
        return None
    kid = entry.get("kid")
    if not isinstance(kid, str) or not kid or entry.get("kty") != "RSA":
        return None
    if entry.get("use", "sig") != "sig" or entry.get("alg", ALGORITHM) != ALGORITHM:
        return None
    try:
        key = jwt.PyJWK(entry, algorithm=ALGORITHM).key
    except jwt.PyJWTError as exc:
        log.warning("JWKS entry skipped", extra={"kid": kid, "error": str(exc)})
        return None
    if not isinstance(key, RSAPublicKey) or key.key_size < MIN_RSA_BITS:
        log.warning(
            "JWKS entry skipped: not an RSA public key of at least 2048 bits", extra={"kid": kid}
        )
        return None
    return kid, key


def _optional_str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _tenant(claims: Mapping[str, Any]) -> str:
    """The one organization of Keycloak's `organization` claim, in list or map form."""
    if "organization" not in claims:
        raise AuthError("no_tenant", "the token has no 'organization' claim")
    orgs = claims["organization"]
    if isinstance(orgs, Mapping):  # {"tk-almaty": {"id": "..."}}
        names = list(orgs.keys())
    elif isinstance(orgs, list):  # ["tk-almaty"]
        names = list(orgs)
    else:
        raise AuthError("no_tenant", "the 'organization' claim is neither a list nor a map")
    if not names:
        raise AuthError("no_tenant", "the token names no organization")
    if len(names) > 1:
        raise AuthError(
            "no_tenant",
            f"the token names {len(names)} organizations ({', '.join(map(str, names))}); "
            "exactly one is required",
        )
    name = names[0]
    if not isinstance(name, str) or not name.strip():
        raise AuthError("no_tenant", "the organization name is empty or not a string")
    return name


def _roles(claims: Mapping[str, Any], client_id: str) -> frozenset[str]:
    roles: set[str] = set()
    realm = claims.get("realm_access")
    if isinstance(realm, Mapping):
        roles.update(_str_list(realm.get("roles")))
    resources = claims.get("resource_access")
    if isinstance(resources, Mapping):
        client = resources.get(client_id)
        if isinstance(client, Mapping):
            roles.update(_str_list(client.get("roles")))
    return frozenset(roles)


def _str_list(value: object) -> list[str]:
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, str) and item]
