"""Request limits that hold however a client presents itself and however many replicas run.

Two rules every service applies the same way:

- **Who the client is.** The peer address of the TCP connection, unless that peer is one of
  the operator's own proxies (`ALAC_TRUSTED_PROXIES`), in which case the rightmost address in
  `X-Forwarded-For` that is not a trusted proxy. A header sent by anyone else is ignored: a
  client that could name its own address would reset any limit with a new header value
  (found by probing: both intake limiters trusted the header from any client).
- **Counting.** By default hits are rows in the service's own database (`rate_limit_hits`),
  so every replica of a service counts against the same budget; an in-memory counter per
  process multiplied the limit by the number of replicas. A deployment of one process per
  service may count in memory instead (`ALAC_RATE_LIMITS=process`: no write transaction per
  limited request, but a restart forgets the counts); the production profile refuses it.

`window_limiter(settings, ...)` picks the store; a use case calls `limiter.take(key, detail)`
(or `refuse_if_blocked` and `record` for a budget of failures), which raises the domain error
`TooManyRequests` with the seconds to wait, answered as 429 with Retry-After.
"""

from __future__ import annotations

import math
import threading
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    delete,
    func,
    insert,
    select,
)
from sqlalchemy.orm import Session
from starlette.requests import Request

from alac_kernel.db import UTCDateTime, utcnow
from alac_kernel.errors import TooManyRequests
from alac_kernel.settings import Settings

BigIntPK = BigInteger().with_variant(Integer(), "sqlite")


def client_address(request: Request, trusted_proxies: frozenset[str]) -> str:
    peer = request.client.host if request.client else "-"
    if peer not in trusted_proxies:
        return peer
    hops = [h.strip() for h in request.headers.get("x-forwarded-for", "").split(",") if h.strip()]
    for hop in reversed(hops):  # the rightmost hops were added by our own proxies
        if hop not in trusted_proxies:
            return hop[:64]
    return peer


def add_rate_limit_table(metadata: MetaData) -> Table:
    return Table(
        "rate_limit_hits",
        metadata,
        Column("id", BigIntPK, primary_key=True, autoincrement=True),
        Column("bucket", String(64), nullable=False),
        Column("key", String(200), nullable=False),
        Column("at", UTCDateTime, nullable=False),
        Index("ix_rate_limit_hits_bucket_key_at", "bucket", "key", "at"),
    )


@dataclass(kw_only=True, eq=False)
class WindowLimiter(ABC):
    """At most `limit` hits per key in any `window_s` seconds.

    `bucket` names what is limited (web form, wrong receipt codes, ...); the key says whose
    budget it is (a client address, a complaint). `limit` may be changed on a live limiter."""

    bucket: str
    limit: int
    window_s: float
    clock: Callable[[], datetime] = utcnow

    @abstractmethod
    def hit(self, key: str) -> int | None:
        """Count one hit; None if within the limit, else the seconds to wait (Retry-After)."""

    @abstractmethod
    def blocked(self, key: str) -> int | None:
        """Seconds to wait if `key` has used its budget, without counting a hit."""

    @abstractmethod
    def record(self, key: str) -> None:
        """Count a hit whatever the budget (a failure already happened)."""

    def take(self, key: str, detail: str, **kwargs: Any) -> None:
        """Count one hit, or refuse with TooManyRequests (429, Retry-After) over the budget."""
        _refuse(self.hit(key), detail, kwargs)

    def refuse_if_blocked(self, key: str, detail: str, **kwargs: Any) -> None:
        """Refuse with TooManyRequests if `key` has used its budget; counts nothing."""
        _refuse(self.blocked(key), detail, kwargs)

    def _wait(self, oldest: datetime | None, now: datetime) -> int:
        if oldest is None:
            return 1
        return max(1, math.ceil((oldest - now).total_seconds() + self.window_s))


def _refuse(wait: int | None, detail: str, kwargs: dict[str, Any]) -> None:
    if wait is not None:
        raise TooManyRequests(detail, retry_after=wait, **kwargs)


@dataclass(eq=False)
class SharedWindowLimiter(WindowLimiter):
    """Counted in the service's database (`add_rate_limit_table`), so replicas share it.

    One table serves every limit of a service (`bucket` tells them apart). Each call runs in
    a session of its own and commits at once: a hit counts even when the request it belongs
    to fails afterwards (and on SQLite a write inside the caller's transaction would wait for
    that transaction's own lock)."""

    session_factory: Callable[[], Session]
    table: Table

    def _window(self, session: Session, key: str, now: datetime) -> tuple[int, datetime | None]:
        t = self.table
        since = now - timedelta(seconds=self.window_s)
        session.execute(delete(t).where(t.c.bucket == self.bucket, t.c.key == key, t.c.at <= since))
        n, oldest = session.execute(
            select(func.count(), func.min(t.c.at)).where(
                t.c.bucket == self.bucket, t.c.key == key, t.c.at > since
            )
        ).one()
        return int(n), oldest

    def hit(self, key: str) -> int | None:
        now = self.clock()
        with self.session_factory() as session, session.begin():
            n, oldest = self._window(session, key, now)
            if n >= self.limit:
                return self._wait(oldest, now)
            session.execute(insert(self.table).values(bucket=self.bucket, key=key, at=now))
        return None

    def blocked(self, key: str) -> int | None:
        now = self.clock()
        with self.session_factory() as session, session.begin():
            n, oldest = self._window(session, key, now)
        return self._wait(oldest, now) if n >= self.limit else None

    def record(self, key: str) -> None:
        with self.session_factory() as session, session.begin():
            session.execute(insert(self.table).values(bucket=self.bucket, key=key, at=self.clock()))


@dataclass(kw_only=True, eq=False)
class ProcessWindowLimiter(WindowLimiter):
    """Counted in this process's memory: for a deployment of one process per service only
    (every replica would have a budget of its own). Thread-safe; keys whose hits all left
    the window are forgotten, so many one-off clients do not grow it without bound."""

    #: Every this many calls, keys with nothing left in the window are dropped.
    SWEEP_EVERY: ClassVar[int] = 1024

    _hits: dict[str, deque[datetime]] = field(default_factory=dict, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)
    _calls: int = field(default=0, init=False)

    def _window(self, key: str, now: datetime) -> deque[datetime]:
        """The key's hits still in the window (oldest first); call with the lock held."""
        since = now - timedelta(seconds=self.window_s)
        self._calls += 1
        if self._calls % self.SWEEP_EVERY == 0:
            for other in [k for k, hits in self._hits.items() if not hits or hits[-1] <= since]:
                del self._hits[other]
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= since:
            hits.popleft()
        return hits

    def hit(self, key: str) -> int | None:
        now = self.clock()
        with self._lock:
            hits = self._window(key, now)
            if len(hits) >= self.limit:
                return self._wait(hits[0] if hits else None, now)
            hits.append(now)
        return None

    def blocked(self, key: str) -> int | None:
        now = self.clock()
        with self._lock:
            hits = self._window(key, now)
            return self._wait(hits[0] if hits else None, now) if len(hits) >= self.limit else None

    def record(self, key: str) -> None:
        now = self.clock()
        with self._lock:
            self._window(key, now).append(now)


def window_limiter(
    settings: Settings,
    *,
    session_factory: Callable[[], Session],
    table: Table,
    bucket: str,
    limit: int,
    window_s: float,
    clock: Callable[[], datetime] = utcnow,
) -> WindowLimiter:
    """The service's limiter for `bucket`, counted where `ALAC_RATE_LIMITS` says: the
    service's database (`database`, the default; every replica shares it) or this process
    (`process`)."""
    if settings.rate_limits == "process":
        return ProcessWindowLimiter(bucket=bucket, limit=limit, window_s=window_s, clock=clock)
    return SharedWindowLimiter(
        session_factory, table, bucket=bucket, limit=limit, window_s=window_s, clock=clock
    )
