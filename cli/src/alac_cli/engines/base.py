"""What every engine shares: the cache folder, fetching from Maven Central with checksums,
Java homes, ports, and running an engine as a background process with a pid file.

An engine is a server the production profile runs on (PostgreSQL, Apache Kafka, Keycloak,
OpenSearch, Prometheus). `alac engines fetch` brings pinned versions into a cache folder
outside the repository (`$ALAC_ENGINES_CACHE`, default `~/.cache/alac-engines`); `up` runs
them on loopback ports with their data under the data folder; tests start their own copies
from the same cache through each engine's `run()` context manager.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

FETCH_HINT = "make engines (or: .venv/bin/alac engines fetch)"


class EngineMissing(RuntimeError):
    """An engine, its runtime (Java) or a tool to fetch it is not on this machine.

    The message is one line naming what is missing and the command that fetches it.
    """


def cache_root() -> Path:
    root = Path(os.environ.get("ALAC_ENGINES_CACHE") or Path.home() / ".cache" / "alac-engines")
    root.mkdir(parents=True, exist_ok=True)
    return root


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify_sha256(path: Path, expected: str) -> None:
    got = sha256_of(path)
    if got != expected:
        raise RuntimeError(
            f"checksum mismatch for {path.name}: expected sha256 {expected}, got {got}"
        )


# --- Java ---------------------------------------------------------------------------------

_JAVA_HOMES = {
    17: (
        "ALAC_JAVA17_HOME",
        ["/usr/lib/jvm/java-17-openjdk-amd64", "/usr/lib/jvm/java-17-openjdk"],
    ),
    25: ("ALAC_JAVA25_HOME", ["/usr/lib/jvm/temurin-25-jdk-amd64", "/usr/lib/jvm/temurin-25-jdk"]),
}


def java_home(major: int) -> Path:
    """The JDK of one major version: $ALAC_JAVA<major>_HOME or the machine's usual place."""
    variable, candidates = _JAVA_HOMES[major]
    for candidate in [os.environ.get(variable), *candidates]:
        if candidate and (Path(candidate) / "bin" / "java").exists():
            return Path(candidate)
    raise EngineMissing(f"Java {major} not found (set {variable} to a JDK {major} home)")


# --- Maven Central ------------------------------------------------------------------------


def _mvn() -> str:
    found = shutil.which("mvn")
    if not found:
        raise EngineMissing("Maven (mvn) not found; install it with: apt-get install -y maven")
    return found


def maven_copy(artifacts: Sequence[str], dest: Path, *, transitive: bool = False) -> None:
    """Resolve Maven coordinates (`group:artifact:version[:type[:classifier]]`) into `dest`.

    Maven checks every file against the repository's published checksums (`-C` makes a
    mismatch fatal). With `transitive`, the artifacts' runtime dependencies come too
    (resolved by a throwaway pom, so versions are those the artifacts themselves declare).
    """
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="alac-mvn-") as tmp:
        deps = "\n".join(_dependency_xml(coords) for coords in artifacts)
        pom = Path(tmp) / "pom.xml"
        pom.write_text(
            "<project xmlns='http://maven.apache.org/POM/4.0.0'><modelVersion>4.0.0</modelVersion>"
            "<groupId>alac</groupId><artifactId>engine-fetch</artifactId><version>1</version>"
            f"<packaging>pom</packaging><dependencies>{deps}</dependencies></project>"
        )
        argv = [
            _mvn(),
            "-q",
            "-B",
            "-C",
            "-f",
            str(pom),
            "org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies",
            f"-DoutputDirectory={dest}",
            "-DincludeScope=runtime",
        ]
        if not transitive:
            argv.append("-DexcludeTransitive=true")
        done = subprocess.run(argv, capture_output=True, text=True, check=False)  # noqa: S603
        if done.returncode != 0:
            raise RuntimeError(
                f"mvn could not fetch {', '.join(artifacts)}:\n{done.stdout[-3000:]}{done.stderr[-2000:]}"
            )


def _dependency_xml(coords: str) -> str:
    parts = coords.split(":")
    group, artifact, version = parts[:3]
    kind = f"<type>{parts[3]}</type>" if len(parts) > 3 else ""
    classifier = f"<classifier>{parts[4]}</classifier>" if len(parts) > 4 else ""
    return (
        f"<dependency><groupId>{group}</groupId><artifactId>{artifact}</artifactId>"
        f"<version>{version}</version>{kind}{classifier}</dependency>"
    )


# --- ports and processes ------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
        return True
    return False


def wait_until(
    check,
    timeout_s: float,
    what: str,
    proc: subprocess.Popen | None = None,
    log: Path | None = None,
) -> None:
    """Poll `check()` until true; fail with the log's tail if the process dies or time runs out."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}{_tail(log)}")
        with contextlib.suppress(Exception):
            if check():
                return
        time.sleep(0.25)
    raise RuntimeError(f"{what} not ready within {timeout_s:.0f} s{_tail(log)}")


def _tail(log: Path | None) -> str:
    if log is None or not log.exists():
        return ""
    return ":\n" + log.read_text(errors="replace")[-3000:]


@dataclass(frozen=True)
class Endpoint:
    """Where a running engine answers, and what a client needs besides the address."""

    name: str
    url: str
    settings: Mapping[str, str]  # ALAC_* environment for the services to use this engine


@dataclass
class Daemon:
    """One engine process started in the background, remembered by a pid file."""

    name: str
    folder: Path  # the engine's folder under the data folder: pid file and log live here

    @property
    def pid_file(self) -> Path:
        return self.folder / f"{self.name}.pid"

    @property
    def log(self) -> Path:
        return self.folder / f"{self.name}.log"

    def start(
        self, argv: Sequence[str], env: Mapping[str, str] | None = None, cwd: Path | None = None
    ) -> subprocess.Popen[bytes]:
        self.folder.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as out:
            proc = subprocess.Popen(  # noqa: S603 - argv built by the engine module
                list(argv),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, **(env or {})},
                cwd=cwd,
                start_new_session=True,  # Ctrl-C in the shell does not reach it; `down` does
            )
        self.pid_file.write_text(str(proc.pid))
        return proc

    def pid(self) -> int | None:
        try:
            pid = int(self.pid_file.read_text())
            os.kill(pid, 0)
        except (OSError, ValueError):
            return None
        return pid

    def stop(self, timeout_s: float = 30.0, sig: int = signal.SIGTERM) -> None:
        pid = self.pid()
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, sig)
            deadline = time.monotonic() + timeout_s
            while time.monotonic() < deadline and _alive(pid):
                time.sleep(0.1)
            if _alive(pid):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGKILL)
        self.pid_file.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    # A zombie child of ours still answers kill(0); reap it if it is ours.
    with contextlib.suppress(ChildProcessError):
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    return True
