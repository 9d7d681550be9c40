"""The OAuth 2.0 / OpenID Connect protocol of the development issuer, on Authlib's server.

Authlib's `AuthorizationServer` checks the requests and shapes the answers (RFC 6749 errors,
RFC 7636 PKCE, OpenID Connect RP-Initiated Logout); this module only says what Authlib leaves
to an application: which clients exist, where codes are kept, who the user is, and what a
token looks like (`DevIssuer` signs Keycloak-shaped JWTs). Authlib has no integration for
Starlette servers, so the few lines of framework glue are here too (`oauth_request`,
`IssuerServer.handle_response`), as its docs on custom frameworks describe.

What it serves, as Keycloak's realm does for these clients:

- public clients (`alac-cli`, `alac-web`, `alac-docs`, the API's own): the password grant and
  the authorization code flow, PKCE with S256 required, redirect URIs on loopback only;
- confidential clients (demo and registered partner systems, the admin client): the
  client-credentials grant with `client_secret_basic` or `client_secret_post`.

No refresh tokens (as the issuer never had them: `refresh_expires_in` is 0), so nothing is
stored but the codes, single-use and valid for 60 seconds.
"""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from authlib.oauth2.rfc6749 import (
    AuthorizationServer,
    ClientMixin,
    InvalidClientError,
    InvalidRequestError,
    OAuth2Error,
    OAuth2Request,
)
from authlib.oauth2.rfc6749.grants import (
    AuthorizationCodeGrant,
    ClientCredentialsGrant,
    ResourceOwnerPasswordCredentialsGrant,
)
from authlib.oauth2.rfc6749.requests import OAuth2Payload
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.rpinitiated import EndSessionEndpoint, EndSessionRequest
from fastapi import Request, Response
from fastapi.responses import JSONResponse

if TYPE_CHECKING:
    from alac_kernel.auth.dev_issuer import DemoClient, DemoUser, DevIssuer

CODE_TTL_S = 60
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
MAX_FORM_BYTES = 16_384


def _no_secret(secret: str) -> bool:
    return False


@dataclass(frozen=True, slots=True)
class IssuerClient(ClientMixin):
    """A client of the issuer, as Keycloak's realm registers it. `account` is the service
    account of a partner client; the admin client has none (it administers the realm)."""

    client_id: str
    public: bool
    grant_types: frozenset[str]
    secret_ok: Callable[[str], bool] = _no_secret
    account: DemoClient | None = None

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str:
        return ""  # none: every authorization request names its redirect URI

    def get_allowed_scope(self, scope: Collection[str] | str | None) -> str:
        return scope if isinstance(scope, str) else ""  # any scope: tokens carry Keycloak's

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        # No registered URIs (Keycloak checks its list): any http(s) address on loopback.
        target = urlsplit(redirect_uri)
        return (
            self.public
            and target.scheme in ("http", "https")
            and target.hostname in LOOPBACK_HOSTS
            and not target.fragment
        )

    def check_client_secret(self, client_secret: str) -> bool:
        return not self.public and self.secret_ok(client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if self.public:
            return method == "none"
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return self.public and response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in self.grant_types


@dataclass(frozen=True, slots=True)
class IssuedCode:
    """What a code stands for, until it is redeemed (or 60 seconds pass)."""

    username: str
    client_id: str
    redirect_uri: str
    scope: str
    code_challenge: str
    code_challenge_method: str
    expires: float

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope


class CodeStore:
    """Codes in memory: a restart only costs a sign-in in progress."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._codes: dict[str, IssuedCode] = {}

    def put(self, code: str, issued: IssuedCode) -> None:
        now = time.monotonic()
        with self._lock:
            for stale in [c for c, v in self._codes.items() if v.expires <= now]:
                del self._codes[stale]
            self._codes[code] = issued

    def take(self, code: str) -> IssuedCode | None:
        """The code's grant, removed at once: single use even when the redemption fails, so
        a stolen code cannot be retried with guessed verifiers."""
        with self._lock:
            issued = self._codes.pop(code, None)
        return issued if issued is not None and issued.expires > time.monotonic() else None


# ------------------------------------------------------------------ grants


class PasswordGrant(ResourceOwnerPasswordCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["none"]

    def validate_token_request(self) -> None:
        form = self.request.form
        # As the issuer always answered: no client_id means the API's own public client, and a
        # missing username or password is a wrong one (invalid_grant, as Keycloak says).
        form.setdefault("client_id", self.server.dev.client_id)
        form.setdefault("username", "")
        form.setdefault("password", "")
        super().validate_token_request()

    def authenticate_user(self, username: str, password: str) -> DemoUser:
        dev: DevIssuer = self.server.dev
        return dev.check_password(username, password)


class CodeGrant(AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["none"]  # public clients only (browser applications)

    def save_authorization_code(self, code: str, request: OAuth2Request) -> None:
        data = _data(request)
        assert request.user is not None and request.client is not None
        user: DemoUser = request.user
        self.server.codes.put(
            code,
            IssuedCode(
                username=user.username,
                client_id=request.client.get_client_id(),
                redirect_uri=data["redirect_uri"],
                scope=request.scope or "",
                code_challenge=data["code_challenge"],
                code_challenge_method=data["code_challenge_method"],
                expires=time.monotonic() + CODE_TTL_S,
            ),
        )

    def query_authorization_code(self, code: str, client: ClientMixin) -> IssuedCode | None:
        issued: IssuedCode | None = self.server.codes.take(code)
        return issued if issued and issued.client_id == client.get_client_id() else None

    def delete_authorization_code(self, authorization_code: IssuedCode) -> None:
        pass  # taken from the store when it was looked up

    def authenticate_user(self, authorization_code: IssuedCode) -> DemoUser | None:
        # None (invalid_grant) when the user was deactivated between sign-in and exchange
        users: dict[str, DemoUser] = self.server.dev.users
        return users.get(authorization_code.username)


class S256Required(CodeChallenge):
    """PKCE for every code (Authlib would let a request without a challenge through, and
    accept `plain`): a browser application's code is worthless without its verifier."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]

    def validate_code_challenge(self, grant: CodeGrant, redirect_uri: str) -> None:
        if _data(grant.request).get("code_challenge_method") != "S256":
            raise InvalidRequestError("PKCE with S256 is required")
        super().validate_code_challenge(grant, redirect_uri)


class PartnerGrant(ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]


class EndSession(EndSessionEndpoint):
    """RP-initiated logout. Stricter than Authlib's defaults, as the issuer always was: the
    ID token hint is required and must be ours, and a return address that is refused is an
    error rather than silently ignored."""

    def get_server_jwks(self) -> dict[str, Any]:
        jwks: dict[str, Any] = self.server.dev.jwks()
        return jwks

    def get_algorithms(self) -> list[str]:
        return ["RS256"]

    def _is_valid_post_logout_redirect_uri(self, client: IssuerClient, uri: str) -> bool:
        return client.check_redirect_uri(uri)

    def validate_request(self, request: OAuth2Request) -> EndSessionRequest:
        try:
            found = super().validate_request(request)
        except ValueError:  # a hint that is not a JWT of one of our keys
            raise InvalidRequestError("id_token_hint not valid") from None
        claims = found.id_token_claims
        if not claims or claims.get("iss") != self.server.dev.issuer:
            raise InvalidRequestError("id_token_hint not valid")
        if found.client is None or not found.client.public:
            raise InvalidRequestError("id_token_hint issued to another client")
        if _data(request).get("post_logout_redirect_uri") and not found.redirect_uri:
            raise InvalidRequestError("post_logout_redirect_uri not allowed")
        return found

    def end_session(self, end_session_request: EndSessionRequest) -> None:
        claims = end_session_request.id_token_claims or {}
        self.server.dev.record_end_session(str(claims["sub"]), end_session_request.client)


# ------------------------------------------------------------------ the server


class IssuerServer(AuthorizationServer):
    def __init__(self, dev: DevIssuer) -> None:
        super().__init__()
        self.dev = dev
        self.codes = CodeStore()
        self.register_grant(PasswordGrant)
        self.register_grant(CodeGrant, [S256Required(required=True)])
        self.register_grant(PartnerGrant)
        self.register_endpoint(EndSession)
        # (Authlib calls any callable; its stubs name only its own generator class)
        self.register_token_generator("default", self._token)  # type: ignore[arg-type]

    # (None for an unknown client, which Authlib expects; its stubs forget the None)
    def query_client(self, client_id: str) -> IssuerClient | None:  # type: ignore[override]
        return self.dev.client(client_id)

    def save_token(self, token: Mapping[str, Any], request: OAuth2Request) -> None:
        pass  # signed JWTs, no refresh tokens: nothing to keep

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        pass  # no one listens

    def _token(
        self,
        grant_type: str,
        client: IssuerClient,
        user: DemoUser | None = None,
        scope: str | None = None,
        expires_in: int | None = None,
        include_refresh_token: bool = True,
    ) -> dict[str, Any]:
        dev = self.dev
        if user is None:
            return dev.token_response(dev.service_account_claims(client))
        body = dev.token_response(dev.user_claims(user, azp=client.client_id))
        if grant_type == "authorization_code":
            body["id_token"] = dev.id_token(user, client.client_id)
        return body

    # Typed doors for the routes: Authlib's own methods are typed loosely (`object`).

    def consent(self, request: OAuth2Request) -> CodeGrant:
        """The authorization request's grant, checked (client, redirect URI, PKCE), or an
        OAuth2Error: with `redirect_uri` set when the client may be told by redirect."""
        grant = self.get_consent_grant(request)  # type: ignore[no-untyped-call]  # (stubs)
        assert isinstance(grant, CodeGrant)
        return grant

    def authorize(self, request: OAuth2Request, user: DemoUser, grant: CodeGrant) -> Response:
        return _response(self.create_authorization_response(request, user, grant))

    def token(self, request: OAuth2Request) -> Response:
        return _response(self.create_token_response(request))

    def logout(self, request: OAuth2Request) -> Response | None:
        """The redirect back to the client, or None (no return address: say signed out)."""
        ending = self.validate_endpoint_request("end_session", request)
        answer = self.create_endpoint_response("end_session", ending)  # type: ignore[no-untyped-call]
        return None if answer is None else _response(answer)

    def error(self, error: OAuth2Error) -> Response:
        return _response(self.handle_error_response(None, error))

    # Authlib's framework hooks

    def create_oauth2_request(self, request: OAuth2Request) -> OAuth2Request:
        return request  # built beforehand by `oauth_request` (reading a body is async)

    def handle_response(self, status: int, body: Any, headers: Mapping[str, str]) -> Response:
        # (headers come as a list of pairs: dict() takes both)
        if isinstance(body, dict):
            return JSONResponse(body, status, dict(headers))
        return Response(body or b"", status, dict(headers))

    def handle_error_response(self, request: OAuth2Request | None, error: OAuth2Error) -> object:
        if error.error == "invalid_client":  # Keycloak's answer to every client it refuses
            error.status_code = 401
            error.description = "Invalid client or Invalid client credentials"
        return self.handle_response(*error())


def _data(request: OAuth2Request) -> dict[str, str]:
    assert request.payload is not None  # set by `oauth_request`
    return request.payload.data


def _response(answer: object) -> Response:
    assert isinstance(answer, Response)  # what handle_response makes
    return answer


# ------------------------------------------------------------------ framework glue


class _Payload(OAuth2Payload):
    def __init__(self, datalist: dict[str, list[str]]) -> None:
        self._datalist = datalist
        self._data = {name: values[0] for name, values in datalist.items()}

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> dict[str, list[str]]:
        return self._datalist


class _Request(OAuth2Request):
    payload: _Payload

    def __init__(self, request: Request, datalist: dict[str, list[str]]) -> None:
        super().__init__(request.method, str(request.url), headers=request.headers)
        self.payload = _Payload(datalist)

    @property
    def args(self) -> dict[str, str | None]:
        return dict(self.payload.data)

    @property
    def form(self) -> dict[str, str]:
        return self.payload.data  # one dict: a default set in the form is in the payload too


async def oauth_request(request: Request) -> _Request:
    """Authlib's view of a request: the query of a GET, the form body of a POST (which must
    be application/x-www-form-urlencoded and at most 16 KiB)."""
    datalist: dict[str, list[str]] = {}
    if request.method == "GET":
        items = request.query_params.multi_items()
    else:
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/x-www-form-urlencoded":
            raise InvalidRequestError("Expected application/x-www-form-urlencoded")
        body = await request.body()
        if len(body) > MAX_FORM_BYTES:
            raise InvalidRequestError("Request too large")
        try:
            items = parse_qsl(body.decode("utf-8"), keep_blank_values=True)
        except UnicodeDecodeError:
            raise InvalidRequestError("Malformed form body") from None
    for name, value in items:
        datalist.setdefault(name, []).append(value)
    _check_basic(request.headers.get("authorization", ""))
    return _Request(request, datalist)


def _check_basic(header: str) -> None:
    """Authlib reads HTTP Basic credentials that are not UTF-8 with an uncaught
    UnicodeDecodeError (a 500): refuse them here as the bad client credentials they are."""
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() == "basic":
        try:
            base64.b64decode(credentials).decode("utf-8")
        except ValueError:  # binascii.Error and UnicodeDecodeError alike
            raise InvalidClientError(status_code=401) from None
