"""Short-lived server-side values behind random cookie ids: the receipt code waiting to be
shown once, and the receipt code of a follow-up visit. In memory only, so a receipt code is
never written to disk by the front end; a restart forgets them (the visitor types the code
again). One process: behind several replicas this needs sticky sessions or a shared store."""

from __future__ import annotations

import secrets
import threading
import time
from typing import Any


class TtlStore:
    def __init__(self, ttl_s: float, max_items: int = 50_000) -> None:
        self.ttl_s, self.max_items = ttl_s, max_items
        self._items: dict[str, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def _prune(self, now: float) -> None:
        for key in [k for k, (exp, _) in self._items.items() if exp <= now]:
            del self._items[key]
        while len(self._items) >= self.max_items:  # a flood evicts the oldest, never grows
            del self._items[next(iter(self._items))]

    def put(self, value: Any) -> str:
        key = secrets.token_urlsafe(32)
        now = time.monotonic()
        with self._lock:
            self._prune(now)
            self._items[key] = (now + self.ttl_s, value)
        return key

    def put_as(self, key: str, value: Any) -> None:
        """Store under a key the caller already holds (e.g. a session id)."""
        now = time.monotonic()
        with self._lock:
            self._prune(now)
            self._items[key] = (now + self.ttl_s, value)

    def get(self, key: str | None, *, touch: bool = True) -> Any | None:
        """The value, its lifetime renewed (idle timeout), or None when unknown or expired."""
        if not key:
            return None
        now = time.monotonic()
        with self._lock:
            hit = self._items.get(key)
            if hit is None or hit[0] <= now:
                self._items.pop(key, None)
                return None
            if touch:
                self._items[key] = (now + self.ttl_s, hit[1])
            return hit[1]

    def pop(self, key: str | None) -> Any | None:
        value = self.get(key, touch=False)
        if key:
            with self._lock:
                self._items.pop(key, None)
        return value
