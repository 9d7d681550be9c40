"""Request limits that hold however a client presents itself and however many replicas run.

Two rules every service applies the same way:

- **Who the client is.** The peer address of the TCP connection, unless that peer is one of
  the operator's own proxies (`ALAC_TRUSTED_PROXIES`), in which case the rightmost address in
  `X-Forwarded-For` that is not a trusted proxy. A header sent by anyone else is ignored: a
  client that could name its own address would reset any limit with a new header value
  (found by probing: both intake limiters trusted the header from any client).
- **Counting.** Hits are rows in the service's own database (`rate_limit_hits`), so every
  replica of a service counts against the same budget; an in-memory counter per process
  multiplied the limit by the number of replicas.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime, timedelta

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


class SharedWindowLimiter:
    """At most `limit` hits per key in any `window_s` seconds, counted in the database.

    `bucket` names what is limited (web form, wrong receipt codes, ...), so one table serves
    every limit of a service. Each call runs in a session of its own and commits at once: a
    hit counts even when the request it belongs to fails afterwards.
    """

    def __init__(
        self,
        session_factory: Callable[[], Session],
        table: Table,
        *,
        bucket: str,
        limit: int,
        window_s: float,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.session_factory, self.table, self.bucket = session_factory, table, bucket
        self.limit, self.window_s, self.clock = limit, window_s, clock

    def _window(self, session: Session, key: str, now: datetime) -> tuple[int, datetime | None]:
        t = self.table
        since = now - timedelta(seconds=self.window_s)
        session.execute(delete(t).where(t.c.bucket == self.bucket, t.c.key == key, t.c.at <= since))
        n, oldest = session.execute(
            select(func.count(), func.min(t.c.at)).where(
                t.c.bucket == self.bucket, t.c.key == key, t.c.at > since
            )
        ).one()
        return n, oldest

    def _wait(self, oldest: datetime | None, now: datetime) -> int:
        if oldest is None:
            return 1
        return max(1, math.ceil((oldest - now).total_seconds() + self.window_s))

    def hit(self, key: str) -> int | None:
        """Count one hit; None if within the limit, else the seconds to wait (Retry-After)."""
        now = self.clock()
        with self.session_factory() as session, session.begin():
            n, oldest = self._window(session, key, now)
            if n >= self.limit:
                return self._wait(oldest, now)
            session.execute(insert(self.table).values(bucket=self.bucket, key=key, at=now))
        return None

    def blocked(self, key: str) -> int | None:
        """Seconds to wait if `key` has used its budget, without counting a hit."""
        now = self.clock()
        with self.session_factory() as session, session.begin():
            n, oldest = self._window(session, key, now)
        return self._wait(oldest, now) if n >= self.limit else None

    def record(self, key: str) -> None:
        """Count a hit whatever the budget (a failure already happened)."""
        with self.session_factory() as session, session.begin():
            session.execute(insert(self.table).values(bucket=self.bucket, key=key, at=self.clock()))
