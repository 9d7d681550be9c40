"""Worker threads (consumers, relays) carry their names to the operating system."""

from __future__ import annotations

import threading


def test_worker_threads_carry_their_name_to_the_os():
    """`top -H` and /proc say which consumer group or relay spends the CPU (the visibility
    bench reads it)."""
    from pathlib import Path

    from alac_kernel.runtime import name_this_thread

    seen: list[str] = []

    def run() -> None:
        name_this_thread("analytics-tenants-and-more")
        seen.append(Path(f"/proc/self/task/{threading.get_native_id()}/comm").read_text())

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    assert seen == ["analytics-tenan\n"]
