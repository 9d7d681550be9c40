"""Verifiers for the real Keycloak of tests/conftest.py (`keycloak_server`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from alac_kernel.auth.verifier import TokenVerifier


@pytest.fixture
def kc_verifier(keycloak_server) -> Iterator[Callable[..., TokenVerifier]]:
    """Verifiers configured as the production profile configures them (dev keys refused)."""
    made: list[TokenVerifier] = []

    def factory(**overrides: object) -> TokenVerifier:
        kwargs: dict[str, object] = {
            "issuer": keycloak_server.issuer,
            "audience": "alac-api",
            "client_id": "alac-api",
            "jwks_url": keycloak_server.jwks_url,
            "refuse_dev_keys": True,
        }
        kwargs.update(overrides)
        verifier = TokenVerifier(**kwargs)  # type: ignore[arg-type]
        made.append(verifier)
        return verifier

    yield factory
    for verifier in made:
        verifier.close()
