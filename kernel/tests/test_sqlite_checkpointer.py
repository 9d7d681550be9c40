"""The SQLite checkpointer (alac_kernel.db._Checkpointer): a lone commit waits for company
(an idle platform's heartbeats and safety-net passes do not each pay a checkpoint), and a run
of commits is checkpointed at once, as under load."""

from __future__ import annotations

import threading
import time

from alac_kernel.db import _Checkpointer


class Recording(_Checkpointer):
    def __init__(self, *, after_s: float, idle_s: float, busy_commits: int) -> None:
        super().__init__(after_s=after_s, idle_s=idle_s, busy_commits=busy_commits)
        self.done: list[str] = []
        self.happened = threading.Event()

    def checkpoint(self, path: str) -> None:
        self.done.append(path)
        self.happened.set()


def test_a_lone_commit_waits_and_a_run_of_commits_is_checkpointed_at_once():
    checkpointer = Recording(after_s=0.01, idle_s=3600.0, busy_commits=3)
    checkpointer.committed("/data/bus.db")
    time.sleep(0.5)  # many times `after_s`: the old checkpointer had copied the WAL by now
    assert checkpointer.done == [], "one commit alone waits for company"
    checkpointer.committed("/data/bus.db")
    checkpointer.committed("/data/cases.db")
    assert checkpointer.happened.wait(30), "three commits are checkpointed without waiting"
    assert sorted(checkpointer.done) == ["/data/bus.db", "/data/cases.db"]


def test_a_lone_commit_is_checkpointed_after_the_idle_wait():
    checkpointer = Recording(after_s=0.01, idle_s=0.2, busy_commits=100)
    checkpointer.committed("/data/bus.db")
    assert checkpointer.happened.wait(30)
    assert checkpointer.done == ["/data/bus.db"]
