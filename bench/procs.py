"""Child processes of the bench: free loopback ports, spawn, wait until ready, stop.

No orphans: every child gets PR_SET_PDEATHSIG (the kernel stops it if the bench dies, even by
SIGKILL) and its own process group; `Processes` stops them all on exit, exception or Ctrl-C.
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent  # the virtualenv's bin/ (alac, uvicorn, ...)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def distinct_ports(n: int) -> list[int]:
    """`n` different free loopback ports, ascending."""
    ports: set[int] = set()
    while len(ports) < n:
        ports.add(free_port())
    return sorted(ports)


def service_env(data: Path, issuer: str) -> dict[str, str]:
    """The environment of a service process the benches start: its data folder, the issuer,
    its workers on, quiet logs, and this checkout importable (the bench's own modules)."""
    env = dict(os.environ)
    env.update(
        ALAC_DATA_DIR=str(data),
        ALAC_AUTH_ISSUER=issuer,
        ALAC_RUN_WORKERS="true",
        ALAC_LOG_LEVEL="WARNING",
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])),
    )
    return env


def _die_with_parent() -> None:
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class Processes:
    """The bench's children, by name; a context manager that stops them all on exit."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def __enter__(self) -> Processes:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop_all()

    def log_path(self, name: str) -> Path:
        return self.log_dir / f"{name}.log"

    def spawn(self, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        with open(self.log_path(name), "ab") as log:
            proc = subprocess.Popen(
                args,
                env=env,
                cwd=REPO,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent,  # noqa: PLW1509 - no threads in the bench yet
                start_new_session=True,  # Ctrl-C in the terminal reaches only the bench
            )
        self.procs[name] = proc
        return proc

    def wait_http(self, name: str, url: str, timeout_s: float = 60) -> None:
        proc = self.procs[name]
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with code {proc.returncode}:\n{self.tail(name)}")
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{name}: {url} not ready within {timeout_s:.0f} s:\n{self.tail(name)}")

    def tail(self, name: str, lines: int = 30) -> str:
        try:
            text = self.log_path(name).read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, name: str, grace_s: float = 10) -> None:
        proc = self.procs.pop(name, None)
        if proc is not None:
            _stop([proc], grace_s)

    def stop_all(self, grace_s: float = 10) -> None:
        procs = list(self.procs.values())
        self.procs.clear()
        _stop(procs, grace_s)


def _stop(procs: list[subprocess.Popen[bytes]], grace_s: float) -> None:
    for proc in procs:
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
    deadline = time.monotonic() + grace_s
    for proc in procs:
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()
