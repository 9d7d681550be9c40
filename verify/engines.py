"""The production profile's engines for `make verify --profile production`: PostgreSQL (Debian's
server, a cluster of the run's own) and Apache Kafka (the `alac engines` broker), each of which
the run stops in the middle of the load and starts again on the same port and data.

Keycloak and OpenSearch are not started: tokens come from the development issuer and search
keeps its embedded index (docs/reliability.md says why and where those are tested).
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import socket
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from alac_cli.engines import kafka
from alac_cli.supervisor import create_databases
from alac_kernel.testing import postgres_server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Engines:
    folder: Path
    pg_data: Path
    pg_port: int
    broker: kafka.Broker
    database_urls: dict[str, str]

    @property
    def log(self) -> Path:
        return self.folder / "engines.log"

    def settings(self, service: str) -> dict[str, str]:
        return {
            "ALAC_DATABASE_URL": self.database_urls[service],
            "ALAC_BUS_BACKEND": "kafka",
            "ALAC_KAFKA_BOOTSTRAP": self.broker.bootstrap,
        }

    def stop_database(self) -> None:
        """`pg_ctl stop -m immediate`: every connection cut at once, as a crash would."""
        postgres_server.stop_cluster(self.pg_data, self.log, mode="immediate")

    def start_database(self) -> None:
        postgres_server.start_cluster(self.pg_data, self.pg_port, self.log, durable=True)

    def stop_bus(self) -> None:
        """kill -9 of the broker: no clean shutdown of its logs."""
        self.broker.daemon.stop(timeout_s=10.0, sig=signal.SIGKILL)

    def start_bus(self) -> None:
        proc = self.broker.start()
        self.broker.wait_ready(proc)


@contextlib.contextmanager
def production_engines(folder: Path) -> Iterator[Engines]:
    """A PostgreSQL cluster (durable: fsync on, since the run stops it mid-write) with one
    database per service, and a Kafka broker, under `folder`; both stopped on exit."""
    folder.mkdir(parents=True, exist_ok=True)
    # A folder of its own under the system's temporary folder, like the tests' clusters: as
    # root the server runs as `postgres`, which cannot enter the run's private folder.
    pg_work = Path(tempfile.mkdtemp(prefix="alac-pg-verify-"))
    pg_data, log = pg_work / "data", folder / "engines.log"
    try:
        postgres_server.init_cluster(pg_data, log)
        port = _free_port()
        admin_url = postgres_server.start_cluster(pg_data, port, log, durable=True)
        try:
            urls = create_databases(admin_url, prefix="verify")
            with kafka.broker(folder / "kafka") as node:
                yield Engines(folder, pg_data, port, node, urls)
        finally:
            postgres_server.stop_cluster(pg_data, log, mode="immediate")
    finally:
        shutil.rmtree(pg_work, ignore_errors=True)
