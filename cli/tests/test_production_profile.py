"""The production profile's own steps on a real PostgreSQL: one database per service, each
service's environment, and the refusals that stop `alac up --profile production` early."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from alac_cli.engines import Endpoint
from alac_cli.services import SERVICES
from alac_cli.supervisor import Layout, create_databases, production_env
from alac_kernel.testing.postgres import admin_url

pytestmark = pytest.mark.postgres


@pytest.fixture
def prefix() -> Iterator[str]:
    """A unique database prefix (the test server may be shared); the databases dropped after."""
    name = f"alac_t{uuid.uuid4().hex[:8]}"
    yield name
    engine = sa.create_engine(admin_url(), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        for service in SERVICES:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}_{service}"'))
    engine.dispose()


def _databases(prefix: str) -> set[str]:
    engine = sa.create_engine(admin_url(), poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT datname FROM pg_database WHERE datname LIKE :p"), {"p": f"{prefix}_%"}
        )
        names = {row[0] for row in rows}
    engine.dispose()
    return names


def test_one_database_per_service_created_once(prefix: str) -> None:
    first = create_databases(admin_url(), prefix)
    assert _databases(prefix) == {f"{prefix}_{name}" for name in SERVICES}
    # Idempotent: a second start finds them and gives the same URLs.
    assert create_databases(admin_url(), prefix) == first
    for name, url in first.items():
        assert url.endswith(f"/{prefix}_{name}")
        sa.create_engine(url, poolclass=sa.pool.NullPool).connect().close()


def _endpoints(issuer: str) -> dict[str, Endpoint]:
    return {
        "postgres": Endpoint("postgres", "pg", {"ALAC_POSTGRES_ADMIN_URL": admin_url()}),
        "kafka": Endpoint(
            "kafka",
            "127.0.0.1:9",
            {"ALAC_BUS_BACKEND": "kafka", "ALAC_KAFKA_BOOTSTRAP": "127.0.0.1:9"},
        ),
        "keycloak": Endpoint("keycloak", issuer, {"ALAC_AUTH_ISSUER": issuer}),
    }


def test_each_service_gets_its_database_the_engines_and_no_admin_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, prefix: str
) -> None:
    monkeypatch.delenv("ALAC_INTAKE_MASTER_KEY", raising=False)
    layout = Layout(host="127.0.0.1", port_base=8000, data=tmp_path)
    env = production_env(layout, _endpoints("http://127.0.0.1:1/realms/alac"), prefix)
    assert set(env) == set(SERVICES)
    for name, service_env in env.items():
        assert service_env["ALAC_PROFILE"] == "production"
        assert service_env["ALAC_DATABASE_URL"].endswith(f"/{prefix}_{name}")
        assert service_env["ALAC_BUS_BACKEND"] == "kafka"
        assert "ALAC_POSTGRES_ADMIN_URL" not in service_env
    # The master key is generated once, kept with the data (0600), and the same next start.
    key_file = tmp_path / "intake-master.key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    again = production_env(layout, _endpoints("http://127.0.0.1:1/realms/alac"), prefix)
    assert again["intake"]["ALAC_INTAKE_MASTER_KEY"] == env["intake"]["ALAC_INTAKE_MASTER_KEY"]


def test_the_development_issuer_is_refused_in_one_line(tmp_path: Path, prefix: str) -> None:
    layout = Layout(host="127.0.0.1", port_base=8000, data=tmp_path)
    with pytest.raises(RuntimeError) as refused:
        production_env(layout, _endpoints("http://127.0.0.1:8090/realms/alac-dev"), prefix)
    message = str(refused.value)
    assert "\n" not in message
    assert message.startswith("intake: the production profile refuses the development token issuer")


def test_an_engine_that_gives_no_bus_is_named(tmp_path: Path, prefix: str) -> None:
    endpoints = _endpoints("http://127.0.0.1:1/realms/alac")
    endpoints["kafka"] = Endpoint("kafka", "x", {})
    layout = Layout(host="127.0.0.1", port_base=8000, data=tmp_path)
    with pytest.raises(RuntimeError, match="the kafka engine gave no ALAC_BUS_BACKEND"):
        production_env(layout, endpoints, prefix)
