"""Apache Kafka for the production profile: one KRaft node (combined controller + broker).

The broker is assembled from Maven Central rather than the release tarball (the registries
are what this project's machines reach): `org.apache.kafka:kafka_2.13` with its runtime
dependencies, plus the SLF4J binding to log4j2 that the tarball ships but the POM leaves out
(without it Kafka logs nothing at all). It runs on Java 17 with a small heap.

Layout under the engine folder (`DATA/engines/kafka` for `up`, a temporary folder for `run`):
`server.properties`, `log4j2.properties`, `cluster-id` (the id the storage was formatted with,
kept so a restart finds the same cluster), `ports` (listener and controller port, chosen once),
`logs/` (the partitions and the KRaft metadata log) and `kafka.log` (the broker's output).
"""

from __future__ import annotations

import base64
import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from alac_cli.engines.base import (
    Daemon,
    Endpoint,
    EngineMissing,
    cache_root,
    free_port,
    java_home,
    maven_copy,
    port_open,
    verify_sha256,
    wait_until,
)

NAME = "kafka"
VERSION = "4.4.0"
SCALA = "2.13"
# sha256 of kafka_2.13-4.4.0.jar as first fetched; Maven's -C checks every jar against the
# repository's own checksum files, this pins the main jar against a silently changed release.
MAIN_JAR_SHA256 = "76d3314f873571677ff98620ab9a431e508e3687f921a3df4f70d692a970475e"
# The POM resolves slf4j-api 1.7.36 and log4j-core 2.25.5; this is the matching binding.
LOG4J_VERSION = "2.25.5"
ARTIFACTS = (
    f"org.apache.kafka:kafka_{SCALA}:{VERSION}",
    f"org.apache.logging.log4j:log4j-slf4j-impl:{LOG4J_VERSION}",
)
HEAP = os.environ.get("ALAC_KAFKA_HEAP", "512m")
START_TIMEOUT_S = 120.0  # a cold JVM on a busy two-core machine; typically 5-15 s


def _home(cache: Path) -> Path:
    return cache / f"kafka-{VERSION}"


def _main_jar(home: Path) -> Path:
    return home / "lib" / f"kafka_{SCALA}-{VERSION}.jar"


def fetch(cache: Path) -> Path:
    """Resolve the broker's jars into `cache/kafka-VERSION/lib` (idempotent, checksums checked)."""
    home = _home(cache)
    if (home / ".complete").exists():
        verify_sha256(_main_jar(home), MAIN_JAR_SHA256)
        return home
    # Resolved into a sibling folder and renamed at the end, so an interrupted fetch never
    # leaves a half-filled home that a later run would take as complete.
    staging = Path(tempfile.mkdtemp(prefix=f".kafka-{VERSION}-", dir=cache))
    try:
        maven_copy(ARTIFACTS, staging / "lib", transitive=True)
        verify_sha256(_main_jar(staging), MAIN_JAR_SHA256)
        (staging / ".complete").write_text(f"{VERSION}\n")
        shutil.rmtree(home, ignore_errors=True)
        staging.rename(home)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return home


def installed(cache: Path | None = None) -> Path:
    """The fetched home, or EngineMissing with the one line that says how to fetch it."""
    home = _home(cache or cache_root())
    if not (home / ".complete").exists() or not _main_jar(home).exists():
        raise EngineMissing(f"Apache Kafka {VERSION} not fetched; run: make engines")
    return home


def _cluster_id() -> str:
    # Kafka's own Uuid.randomUuid(): 16 random bytes, URL-safe base64 without padding; it
    # never hands out an id starting with '-' because that reads as a command-line option.
    while True:
        text = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        if not text.startswith("-"):
            return text


_LOG4J2 = """\
status = warn
appender.out.type = Console
appender.out.name = OUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.out.ref = OUT
# Start, stop and recovery are what an operator reads this log for; the rest stays at WARN.
logger.server.name = kafka.server.KafkaRaftServer
logger.server.level = INFO
logger.broker.name = kafka.server.BrokerServer
logger.broker.level = INFO
"""


@dataclass
class Broker:
    """One KRaft node in `folder`: configured, formatted once, started and stopped."""

    folder: Path
    port: int = 0
    controller_port: int = 0
    home: Path = field(default_factory=installed)

    def __post_init__(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        ports = self.folder / "ports"
        if ports.exists():
            # A data folder belongs to one pair of ports: the controller's address is part
            # of the formatted metadata quorum, and clients remember the broker's.
            self.port, self.controller_port = (int(p) for p in ports.read_text().split())
        else:
            self.port = self.port or free_port()
            self.controller_port = self.controller_port or free_port()
            ports.write_text(f"{self.port} {self.controller_port}\n")
        self.daemon = Daemon(NAME, self.folder)

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def config(self) -> Path:
        return self.folder / "server.properties"

    def _java(self) -> list[str]:
        java = java_home(17) / "bin" / "java"
        return [
            str(java),
            f"-Xmx{HEAP}",
            "-XX:+UseG1GC",
            "-XX:MaxGCPauseMillis=20",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={self.folder / 'log4j2.properties'}",
            "-cp",
            str(self.home / "lib" / "*"),
        ]

    def prepare(self) -> None:
        """Write the configuration and format the storage on first start."""
        data = self.folder / "logs"
        self.config.write_text(
            "\n".join(
                [
                    "process.roles=broker,controller",
                    "node.id=1",
                    f"controller.quorum.voters=1@127.0.0.1:{self.controller_port}",
                    f"listeners=PLAINTEXT://127.0.0.1:{self.port},"
                    f"CONTROLLER://127.0.0.1:{self.controller_port}",
                    f"advertised.listeners=PLAINTEXT://127.0.0.1:{self.port}",
                    "controller.listener.names=CONTROLLER",
                    "inter.broker.listener.name=PLAINTEXT",
                    "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
                    f"log.dirs={data}",
                    # One node: every internal topic has one replica, or it is never created.
                    "offsets.topic.replication.factor=1",
                    "offsets.topic.num.partitions=4",
                    "transaction.state.log.replication.factor=1",
                    "transaction.state.log.min.isr=1",
                    "share.coordinator.state.topic.replication.factor=1",
                    "share.coordinator.state.topic.min.isr=1",
                    # The bus creates its topics with the partition count and retention it
                    # needs; a topic auto-created by a stray client would have neither.
                    "auto.create.topics.enable=false",
                    # No other member can be coming on a one-node test and dev cluster; the
                    # default 3 s wait would slow every first join of a group.
                    "group.initial.rebalance.delay.ms=0",
                    "num.network.threads=2",
                    "num.io.threads=4",
                    "",
                ]
            )
        )
        (self.folder / "log4j2.properties").write_text(_LOG4J2)
        if (data / "meta.properties").exists():
            return
        id_file = self.folder / "cluster-id"
        if not id_file.exists():
            id_file.write_text(_cluster_id() + "\n")
        argv = [
            *self._java(),
            "kafka.tools.StorageTool",
            "format",
            "--cluster-id",
            id_file.read_text().strip(),
            "--config",
            str(self.config),
            "--ignore-formatted",
        ]
        done = subprocess.run(argv, capture_output=True, text=True, check=False)  # noqa: S603
        if done.returncode != 0:
            raise RuntimeError(
                f"formatting Kafka storage in {data} failed:\n{done.stdout[-2000:]}"
                f"{done.stderr[-2000:]}"
            )

    def start(self) -> subprocess.Popen[bytes]:
        self.prepare()
        return self.daemon.start([*self._java(), "kafka.Kafka", str(self.config)], cwd=self.folder)

    def wait_ready(
        self, proc: subprocess.Popen[bytes] | None = None, timeout_s: float = START_TIMEOUT_S
    ) -> None:
        wait_until(
            lambda: port_open(self.port) and answers(self.bootstrap),
            timeout_s,
            f"Apache Kafka {VERSION} on {self.bootstrap}",
            proc,
            self.daemon.log,
        )

    def stop(self) -> None:
        # SIGTERM lets Kafka close its logs cleanly, so the next start skips log recovery.
        self.daemon.stop(timeout_s=30.0)

    def kill(self) -> None:
        """kill -9, as a crash or an OOM killer would: no clean shutdown of the logs."""
        self.daemon.stop(timeout_s=10.0, sig=signal.SIGKILL)

    def running(self) -> bool:
        return self.daemon.pid() is not None


def answers(bootstrap: str) -> bool:
    """True once the node is a broker with a registered listener, not merely a bound port."""
    from kafka import KafkaAdminClient

    admin = KafkaAdminClient(
        bootstrap_servers=bootstrap, request_timeout_ms=3_000, bootstrap_timeout_ms=3_000
    )
    try:
        return bool(admin.describe_cluster().get("brokers"))
    finally:
        admin.close()


def endpoint(bootstrap: str) -> Endpoint:
    return Endpoint(
        NAME, bootstrap, {"ALAC_BUS_BACKEND": "kafka", "ALAC_KAFKA_BOOTSTRAP": bootstrap}
    )


@contextlib.contextmanager
def broker(folder: Path, port: int = 0) -> Iterator[Broker]:
    """A started broker in `folder`, stopped on exit; the handle can kill and restart it."""
    node = Broker(folder, port=port)
    proc = node.start()
    try:
        node.wait_ready(proc)
        yield node
    finally:
        node.stop()


@contextlib.contextmanager
def run(data: Path) -> Iterator[Endpoint]:
    """A throwaway broker for tests: a fresh temporary folder, free ports, gone on exit."""
    installed()
    parent = data if data.exists() else None
    with tempfile.TemporaryDirectory(prefix="alac-kafka-", dir=parent) as tmp:
        with broker(Path(tmp)) as node:
            yield endpoint(node.bootstrap)


def up(data: Path) -> Endpoint:
    fetch(cache_root())
    wanted = os.environ.get("ALAC_KAFKA_PORT")
    node = Broker(data / NAME, port=int(wanted) if wanted else 0)
    if node.running():
        # Started earlier (maybe still starting): wait for it rather than start a second
        # process on the same ports and data.
        node.wait_ready()
        return endpoint(node.bootstrap)
    started = time.monotonic()
    proc = node.start()
    node.wait_ready(proc)
    with (node.folder / "kafka.log").open("a") as out:
        out.write(f"[alac] ready in {time.monotonic() - started:.1f} s\n")
    return endpoint(node.bootstrap)


def down(data: Path) -> None:
    folder = data / NAME
    if (folder / "ports").exists():
        Daemon(NAME, folder).stop(timeout_s=30.0)


def status(data: Path) -> str:
    try:
        home = installed()
    except EngineMissing as exc:
        return f"not fetched ({exc})"
    folder = data / NAME
    if not (folder / "ports").exists():
        return f"{home} · stopped"
    port = int((folder / "ports").read_text().split()[0])
    running = Daemon(NAME, folder).pid() is not None and port_open(port)
    return f"{home} · {f'127.0.0.1:{port}' if running else 'stopped'}"
