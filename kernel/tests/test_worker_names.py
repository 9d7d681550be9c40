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


def test_the_kernels_own_threads_carry_their_name_to_the_os():
    """The log's heartbeat, the doorbells and the SQLite checkpointer are not counted under
    the consumer group that happened to start them."""
    from pathlib import Path

    from alac_kernel.threads import start_daemon

    seen: list[str] = []
    start_daemon(
        "bus-heartbeat",
        lambda: seen.append(Path(f"/proc/self/task/{threading.get_native_id()}/comm").read_text()),
    ).join()
    assert seen == ["bus-heartbeat\n"]


def test_a_periodic_task_marked_at_start_runs_as_the_workers_start():
    """Not an interval later (cases' deadline pass: what fell due while stopped is found at
    once, and the cold first pass is paid at start-up)."""
    from types import SimpleNamespace

    from alac_kernel.runtime import PeriodicTask, ServiceRuntime

    runtime = SimpleNamespace(_stop=threading.Event())
    ran: list[object] = []

    def run(rt: object) -> None:
        ran.append(rt)
        runtime._stop.set()

    task = PeriodicTask("deadlines", 3600.0, run, at_start=True)
    worker = threading.Thread(target=ServiceRuntime._run_periodic, args=(runtime, task))
    worker.start()
    worker.join(timeout=60)
    assert ran == [runtime], "the first pass ran without waiting an interval"
    assert not worker.is_alive()
