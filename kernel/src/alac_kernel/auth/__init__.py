"""Authentication: OIDC bearer tokens as Keycloak issues them, turned into a `Principal`.

- `verifier.TokenVerifier`: RS256 tokens checked against the issuer's JWKS (cached by kid).
- `fastapi`: `install_auth`, `CurrentPrincipal`, `require_roles` for the services.
- `dev_issuer`: the development issuer of the embedded mode (Keycloak-shaped, demo users).
"""

from __future__ import annotations

from alac_kernel.auth.principal import Principal
from alac_kernel.auth.verifier import AuthError, JwksUnavailable, TokenVerifier

__all__ = ["AuthError", "JwksUnavailable", "Principal", "TokenVerifier"]
