"""OpenSearch for the production profile: one node on loopback with HTTP, the language analyzers
(analysis-common) and ICU analysis, built from Maven Central artifacts and run on Java 17.

Why not the distribution: OpenSearch's tarball, its `bin/opensearch` launcher and its plugin
zips (analysis-icu among them) are published only on OpenSearch's own download site, which
the project's machines cannot reach. Maven Central has the server jar, the modules' jars
(`org.opensearch.plugin:transport-netty4-client`, `analysis-common`) and Lucene's ICU module,
but not `org.opensearch.plugin:analysis-icu` (jar or zip, 2.19.6 and 3.3.2: "Could not find
artifact"). So `fetch` resolves those jars with Maven (Maven checks each file against Central's
checksums, and we check the main ones against the sha256 pinned here), then compiles two small
classes kept beside this module (`opensearch_node/`): `AlacNode`, a main that starts a Node with
its modules given as classpath plugins (the way OpenSearch's own test clusters start nodes), and
`IcuAnalysisPlugin`, which registers Lucene's ICU tokenizer and filters under the analysis-icu
plugin's names (`icu_tokenizer`, `icu_folding`, `icu_normalizer`).

The node has no security plugin: plain HTTP on 127.0.0.1 only, for the local profile and
tests. A deployed cluster is the official distribution with the analysis-icu plugin, HTTPS and
users (docs/operations.md, "OpenSearch").
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import tempfile
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from alac_cli.engines.base import (
    FETCH_HINT,
    Daemon,
    Endpoint,
    EngineMissing,
    cache_root,
    free_port,
    java_home,
    maven_copy,
    port_open,
    sha256_of,
    verify_sha256,
    wait_until,
)

NAME = "opensearch"
VERSION = "2.19.6"  # the newest 2.19 on Maven Central; 2.x runs on Java 17 (3.x needs 21+)
JAVA = 17
ARTIFACTS = (
    f"org.opensearch:opensearch:{VERSION}",
    f"org.opensearch.plugin:transport-netty4-client:{VERSION}",  # HTTP and transport
    f"org.opensearch.plugin:analysis-common:{VERSION}",  # the russian and english analyzers
    "org.apache.lucene:lucene-analysis-icu:9.12.3",  # the Lucene version of OpenSearch 2.19.6
    # The server's pom lists log4j-core with an exclusion that keeps it out of the resolved
    # set; the node's logging needs it.
    "org.apache.logging.log4j:log4j-core:2.25.4",
)
# sha256 of the jars that make the node, checked after Maven's own checksum check, so a
# changed artifact under a pinned version is refused.
PINNED_SHA256 = {
    "opensearch-2.19.6.jar": "1befd40f7ef012f38fd03f33777dd03b3fe2c886a3ca454a4ef12395f7d9215b",
    "transport-netty4-client-2.19.6.jar": (
        "5a67524df92c464a8ffd731a4f0a7c16daa09e37a3afc8331557fd14882b9ac9"
    ),
    "analysis-common-2.19.6.jar": (
        "187378844d92a043b935038f9ae168f7812f686b1c1c7128f8b97731baff8a1a"
    ),
    "lucene-analysis-icu-9.12.3.jar": (
        "5f6d79375e9012b26c6c6c6072618ed99d1027d377acaf9263c6405a1d8e90c0"
    ),
    "lucene-core-9.12.3.jar": "b64a3f8098a7572034fb30085cdee01b34ec81fb0e5a31b471536af58dc6c01b",
    "icu4j-74.2.jar": "95c055080e14c093ebeeba5b733e1a1be7a4af5854668c774cedf070d4240e43",
    "log4j-core-2.25.4.jar": "10fee2c0485d54fa44ee75d314f6295508f7b932281873db61a91b88073200e6",
}
SOURCES = Path(__file__).with_name("opensearch_node")
MAIN_CLASS = "alac.opensearch.AlacNode"
HEAP = "512m"
START_TIMEOUT_S = 180.0  # measured 12-25 s on 2 shared cores; generous for a loaded CI


def _home(cache: Path) -> Path:
    return cache / f"opensearch-{VERSION}"


def _source_stamp() -> str:
    """Which Java sources the compiled classes come from (recompiled when they change)."""
    return ",".join(sha256_of(p)[:16] for p in sorted(SOURCES.glob("*.java")))


def installed(cache: Path | None = None) -> Path:
    """The fetched home, or EngineMissing (one line) saying how to fetch it."""
    home = _home(cache or cache_root())
    stamp = home / "classes" / ".sources"
    if not (home / "lib").is_dir() or not stamp.exists():
        raise EngineMissing(f"OpenSearch {VERSION} is not fetched; run: {FETCH_HINT}")
    if stamp.read_text() != _source_stamp():
        raise EngineMissing(
            f"OpenSearch {VERSION}: the node's Java sources changed since the last fetch; "
            f"run: {FETCH_HINT}"
        )
    return home


def fetch(cache: Path) -> Path:
    with contextlib.suppress(EngineMissing):
        return installed(cache)
    java = java_home(JAVA)  # before downloading anything: no JDK, nothing to run it with
    home = _home(cache)
    lib = home / "lib"
    if not all((lib / name).exists() for name in PINNED_SHA256):
        partial = home.with_name(home.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        maven_copy(ARTIFACTS, partial / "lib", transitive=True)
        for name, digest in PINNED_SHA256.items():
            verify_sha256(partial / "lib" / name, digest)
        shutil.rmtree(home, ignore_errors=True)
        partial.rename(home)
    _compile(java, home)
    return home


def _compile(java: Path, home: Path) -> None:
    classes = home / "classes"
    shutil.rmtree(classes, ignore_errors=True)
    classes.mkdir(parents=True)
    javac = java / "bin" / "javac"
    if not javac.exists():
        raise EngineMissing(f"javac not found in {java} (a JDK {JAVA}, not a JRE, is needed)")
    argv = [
        str(javac),
        "-proc:none",
        "-encoding",
        "UTF-8",
        "-d",
        str(classes),
        "-cp",
        str(home / "lib" / "*"),
        *map(str, sorted(SOURCES.glob("*.java"))),
    ]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise RuntimeError(f"compiling the OpenSearch node failed:\n{done.stderr[-3000:]}")
    (classes / ".sources").write_text(_source_stamp())


# --- running ------------------------------------------------------------------------------


def _layout(node: Path, http_port: int, *, cluster: str) -> Path:
    """config/ (opensearch.yml, log4j2.properties), data/ and logs/ under `node`."""
    config = node / "config"
    config.mkdir(parents=True, exist_ok=True)
    (node / "data").mkdir(exist_ok=True)
    (node / "logs").mkdir(exist_ok=True)
    settings = {
        "cluster.name": cluster,
        "node.name": "alac-node",
        "path.data": str(node / "data"),
        "path.logs": str(node / "logs"),
        "network.host": "127.0.0.1",  # loopback only: this node has no authentication
        "http.port": http_port,
        "transport.port": "9300-9400",  # the first free one; single node, nothing connects
        "discovery.type": "single-node",
        # The disk watermarks would turn indices read-only on a shared, filling disk; a local
        # node keeps working and the operator watches the disk instead.
        "cluster.routing.allocation.disk.threshold_enabled": False,
        # Nothing else may create an index by writing to it (a typo'd name stays an error).
        "action.auto_create_index": False,
    }
    (config / "opensearch.yml").write_text(
        "".join(f"{k}: {json.dumps(v)}\n" for k, v in settings.items())
    )
    (config / "log4j2.properties").write_text(
        "status = error\n"
        "appender.console.type = Console\n"
        "appender.console.name = console\n"
        "appender.console.layout.type = PatternLayout\n"
        "appender.console.layout.pattern = [%d{ISO8601}][%-5p][%c{1.}] %m%n\n"
        "rootLogger.level = info\n"
        "rootLogger.appenderRef.console.ref = console\n"
    )
    return config


def _argv(home: Path, config: Path, *, watch_parent: bool) -> list[str]:
    heap = os.environ.get("ALAC_OPENSEARCH_HEAP", HEAP)
    # A test's node stops by itself when the test process is gone (see AlacNode).
    watch = [f"-Dalac.parent.pid={os.getpid()}"] if watch_parent else []
    return [
        str(java_home(JAVA) / "bin" / "java"),
        f"-Xms{heap}",
        f"-Xmx{heap}",
        "-XX:+UseG1GC",
        "-XX:+ExitOnOutOfMemoryError",
        "-Dfile.encoding=UTF-8",
        # What the distribution's jvm.options sets for 2.x on Java 9+ (date formats).
        "-Djava.locale.providers=SPI,COMPAT",
        "-Dlog4j2.disable.jmx=true",
        "-Dlog4j.shutdownHookEnabled=false",  # the node closes its logging itself
        "-Dio.netty.allocator.numDirectArenas=0",
        "-Dio.netty.noUnsafe=true",
        "-Djna.nosys=true",
        f"-Djava.io.tmpdir={config.parent / 'tmp'}",
        *watch,
        "-cp",
        f"{home / 'classes'}:{home / 'lib' / '*'}",
        MAIN_CLASS,
        str(config),
    ]


def _health(url: str) -> dict:
    with urllib.request.urlopen(f"{url}/_cluster/health", timeout=2) as answer:  # noqa: S310
        return json.load(answer)


def _ready(url: str) -> bool:
    return _health(url)["status"] in ("green", "yellow")


def _endpoint(url: str) -> Endpoint:
    return Endpoint(NAME, url, {"ALAC_SEARCH_ENGINE": "opensearch", "ALAC_OPENSEARCH_URL": url})


def _start(
    home: Path, node: Path, http_port: int, *, cluster: str, watch_parent: bool = False
) -> tuple[Daemon, str]:
    config = _layout(node, http_port, cluster=cluster)
    (node / "tmp").mkdir(exist_ok=True)
    daemon = Daemon(NAME, node)
    proc = daemon.start(_argv(home, config, watch_parent=watch_parent), cwd=node)
    url = f"http://127.0.0.1:{http_port}"
    (node / "url").write_text(url)  # where it answers, for `up` again and `status`
    try:
        wait_until(lambda: _ready(url), START_TIMEOUT_S, "OpenSearch", proc=proc, log=daemon.log)
    except BaseException:
        daemon.stop()
        raise
    return daemon, url


@contextlib.contextmanager
def run(data: Path) -> Iterator[Endpoint]:
    """A throwaway node for tests: data in a temporary folder (under `data` if it exists),
    a free port, stopped and removed on exit."""
    home = installed()
    java_home(JAVA)
    parent = data if data.exists() else None
    with tempfile.TemporaryDirectory(prefix="alac-opensearch-", dir=parent) as tmp:
        daemon, url = _start(home, Path(tmp), free_port(), cluster="alac-test", watch_parent=True)
        try:
            yield _endpoint(url)
        finally:
            daemon.stop(timeout_s=30)


def _port() -> int:
    return int(os.environ.get("ALAC_OPENSEARCH_PORT", "9200"))


def up(data: Path) -> Endpoint:
    home = fetch(cache_root())
    node = data / NAME
    daemon = Daemon(NAME, node)
    if daemon.pid() is not None:
        url = (node / "url").read_text()
        wait_until(lambda: _ready(url), START_TIMEOUT_S, "OpenSearch", log=daemon.log)
        return _endpoint(url)
    if port_open(_port()):
        raise RuntimeError(
            f"port {_port()} is taken by another program; set ALAC_OPENSEARCH_PORT to a free one"
        )
    _daemon, url = _start(home, node, _port(), cluster="alac")
    return _endpoint(url)  # the process runs on after we return (own session, pid file)


def down(data: Path) -> None:
    Daemon(NAME, data / NAME).stop(timeout_s=30)


def status(data: Path) -> str:
    try:
        home = installed()
    except EngineMissing as exc:
        return f"not fetched ({exc})"
    daemon = Daemon(NAME, data / NAME)
    if daemon.pid() is None:
        return f"{home} · stopped"
    url = (data / NAME / "url").read_text()
    try:
        health = _health(url)["status"]
    except OSError:
        health = "not answering"
    return f"{home} · {url} ({health})"
