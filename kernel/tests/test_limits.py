"""One rate limiter for every service: a sliding window per bucket and key, counted in the
service's database (replicas share it: SQLite file and PostgreSQL) or in the process, keyed
by the client address only a trusted proxy may rewrite, refused as 429 with Retry-After."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import MetaData

from alac_kernel.db import make_engine, make_session_factory
from alac_kernel.errors import TooManyRequests
from alac_kernel.limits import (
    ProcessWindowLimiter,
    SharedWindowLimiter,
    WindowLimiter,
    add_rate_limit_table,
    client_address,
    window_limiter,
)
from alac_kernel.problems import install_problem_handlers
from alac_kernel.settings import Settings
from alac_kernel.testing.postgres import fresh_database


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


# A factory of limiters that share one store (two "replicas" of a service), per store kind.
Replicas = Callable[..., WindowLimiter]


@pytest.fixture(params=["process", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def replicas(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Replicas]:
    if request.param == "process":
        yield lambda **kw: ProcessWindowLimiter(**kw)
        return
    metadata = MetaData()
    table = add_rate_limit_table(metadata)
    engines = []

    def url() -> Iterator[str]:
        if request.param == "postgres":
            with fresh_database("alac_limits") as pg:
                yield pg
        else:
            yield f"sqlite:///{tmp_path / 'limits.db'}"

    source = url()
    database = next(source)
    metadata.create_all(make_engine(database))

    def replica(**kw: Any) -> WindowLimiter:
        # Each replica has its own engine on the same database, as two processes would.
        engine = make_engine(database)
        engines.append(engine)
        return SharedWindowLimiter(make_session_factory(engine), table, **kw)

    yield replica
    for engine in engines:
        engine.dispose()
    source.close()


def test_a_window_allows_the_limit_then_names_the_wait(replicas):
    clock = Clock()
    limiter = replicas(bucket="web_form", limit=2, window_s=60, clock=clock)
    assert limiter.hit("198.51.100.7") is None
    clock.advance(10)
    assert limiter.hit("198.51.100.7") is None
    clock.advance(5)
    # The oldest hit leaves the window 60 s after it came: 45 s from now.
    assert limiter.hit("198.51.100.7") == 45
    assert limiter.blocked("198.51.100.7") == 45
    # Another client and another bucket have budgets of their own.
    assert limiter.hit("198.51.100.8") is None
    other = replicas(bucket="receipt_failures", limit=2, window_s=60, clock=clock)
    assert other.hit("198.51.100.7") is None


def test_the_window_slides(replicas):
    clock = Clock()
    limiter = replicas(bucket="b", limit=2, window_s=60, clock=clock)
    assert limiter.hit("k") is None
    clock.advance(30)
    assert limiter.hit("k") is None
    clock.advance(30)  # the first hit is exactly a window old: out
    assert limiter.hit("k") is None
    assert limiter.hit("k") == 30  # the second one leaves in 30 s
    clock.advance(30)
    assert limiter.blocked("k") is None


def test_blocked_counts_nothing_and_record_counts_past_the_budget(replicas):
    clock = Clock()
    limiter = replicas(bucket="failures", limit=2, window_s=900, clock=clock)
    for _ in range(5):
        assert limiter.blocked("k") is None  # asking never uses the budget
    limiter.record("k")
    limiter.record("k")
    limiter.record("k")  # a failure that already happened counts whatever the budget
    assert limiter.blocked("k") == 900
    clock.advance(899)
    assert limiter.blocked("k") == 1
    clock.advance(1)
    assert limiter.blocked("k") is None


def test_a_changed_limit_applies_at_once(replicas):
    limiter = replicas(bucket="b", limit=1, window_s=60, clock=Clock())
    assert limiter.hit("k") is None
    assert limiter.hit("k") is not None
    limiter.limit = 3
    assert limiter.hit("k") is None


def test_replicas_on_one_database_share_the_budget(replicas, request):
    if request.node.callspec.params["replicas"] == "process":
        # Counted in memory, each process has a budget of its own: why production refuses it.
        one = replicas(bucket="b", limit=1, window_s=60)
        two = replicas(bucket="b", limit=1, window_s=60)
        assert one.hit("k") is None and two.hit("k") is None
        return
    clock = Clock()
    one = replicas(bucket="b", limit=2, window_s=60, clock=clock)
    two = replicas(bucket="b", limit=2, window_s=60, clock=clock)
    assert one.hit("k") is None
    assert two.hit("k") is None
    assert one.hit("k") is not None
    assert two.hit("k") is not None


def test_the_process_limiter_forgets_clients_whose_hits_left_the_window():
    clock = Clock()
    limiter = ProcessWindowLimiter(bucket="b", limit=5, window_s=60, clock=clock)
    for n in range(limiter.SWEEP_EVERY - 1):
        limiter.hit(f"client-{n}")
    clock.advance(61)
    limiter.hit("late")  # the sweeping call
    assert list(limiter._hits) == ["late"]


def test_take_refuses_with_429_and_retry_after(tmp_path):
    limiter = ProcessWindowLimiter(bucket="web_form", limit=1, window_s=3600, clock=Clock())
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/submit")
    def submit(request: Request) -> dict[str, bool]:
        limiter.take(client_address(request, frozenset()), "Too many submissions; try later.")
        return {"ok": True}

    client = TestClient(app)
    assert client.post("/submit").status_code == 200
    refused = client.post("/submit")
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "3600"
    assert refused.json()["detail"] == "Too many submissions; try later."
    with pytest.raises(TooManyRequests):
        limiter.refuse_if_blocked("testclient", "blocked")


def _request(peer: str, forwarded: str | None = None) -> Request:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded is not None else []
    return Request({"type": "http", "client": (peer, 50000), "headers": headers})


def test_the_client_is_the_peer_unless_the_peer_is_a_trusted_proxy():
    proxies = frozenset({"10.0.0.2", "10.0.0.3"})
    # A client cannot name its own address.
    assert client_address(_request("203.0.113.9", "198.51.100.1"), proxies) == "203.0.113.9"
    # Behind our proxies: the rightmost hop they did not add.
    assert client_address(_request("10.0.0.2", "1.1.1.1, 198.51.100.1, 10.0.0.3"), proxies) == (
        "198.51.100.1"
    )
    assert client_address(_request("10.0.0.2", "10.0.0.3"), proxies) == "10.0.0.2"
    assert client_address(_request("10.0.0.2"), proxies) == "10.0.0.2"


def test_settings_choose_the_store_and_production_refuses_the_process_one(tmp_path):
    metadata = MetaData()
    table = add_rate_limit_table(metadata)
    factory = make_session_factory(make_engine(f"sqlite:///{tmp_path / 'x.db'}"))
    made = {
        kind: window_limiter(
            Settings(data_dir=tmp_path, rate_limits=kind),
            session_factory=factory,
            table=table,
            bucket="b",
            limit=1,
            window_s=1,
        )
        for kind in ("database", "process")
    }
    assert isinstance(made["database"], SharedWindowLimiter)
    assert isinstance(made["process"], ProcessWindowLimiter)
    assert Settings(data_dir=tmp_path).rate_limits == "database"
    production = {
        "profile": "production",
        "database_url": "postgresql+psycopg://alac@db/alac",
        "bus_backend": "kafka",
        "auth_issuer": "https://id.example.org/realms/alac",
    }
    assert Settings(**production).rate_limits == "database"
    with pytest.raises(ValidationError, match="ALAC_RATE_LIMITS=database"):
        Settings(**production, rate_limits="process")
