"""Threads that say what they are to the OS, so `top -H`, py-spy and
/proc/<pid>/task/<tid>/comm tell a consumer group from the log's heartbeat or a doorbell
(a thread otherwise inherits the OS name of the thread that started it: the kernel's own
threads were counted under the consumer group that happened to start them)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from pathlib import Path


def name_this_thread(name: str) -> None:
    """Give the calling thread `name` (its first 15 bytes) as its OS name (`bench.visibility`
    and `bench.idle` read it). Linux only; elsewhere nothing happens."""
    with contextlib.suppress(OSError):
        Path(f"/proc/self/task/{threading.get_native_id()}/comm").write_text(name[:15])


def start_daemon(name: str, target: Callable[[], object]) -> threading.Thread:
    """Start a daemon thread called `name` in Python and in the OS."""

    def run() -> None:
        name_this_thread(name)
        target()

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    return thread
