"""Helpers for tests that run the platform as real processes (e2e, crash tests, bench)."""

from __future__ import annotations

import os
import random
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

ROOT = Path.cwd()
ALAC = [sys.executable, "-m", "alac_cli.main"]
T = TypeVar("T")


def free_port_base(span: int = 100) -> int:
    """A base port whose web (base), service (base+1..4), mail catcher (base+25) and issuer
    (base+90) ports are free."""
    for _ in range(50):
        # Below Linux's ephemeral range (32768-60999): a port there that is free when probed
        # can be taken a moment later by any outgoing connection's local port, and a service
        # then fails to bind (seen: "cases exited with code 3", address already in use).
        base = random.randrange(20000, 32600, 100)
        if all(_free(base + offset) for offset in (0, 1, 2, 3, 4, 25, 90)):
            return base
    raise RuntimeError("no free port range found")


def _free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def children_of(pid: int) -> set[int]:
    """Every descendant process of `pid`, read from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            parents[int(entry.name)] = ppid
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        nxt = {child for child, parent in parents.items() if parent in frontier}
        nxt -= found
        found |= nxt
        frontier = nxt
    return found


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def wait_for(
    check: Callable[[], T | None], timeout_s: float, what: str, interval_s: float = 0.05
) -> T:
    deadline = time.monotonic() + timeout_s
    last: T | None = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval_s)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}; last value: {last!r}")


def env_for(data: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"ALAC_DATA_DIR": str(data), "ALAC_LOG_JSON": "true", **extra})
    return env


def start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [*ALAC, *args], env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT, cwd=ROOT
    )
