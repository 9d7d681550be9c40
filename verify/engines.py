"""The production profile's engines for `make verify --profile production`, each a process of the
run's own started from the project's files: PostgreSQL (Debian's server, a cluster of the run's
own), Apache Kafka, Keycloak (realm `alac` with the demo overlay) and OpenSearch (the
`alac engines` modules). The run stops the broker and the database in the middle of the load and
starts them again on the same port and data, and fills the database's disk.

The services run with ALAC_PROFILE=production: Keycloak's tokens (the development issuer's keys
refused), search on OpenSearch, the secret keys given in the environment (generated for the run).

The full disk: PostgreSQL's data folder is a tmpfs of its own (`disk_mb`; mounting needs root),
its write-ahead log a folder on the ordinary disk. A full data volume is what PostgreSQL answers
with an error (`disk_full`, SQLSTATE 53100: the statement fails, the server goes on); a full
write-ahead log volume is a PANIC by design (the server stops until space is freed), which is
the database-stopped fault the run already makes.
"""

from __future__ import annotations

import contextlib
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from alac_cli.engines import kafka, keycloak, opensearch
from alac_cli.engines.base import Endpoint
from alac_cli.supervisor import SECRET_KEYS, create_databases
from alac_kernel.crypto import b64, new_key
from alac_kernel.testing import postgres_server

# Engine settings the services must not see (the supervisor's rule: operators' secrets).
_NOT_FOR_SERVICES = ("ALAC_KEYCLOAK_ADMIN_PASSWORD_FILE",)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Engines:
    folder: Path
    pg_data: Path
    pg_port: int
    admin_url: str
    broker: kafka.Broker
    database_urls: dict[str, str]
    others: list[Endpoint] = field(default_factory=list)  # Keycloak, OpenSearch
    pg_disk: Path | None = None  # the data folder's own tmpfs, when mounted
    secret_keys: dict[str, str] = field(
        default_factory=lambda: {name: b64(new_key()) for name in SECRET_KEYS}
    )

    @property
    def log(self) -> Path:
        return self.folder / "engines.log"

    @property
    def issuer(self) -> str | None:
        """Keycloak's issuer, when it runs."""
        for endpoint in self.others:
            if "ALAC_AUTH_ISSUER" in endpoint.settings:
                return endpoint.settings["ALAC_AUTH_ISSUER"]
        return None

    def settings(self, service: str) -> dict[str, str]:
        found = {
            "ALAC_DATABASE_URL": self.database_urls[service],
            "ALAC_BUS_BACKEND": "kafka",
            "ALAC_KAFKA_BOOTSTRAP": self.broker.bootstrap,
        }
        for endpoint in self.others:
            found.update({k: v for k, v in endpoint.settings.items() if k not in _NOT_FOR_SERVICES})
        if self.issuer is not None:  # every engine of the profile: run as production does
            found.update(self.secret_keys, ALAC_PROFILE="production")
        return found

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


def _mount_tmpfs(folder: Path, megabytes: int) -> str | None:
    """`folder` (empty) becomes a tmpfs of `megabytes` owned by the server's user; or why not."""
    owner = pwd.getpwnam("postgres")
    done = subprocess.run(  # noqa: S603
        ["mount", "-t", "tmpfs", "-o",  # noqa: S607
         f"size={megabytes}m,mode=0700,uid={owner.pw_uid},gid={owner.pw_gid}", "tmpfs",
         str(folder)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    return None if done.returncode == 0 else (done.stderr.strip() or "mount failed")


@contextlib.contextmanager
def production_engines(
    folder: Path, *, disk_mb: int = 0, identity_and_search: bool = True
) -> Iterator[Engines]:
    """A PostgreSQL cluster (durable: fsync on, since the run stops it mid-write) with one
    database per service, a Kafka broker, and (`identity_and_search`) Keycloak and OpenSearch,
    under `folder`; all stopped on exit. `disk_mb`: PostgreSQL's data on a tmpfs of that size
    (raises when it cannot be mounted: the run would otherwise claim a fault it did not make)."""
    folder.mkdir(parents=True, exist_ok=True)
    # A folder of its own under the system's temporary folder, like the tests' clusters: as
    # root the server runs as `postgres`, which cannot enter the run's private folder.
    pg_work = Path(tempfile.mkdtemp(prefix="alac-pg-verify-"))
    pg_data, log = pg_work / "data", folder / "engines.log"
    mounted: Path | None = None
    try:
        if disk_mb:
            pg_data.mkdir()
            refused = _mount_tmpfs(pg_data, disk_mb)
            if refused is not None:
                raise RuntimeError(f"PostgreSQL's data on a {disk_mb} MB tmpfs: {refused}")
            mounted = pg_data
        postgres_server.init_cluster(pg_data, log, waldir=pg_work / "wal")
        port = _free_port()
        admin_url = postgres_server.start_cluster(pg_data, port, log, durable=True)
        try:
            urls = create_databases(admin_url, prefix="verify")
            with contextlib.ExitStack() as stack:
                node = stack.enter_context(kafka.broker(folder / "kafka"))
                others = (
                    [stack.enter_context(keycloak.run(folder)),
                     stack.enter_context(opensearch.run(folder))]
                    if identity_and_search else []
                )  # fmt: skip
                yield Engines(folder, pg_data, port, admin_url, node, urls, others, mounted)
        finally:
            postgres_server.stop_cluster(pg_data, log, mode="immediate")
    finally:
        if mounted is not None:
            subprocess.run(["umount", str(mounted)], check=False)  # noqa: S603, S607
        shutil.rmtree(pg_work, ignore_errors=True)
