"""The start of a service's own test harness: its app alone, migrated, on SQLite or on fresh
PostgreSQL databases (its own and the bus's), with the in-process issuer. The service's
conftest adds what it feeds the service with (the events other services would publish)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from alac_kernel.auth.verifier import TokenVerifier
from alac_kernel.settings import Settings
from alac_kernel.testing.harness import TEST_ISSUER, InProcessIssuer
from alac_kernel.testing.postgres import fresh_database

# The database flavours every service test runs on (PostgreSQL marked, for `-m "not postgres"`).
FLAVOURS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@contextlib.contextmanager
def service_alone(
    create_app: Callable[[Settings, TokenVerifier], FastAPI], flavour: str, tmp: Path
) -> Iterator[tuple[TestClient, InProcessIssuer]]:
    issuer = InProcessIssuer(tmp / "keys")
    with contextlib.ExitStack() as stack:
        urls: dict[str, str | None] = {"db": None, "bus": None}
        if flavour == "postgres":
            urls = {k: stack.enter_context(fresh_database(f"alac_{k}")) for k in urls}
        settings = Settings(
            data_dir=tmp,
            database_url=urls["db"],
            bus_url=urls["bus"],
            run_workers=False,
            auth_issuer=TEST_ISSUER,
            consumer_poll_timeout_s=0.01,
        )
        app = create_app(settings, issuer.verifier())
        app.state.runtime.migrate()
        yield stack.enter_context(TestClient(app, raise_server_exceptions=False)), issuer
