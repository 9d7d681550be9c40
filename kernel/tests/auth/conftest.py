"""Fixtures: the development issuer served by a real uvicorn server on a loopback port."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from alac_kernel.auth.dev_issuer import DevIssuer, create_dev_issuer_app
from alac_kernel.auth.verifier import TokenVerifier
from alac_kernel.testing.serve import bound_socket, serve_on

REALM_PATH = "/realms/alac-dev"


class CountingApp:
    """ASGI wrapper counting the HTTP requests the server actually receives, per path."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.hits: Counter[str] = Counter()
        self._lock = threading.Lock()

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            with self._lock:
                self.hits[scope["path"]] += 1
        await self.app(scope, receive, send)


@dataclass
class RunningIssuer:
    issuer: str
    dev: DevIssuer
    counting: CountingApp
    server: uvicorn.Server
    thread: threading.Thread
    key_dir: Path
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def jwks_url(self) -> str:
        return f"{self.issuer}/protocol/openid-connect/certs"

    @property
    def token_url(self) -> str:
        return f"{self.issuer}/protocol/openid-connect/token"

    @property
    def jwks_hits(self) -> int:
        return self.counting.hits[f"{REALM_PATH}/protocol/openid-connect/certs"]

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        assert not self.thread.is_alive(), "the issuer server did not stop"


def start_issuer(key_dir: Path, **kwargs: Any) -> RunningIssuer:
    sock = bound_socket()
    port = sock.getsockname()[1]
    issuer = f"http://127.0.0.1:{port}{REALM_PATH}"
    app = create_dev_issuer_app(key_dir, issuer, **kwargs)
    counting = CountingApp(app)
    server, thread = serve_on(sock, counting)
    return RunningIssuer(issuer, app.state.dev_issuer, counting, server, thread, key_dir)


@pytest.fixture(scope="session")
def shared_key_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("dev-issuer-keys")


@pytest.fixture
def issuer_factory(shared_key_dir: Path) -> Iterator[Callable[..., RunningIssuer]]:
    started: list[RunningIssuer] = []

    def factory(key_dir: Path | None = None, **kwargs: Any) -> RunningIssuer:
        running = start_issuer(key_dir or shared_key_dir, **kwargs)
        started.append(running)
        return running

    yield factory
    for running in started:
        if running.thread.is_alive():
            running.stop()


@pytest.fixture
def issuer(issuer_factory: Callable[..., RunningIssuer]) -> RunningIssuer:
    """A fresh dev issuer server (its own port, so its own request counts and key list)."""
    return issuer_factory()


class FakeClock:
    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make_verifier(
    issuer: RunningIssuer, clock: FakeClock
) -> Iterator[Callable[..., TokenVerifier]]:
    """Verifiers fetching the issuer's JWKS over real HTTP; time for refresh limits is `clock`."""
    clients: list[httpx.Client] = []

    def factory(**overrides: Any) -> TokenVerifier:
        http = httpx.Client(timeout=5)
        clients.append(http)
        kwargs: dict[str, Any] = {
            "issuer": issuer.issuer,
            "audience": "alac-api",
            "client_id": "alac-api",
            "jwks_url": issuer.jwks_url,
            "leeway_s": 30,
            "min_refresh_s": 10.0,
            "http": http,
            "clock": clock,
        }
        kwargs.update(overrides)
        return TokenVerifier(**kwargs)

    yield factory
    for http in clients:
        http.close()


def _password_token(running: RunningIssuer, username: str, password: str | None = None) -> str:
    response = httpx.post(
        running.token_url,
        data={
            "grant_type": "password",
            "username": username,
            "password": password if password is not None else f"demo{username}",
        },
        timeout=5,
    )
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


@pytest.fixture
def login() -> Callable[..., str]:
    """`login(running_issuer, username)`: a password-grant token fetched over HTTP."""
    return _password_token
