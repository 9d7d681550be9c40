"""A first-come, first-served gate: at most `slots` threads inside at once, the others wait
their turn in the order they came.

Why: a service's sync routes run in the server's thread pool (40 threads), so at 32
concurrent requests 32 threads share one GIL and, on SQLite, one write lock. Python hands the
GIL round-robin every few milliseconds and a lock to whoever asks next, so each request's
CPU-bound work is stretched over the whole burst and a request can lose the race again and
again: at c=32 intake's p99 was 2.5-3 times its p50 (issue #15), and the thread switches cost
CPU themselves (10-25 % more per complaint with 32 threads than with one). Behind this gate
the few threads inside run nearly alone and the rest queue in order, so the wait is the
queue's length and nothing more (p99 about 1.3-1.6 times p50 in the same test).

`threading.Semaphore` is not enough: a thread that arrives just as a slot frees takes it
before the threads already waiting (measured: p50 28 ms, p99 4.2 s). Here a leaving thread
hands its slot to the longest-waiting one directly.
"""

from __future__ import annotations

import threading
from collections import deque
from types import TracebackType


class FairGate:
    """`with gate:` enters when one of `slots` is free and nobody waits before; else waits."""

    def __init__(self, slots: int) -> None:
        if slots < 1:
            raise ValueError("a gate needs at least one slot")
        self.slots = slots
        self._free = slots
        self._lock = threading.Lock()
        self._waiting: deque[threading.Lock] = deque()

    def __enter__(self) -> FairGate:
        with self._lock:
            if self._free and not self._waiting:
                self._free -= 1
                return self
            turn = threading.Lock()
            turn.acquire()
            self._waiting.append(turn)
        turn.acquire()  # released by the thread that hands its slot over (__exit__)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        with self._lock:
            if self._waiting:
                self._waiting.popleft().release()  # the slot passes on, never back to the pool
            else:
                self._free += 1

    @property
    def waiting(self) -> int:
        """How many threads wait for a slot now."""
        return len(self._waiting)
