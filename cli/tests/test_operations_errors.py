"""Operator commands give one clear line instead of a traceback, and create nothing (issue 11,
"Operations")."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest

ALAC = [sys.executable, "-m", "alac_cli.main"]


def _alac(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ALAC_")}
    clean.update(env or {})
    return subprocess.run(
        [*ALAC, *args], cwd=cwd, env=clean, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    "command",
    [
        ["intake", "purge-expired"],
        ["intake", "rotate-keys"],
        ["intake", "import-mail", "nothing.eml", "--tenant", "tk", "--office", "almaty"],
        ["cases", "run-deadlines"],
        ["cases", "verify-audit"],
        ["analytics", "rebuild"],
        ["search", "reindex"],
    ],
    ids=lambda c: " ".join(c[:2]),
)
def test_without_a_data_folder_an_operation_says_so_and_creates_nothing(tmp_path, command):
    (tmp_path / "nothing.eml").write_text("Subject: x\n\nbody\n")
    done = _alac(*command, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert "ALAC_DATA_DIR" in lines[0] and "database" in lines[0]
    assert not (tmp_path / "data").exists()  # no new database, no new master key


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_token_with_an_unreachable_issuer_is_one_line(tmp_path):
    issuer = f"http://127.0.0.1:{_closed_port()}/realms/alac-dev"
    done = _alac("token", "vera", "--issuer", issuer, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "cannot reach the token issuer" in done.stderr


def test_token_with_a_wrong_password_is_one_line(tmp_path):
    import httpx

    from alac_kernel.testing.processes import env_for, start, wait_for

    port = _closed_port()
    issuer = f"http://127.0.0.1:{port}/realms/alac-dev"
    proc = start(
        ["dev-issuer", "--data", str(tmp_path), "--port", str(port)],
        env_for(tmp_path),
        tmp_path / "issuer.log",
    )
    try:

        def answers() -> bool:
            try:
                return (
                    httpx.get(f"{issuer}/.well-known/openid-configuration", timeout=1).status_code
                    == 200
                )
            except httpx.HTTPError:
                return False

        wait_for(answers, 60, "the development issuer")
        done = _alac("token", "vera", "--password", "wrong", "--issuer", issuer, cwd=tmp_path)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert done.returncode == 1, done.stderr
    assert done.stderr.count("\n") == 1 and "refused 'vera'" in done.stderr


def test_sqlite_files_are_readable_by_their_owner_only(tmp_path):
    from alac_kernel.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.begin() as conn:
        conn.exec_driver_sql("create table t (a int)")
    engine.dispose()
    for name in ("x.db",):
        mode = stat.S_IMODE((tmp_path / name).stat().st_mode)
        assert mode == 0o600, oct(mode)
