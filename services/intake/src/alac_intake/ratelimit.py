"""A sliding-window request limiter keyed by client address.

Per process: each intake process counts on its own (the embedded profile runs one). Behind
several replicas the effective limit is the limit times the replicas; a shared store would be
needed to make it exact, and the public form does not warrant one yet."""

from __future__ import annotations

import math
import threading
import time
from collections import defaultdict, deque


class SlidingWindowLimiter:
    def __init__(self, *, limit: int, window_s: float) -> None:
        self.limit, self.window_s = limit, window_s
        self._hits: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def hit(self, key: str) -> int | None:
        """Count one request; None if allowed, else the seconds to wait (for Retry-After)."""
        now = time.monotonic()
        with self._lock:
            hits = self._hits[key]
            while hits and hits[0] <= now - self.window_s:
                hits.popleft()
            if len(hits) >= self.limit:
                return max(1, math.ceil(hits[0] + self.window_s - now))
            hits.append(now)
            if len(self._hits) > 100_000:  # bound memory under a flood of addresses
                for stale in [k for k, v in self._hits.items() if not v]:
                    del self._hits[stale]
            return None
