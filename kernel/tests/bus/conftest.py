"""Backends for the bus conformance suite: every test runs once per backend.

`log-sqlite` and `log-postgres` use the embedded SQL log; `kafka` uses a real Kafka-protocol
broker (Apache Kafka in KRaft mode, `alac_cli.engines.kafka`) started once per session. Topic and group names are unique per test, so tests
can share the PostgreSQL database and the broker without seeing each other's records.
"""

from __future__ import annotations

import socket
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from alac_kernel.bus.base import BusConsumer, EventBus

PARTITIONS = 4

from alac_kernel.testing.kafka import KAFKA_TEST_OPTIONS  # noqa: E402
from alac_kernel.testing.postgres import fresh_database  # noqa: E402


@dataclass
class Backend:
    name: str
    make_bus: Callable[[], EventBus]
    """A new bus object on the same backing store (like another process would open)."""
    make_unreachable_bus: Callable[[], EventBus]
    """A bus pointed at a store that does not exist or does not answer."""


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def bus_postgres_url() -> Iterator[str]:
    from alac_kernel.testing.postgres import fresh_database

    with fresh_database("alac_bus_test") as url:
        yield url


@pytest.fixture(
    params=[
        pytest.param("log-sqlite", id="log-sqlite"),
        pytest.param("log-postgres", id="log-postgres", marks=pytest.mark.postgres),
        pytest.param("kafka", id="kafka", marks=pytest.mark.kafka),
    ]
)
def backend(request: pytest.FixtureRequest, tmp_path) -> Backend:
    kind = request.param
    if kind == "kafka":
        from alac_kernel.bus.kafka import KafkaBus

        bootstrap = request.getfixturevalue("kafka_bootstrap")
        return Backend(
            kind,
            lambda: KafkaBus(bootstrap, partitions=PARTITIONS, client_options=KAFKA_TEST_OPTIONS),
            lambda: KafkaBus(
                f"127.0.0.1:{_closed_port()}",
                partitions=PARTITIONS,
                client_options={**KAFKA_TEST_OPTIONS, "bootstrap_timeout_ms": 1_000},
            ),
        )

    # Imported here: the log backend is built in parallel with this suite.
    from alac_kernel.bus.log import LogBus

    if kind == "log-sqlite":
        url = f"sqlite:///{tmp_path}/bus.db"
        # A regular file where the database's folder should be: no backend can create it.
        (tmp_path / "not-a-dir").write_text("")
        missing = f"sqlite:///{tmp_path}/not-a-dir/bus.db"
    else:
        url = request.getfixturevalue("bus_postgres_url")
        missing = f"postgresql+psycopg://postgres@127.0.0.1:{_closed_port()}/alac_missing"
    return Backend(
        kind,
        lambda: LogBus(url, partitions=PARTITIONS),
        lambda: LogBus(missing, partitions=PARTITIONS),
    )


@pytest.fixture
def bus(backend: Backend) -> Iterator[EventBus]:
    b = backend.make_bus()
    try:
        yield b
    finally:
        b.close()


@pytest.fixture
def names() -> Callable[[str], str]:
    """Unique topic/group names (Kafka allows only [a-zA-Z0-9._-])."""
    run = uuid.uuid4().hex[:10]

    def make(kind: str) -> str:
        return f"alac.test.{kind}.{run}.{uuid.uuid4().hex[:6]}"

    return make


@pytest.fixture
def consumers() -> Iterator[list[BusConsumer]]:
    """Consumers appended here are closed after the test, also when it fails midway."""
    opened: list[BusConsumer] = []
    yield opened
    for c in reversed(opened):
        c.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def log_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database for the embedded log, on SQLite and on PostgreSQL (the log tests that
    start processes or a heartbeat of their own)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'bus.db'}"
    else:
        with fresh_database("alac_log") as url:
            yield url
