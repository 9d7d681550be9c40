"""`alac token` asks the issuer of the platform running here, so the README's quick tour works
as written on both profiles (development issuer under `make run`, Keycloak under
`make run-production`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from alac_cli.supervisor import RUNNING_FILE, running_issuer


def test_the_live_platforms_issuer_is_found(tmp_path):
    embedded, production = tmp_path / "data", tmp_path / "data" / "production"
    production.mkdir(parents=True)
    keycloak = "http://127.0.0.1:8180/realms/alac"
    (production / RUNNING_FILE).write_text(
        json.dumps({"profile": "production", "issuer": keycloak, "pid": os.getpid()})
    )
    assert running_issuer([embedded, production]) == keycloak


def test_a_stale_file_of_a_stopped_platform_is_ignored(tmp_path):
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    (tmp_path / RUNNING_FILE).write_text(
        json.dumps({"profile": "production", "issuer": "http://x", "pid": int(gone.stdout)})
    )
    assert running_issuer([tmp_path]) is None
    (tmp_path / RUNNING_FILE).write_text("not json")
    assert running_issuer([tmp_path]) is None
