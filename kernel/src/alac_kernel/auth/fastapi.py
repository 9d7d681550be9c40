"""FastAPI integration: the bearer token of each request becomes a `Principal`.

    app = FastAPI()
    install_problem_handlers(app)
    install_auth(app, TokenVerifier.from_settings(settings))

    @app.get("/cases")
    def list_cases(principal: CurrentPrincipal): ...

    @app.post("/cases/{id}/letters")
    def write_letter(principal: Annotated[Principal, Depends(require_roles(LAWYER))]): ...

Refusals are RFC 9457 problems: 401 with a `WWW-Authenticate: Bearer ...` challenge (RFC 6750)
naming the reason, 403 naming the roles required, 503 when the issuer's keys are unreachable.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, cast

from fastapi import Depends, FastAPI, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from alac_kernel.auth.principal import Principal
from alac_kernel.auth.roles import ALL_ROLES
from alac_kernel.auth.verifier import AuthError, JwksUnavailable, TokenVerifier
from alac_kernel.problems import Problem

STATE_VERIFIER = "auth_verifier"
# Declared, not used to parse: through it FastAPI writes the `bearer` security scheme into the
# OpenAPI document and `security` on every operation that needs a token, so Swagger UI offers
# "Authorize". current_principal reads the header itself (its own problems and challenges).
BEARER = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    bearerFormat="JWT",
    description=(
        "An access token of the platform's issuer (Keycloak, or the development issuer: "
        "`alac token <user>`)."
    ),
)


STATE_TENANT_GATE = "auth_tenant_gate"
# A tenant's refusal (`suspended`, `offboarded`) or None: alac_kernel.tenants.standing.
TenantGate = Callable[[str], str | None]


def install_auth(
    app: FastAPI, verifier: TokenVerifier, tenant_gate: TenantGate | None = None
) -> None:
    """Make `verifier` the one `current_principal` uses for this app; with `tenant_gate`, the
    still-valid tokens of a tenant it refuses (suspended, offboarded) get a 403."""
    setattr(app.state, STATE_VERIFIER, verifier)
    setattr(app.state, STATE_TENANT_GATE, tenant_gate)


def _verifier(request: Request) -> TokenVerifier:
    verifier = getattr(request.app.state, STATE_VERIFIER, None)
    if verifier is None:
        raise RuntimeError("install_auth(app, verifier) was not called for this app")
    return cast(TokenVerifier, verifier)


def _quoted(text: str) -> str:
    """Safe inside a quoted-string of an HTTP header: no quotes, backslashes or control chars."""
    return "".join(ch if ch.isprintable() and ch not in '"\\' else "'" for ch in text)[:200]


def _unauthorized(
    detail: str, error: str | None = None, description: str | None = None, **extensions: Any
) -> Problem:
    challenge = "Bearer"
    if error:
        challenge = f'Bearer error="{error}", error_description="{_quoted(description or detail)}"'
    return Problem(401, detail, headers={"WWW-Authenticate": challenge}, **extensions)


def current_principal(
    request: Request,
    _declared: Annotated[HTTPAuthorizationCredentials | None, Security(BEARER)] = None,
) -> Principal:
    """The verified caller of this request (also put on `request.state.principal`).

    A plain (sync) function on purpose: verifying may fetch the issuer's keys over HTTP, so
    FastAPI runs it in its thread pool rather than blocking the event loop.
    """
    cached = getattr(request.state, "principal", None)
    if isinstance(cached, Principal):
        return cached
    header = request.headers.get("authorization")
    if not header:
        raise _unauthorized("An access token is required (Authorization: Bearer <token>).")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer":
        raise _unauthorized("Only Bearer access tokens are accepted.")
    token = token.strip()
    if not token:
        raise _unauthorized(
            "The Authorization header carries no token.", "invalid_request", reason="malformed"
        )
    try:
        principal = _verifier(request).verify(token)
    except JwksUnavailable as exc:
        raise Problem(
            503,
            "The access token cannot be checked right now: the identity provider is unreachable.",
            headers={"Retry-After": "5"},
            reason=exc.reason,
        ) from exc
    except AuthError as exc:
        raise _unauthorized(
            f"The access token was refused ({exc.reason}): {exc.detail}",
            "invalid_token",
            f"{exc.reason}: {exc.detail}",
            reason=exc.reason,
        ) from exc
    gate = getattr(request.app.state, STATE_TENANT_GATE, None)
    refusal = gate(principal.tenant) if gate is not None else None
    if refusal:
        # 403, not 401: the token is genuine, its centre may no longer work (suspension keeps
        # the data; a new token cannot be had until the centre is reactivated).
        raise Problem(
            403,
            f"The centre {principal.tenant!r} is {refusal}: its access tokens are no longer "
            "accepted.",
            title="Tenant " + refusal,
            reason=f"tenant_{refusal}",
            tenant=principal.tenant,
        )
    request.state.principal = principal
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_roles(*roles: str) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency that lets the request through if the caller holds any of `roles`."""
    if not roles:
        raise ValueError("require_roles needs at least one role")
    unknown = sorted(set(roles) - ALL_ROLES)
    if unknown:
        raise ValueError(f"unknown role(s): {', '.join(unknown)}")
    required = tuple(dict.fromkeys(roles))

    # async: a role check needs no worker thread (a plain `def` dependency is run in one).
    async def _require(principal: CurrentPrincipal) -> Principal:
        if not principal.has_any(*required):
            names = ", ".join(required)
            raise Problem(
                403,
                f"This action requires the role {names}."
                if len(required) == 1
                else f"This action requires one of the roles: {names}.",
                headers={"WWW-Authenticate": 'Bearer error="insufficient_scope"'},
                required_roles=list(required),
            )
        return principal

    _require.__name__ = f"require_roles_{'_'.join(r.replace('-', '_') for r in required)}"
    return _require


__all__ = ["CurrentPrincipal", "current_principal", "install_auth", "require_roles"]
