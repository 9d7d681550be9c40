"""A throwaway PostgreSQL cluster on a free loopback port, for tests and the production profile.

No PostgreSQL server runs on a fresh development or CI machine, so the project starts its
own: `initdb` into a temporary folder, `pg_ctl start` on a free port with its socket in that
folder, trust authentication on loopback only, and `pg_ctl stop` plus removal at the end.
The binaries are Debian's `postgresql` package, which `make` installs when they are missing
(`deploy/engines/ensure-system-packages`); docs/testing.md says why Debian's package rather
than a PyPI wheel.

PostgreSQL refuses to run as root; CI runs as root, so the cluster then runs as the
`postgres` system user that Debian's package creates (through `runuser`).
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

_START_TIMEOUT_S = 60
_INSTALL_HINT = "run `make install-system` (as root it installs Debian's postgresql package)"


class PostgresUnavailable(RuntimeError):
    """The PostgreSQL server binaries are not on this machine."""


def bin_dir() -> Path:
    """The folder holding initdb/pg_ctl: $ALAC_PG_BINDIR, Debian's newest, or the PATH."""
    if configured := os.environ.get("ALAC_PG_BINDIR"):
        return Path(configured)
    debian = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    if debian:
        return Path(debian[-1]).parent
    if found := shutil.which("initdb"):
        return Path(found).parent
    raise PostgresUnavailable(
        f"PostgreSQL server binaries (initdb, pg_ctl) not found; {_INSTALL_HINT}"
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_server_user(argv: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return argv
    if shutil.which("runuser") is None:
        raise PostgresUnavailable(
            "running as root needs `runuser` (util-linux) to start PostgreSQL"
        )
    return ["runuser", "-u", "postgres", "--", *argv]


def _run(argv: list[str], log: Path) -> None:
    with log.open("ab") as out:
        done = subprocess.run(  # noqa: S603 - fixed argv built here
            _as_server_user(argv), stdout=out, stderr=subprocess.STDOUT, check=False
        )
    if done.returncode != 0:
        tail = log.read_text(errors="replace")[-2000:]
        raise RuntimeError(f"{Path(argv[0]).name} failed ({done.returncode}):\n{tail}")


def init_cluster(data: Path, log: Path, *, waldir: Path | None = None) -> None:
    """`initdb` a new cluster into `data` (which must not exist yet, or be an empty folder the
    server's user owns): trust auth, UTF-8. `waldir`: the write-ahead log in a folder of its
    own (another volume than the data, as `make verify` fills the data's)."""
    binaries = bin_dir()
    data.parent.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        data.parent.chmod(0o755)
        shutil.chown(data.parent, "postgres", "postgres")
    _run(
        [
            str(binaries / "initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
            *([f"--waldir={waldir}"] if waldir is not None else []),
        ],
        log,
    )


def start_cluster(
    data: Path, port: int, log: Path, *, durable: bool, max_connections: int = 300
) -> str:
    """Start the cluster in `data` on 127.0.0.1:`port` (pg_ctl detaches it); its admin URL."""
    options = (
        f"-p {port} -k {data.parent} -c listen_addresses=127.0.0.1 "
        f"-c max_connections={max_connections}"
    )
    if not durable:
        # A throwaway cluster is deleted after the run: durability across a machine crash
        # buys nothing there and costs seconds per test.
        options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    _run(
        [
            str(bin_dir() / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(data.parent / "postgres.log"),
            "-o",
            options,
            "-w",
            "-t",
            str(_START_TIMEOUT_S),
            "start",
        ],
        log,
    )
    _wait_ready(port)
    return f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"


def stop_cluster(data: Path, log: Path, mode: str = "fast") -> None:
    with contextlib.suppress(RuntimeError):
        _run([str(bin_dir() / "pg_ctl"), "-D", str(data), "-m", mode, "-w", "stop"], log)


@contextlib.contextmanager
def throwaway_cluster(*, max_connections: int = 300, parent: Path | None = None) -> Iterator[str]:
    """Start a fresh cluster; yield its admin URL (SQLAlchemy, psycopg); stop and delete it."""
    work = Path(tempfile.mkdtemp(prefix="alac-pg-", dir=parent))
    data, log = work / "data", work / "server.log"
    try:
        init_cluster(data, log)
        url = start_cluster(data, _free_port(), log, durable=False, max_connections=max_connections)
        try:
            yield url
        finally:
            stop_cluster(data, log, mode="immediate")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _wait_ready(port: int) -> None:
    deadline = time.monotonic() + _START_TIMEOUT_S
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            return
        time.sleep(0.05)
    raise RuntimeError(f"PostgreSQL did not accept connections on 127.0.0.1:{port}")
