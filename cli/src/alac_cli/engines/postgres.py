"""PostgreSQL for the production profile: Debian's server package, a cluster under the data
folder (kept across restarts), on 127.0.0.1:$ALAC_PG_PORT (default 5433)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from alac_cli.engines.base import Endpoint, EngineMissing, port_open
from alac_kernel.testing import postgres_server

NAME = "postgres"


def _port() -> int:
    return int(os.environ.get("ALAC_PG_PORT", "5433"))


def fetch(cache: Path) -> Path:
    try:
        return postgres_server.bin_dir()
    except postgres_server.PostgresUnavailable as exc:
        raise EngineMissing(str(exc)) from exc


def _endpoint(url: str) -> Endpoint:
    return Endpoint(NAME, url, {"ALAC_POSTGRES_ADMIN_URL": url})


@contextlib.contextmanager
def run(data: Path) -> Iterator[Endpoint]:
    fetch(Path())
    with postgres_server.throwaway_cluster(parent=data if data.exists() else None) as url:
        yield _endpoint(url)


def up(data: Path) -> Endpoint:
    fetch(Path())
    folder = data / NAME
    cluster, log = folder / "data", folder / "pg_ctl.log"
    port = _port()
    url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    if (cluster / "postmaster.pid").exists() and port_open(port):
        return _endpoint(url)
    if not (cluster / "PG_VERSION").exists():
        postgres_server.init_cluster(cluster, log)
    return _endpoint(postgres_server.start_cluster(cluster, port, log, durable=True))


def down(data: Path) -> None:
    folder = data / NAME
    if (folder / "data" / "postmaster.pid").exists():
        postgres_server.stop_cluster(folder / "data", folder / "pg_ctl.log")


def status(data: Path) -> str:
    try:
        binaries = fetch(Path())
    except EngineMissing as exc:
        return f"not installed ({exc})"
    running = (data / NAME / "data" / "postmaster.pid").exists() and port_open(_port())
    where = f"127.0.0.1:{_port()}" if running else "stopped"
    return f"{binaries} · {where}"
