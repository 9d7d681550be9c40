"""Transactional outbox: an event is written in the same transaction as the state change it
describes, and a relay publishes it to the bus afterwards, with retries and backoff.

Per-aggregate order is kept: while an event of an aggregate waits for a retry, later events of
the same aggregate wait too.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import threading
import time
from collections.abc import Iterator
from datetime import timedelta

from sqlalchemy import Engine, Table, bindparam, func, insert, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from alac_kernel.bus import EventBus, OutgoingRecord
from alac_kernel.db import session_scope, utcnow
from alac_kernel.doorbell import (
    SAFETY_NET_S,
    Doorbell,
    engine_of,
    for_engine,
    ring_after_commit,
)
from alac_kernel.events import ContractRegistry, Event
from alac_kernel.events.binding import record_headers
from alac_kernel.observability.metrics import (
    EVENTS_PUBLISH_FAILURES,
    EVENTS_PUBLISHED,
    OUTBOX_BACKLOG,
)
from alac_kernel.prebuilt import Prebuilt

log = logging.getLogger("alac.outbox")

#: While events keep coming, the relay passes at most this often (OutboxRelay.run_forever).
PASS_EVERY_S = 0.05


class Outbox:
    """Records events into a service's outbox table inside the caller's transaction."""

    def __init__(self, table: Table, contracts: ContractRegistry, topic_prefix: str) -> None:
        self.table = table
        self.contracts = contracts
        self.topic_prefix = topic_prefix
        # Built once, run on the session's connection (alac_kernel.prebuilt): one per event.
        self._insert = Prebuilt(insert(table).values({k: bindparam(k) for k in _ROW_KEYS}))

    def record(self, session: Session, event: Event) -> None:
        self.insert(session, self.row(event))

    def row(self, event: Event) -> dict[str, object]:
        """The outbox row of `event`, validated against its contract: a use case may build it
        before its transaction and `insert` it inside, so that the write lock is not held
        while the event is checked and serialised."""
        # Validate before writing: an event that breaks its contract must fail the request
        # that produced it, not a consumer hours later.
        self.contracts.validate(event)
        return {
            "id": event.id,
            "aggregatetype": event.aggregate_type,
            "aggregateid": event.aggregate_id,
            "type": event.type,
            "tenant_id": event.tenantid,
            "topic": self.topic_prefix + event.aggregate_type,
            "payload": event.to_json().decode(),
            "state": "pending",
            "attempts": 0,
        }

    def insert(self, session: Session, row: dict[str, object]) -> None:
        """Write a row made by `row` in the caller's transaction."""
        self._insert.execute(session.connection(), {**row, "created_at": utcnow()})
        # The relay sleeps until a row is committed (alac_kernel.doorbell).
        ring_after_commit(session, outbox_doorbell(engine_of(session.get_bind())))


#: The columns of a new outbox row: what `Outbox.row` gives and `created_at`.
_ROW_KEYS = ("id", "aggregatetype", "aggregateid", "type", "tenant_id", "topic", "payload",
             "state", "attempts", "created_at")  # fmt: skip


def outbox_doorbell(engine: Engine) -> Doorbell:
    """The doorbell the relay of the database of `engine` waits on."""
    return for_engine(engine, "alac_outbox")


class OutboxRelay:
    def __init__(
        self,
        session_factory: sessionmaker[Session],
        table: Table,
        bus: EventBus,
        *,
        service: str,
        batch_size: int = 200,
        max_backoff_s: float = 30.0,
    ) -> None:
        self.session_factory = session_factory
        self.table = table
        self.bus = bus
        self.service = service
        self.batch_size = batch_size
        self.max_backoff_s = max_backoff_s
        self._thread_lock = threading.Lock()
        self.doorbell = outbox_doorbell(session_factory.kw["bind"])
        # The failures series exists, at 0, from the relay's start: "no failure" reads 0.
        EVENTS_PUBLISH_FAILURES.labels(service)
        self._retry_in_s: float | None = None  # until the earliest retry that is not yet due
        # While events keep coming, at most one pass per this many seconds (run_forever).
        self.coalesce_s = PASS_EVERY_S

    def backlog(self) -> int:
        with session_scope(self.session_factory, all_tenants=True) as session:
            return session.execute(
                select(func.count()).select_from(self.table).where(self.table.c.state == "pending")
            ).scalar_one()

    def run_once(self) -> int:
        """Publish what is due; return how many events were published.

        The broker is called outside any database transaction: a pass reads a batch in one
        short transaction, publishes it, then marks it published (or schedules the retry) in
        another. Holding the transaction across the publish would keep SQLite's write lock
        (BEGIN IMMEDIATE) for as long as the broker takes to answer or time out, so a broker
        outage would block every write request of the service. If the process dies between
        the publish and the mark, the batch is published again on the next pass: consumers
        deduplicate by event id in their inbox.
        """
        with self._exclusive_pass() as mine:
            if not mine:
                return 0
            return self._pass()

    def _pass(self) -> int:
        t = self.table
        now = utcnow()
        with session_scope(self.session_factory, all_tenants=True) as session:
            query = select(t).where(t.c.state == "pending").order_by(t.c.seq).limit(self.batch_size)
            rows = session.execute(query).mappings().all()
        blocked: set[str] = set()
        due = []
        for row in rows:
            key = f"{row['aggregatetype']}:{row['aggregateid']}"
            if key in blocked:
                continue
            if row["next_attempt_at"] is not None and row["next_attempt_at"] > now:
                blocked.add(key)
                continue
            due.append(row)
        if not due:
            OUTBOX_BACKLOG.labels(self.service).set(len(rows))
            waits = [r["next_attempt_at"] for r in rows if r["next_attempt_at"] is not None]
            self._retry_in_s = (min(waits) - now).total_seconds() if waits else None
            return 0
        records = [
            OutgoingRecord(
                topic=row["topic"],
                key=row["aggregateid"],  # = partitionkey, as the binding maps it
                value=row["payload"].encode(),
                headers=record_headers(Event.from_json(row["payload"])),
            )
            for row in due
        ]
        try:
            self.bus.publish(records)
        except Exception as exc:  # noqa: BLE001 - any bus failure means retry later
            EVENTS_PUBLISH_FAILURES.labels(self.service).inc()
            log.warning("outbox publish failed, will retry", extra={"error": str(exc)})
            with session_scope(self.session_factory, all_tenants=True) as session:
                for row in due:
                    attempts = row["attempts"] + 1
                    backoff = min(self.max_backoff_s, 0.1 * 2 ** min(attempts, 16))
                    session.execute(
                        update(t)
                        .where(t.c.seq == row["seq"], t.c.state == "pending")
                        .values(
                            attempts=attempts,
                            next_attempt_at=utcnow() + timedelta(seconds=backoff),
                            last_error=str(exc)[:2000],
                        )
                    )
            return 0
        with session_scope(self.session_factory, all_tenants=True) as session:
            session.execute(
                update(t)
                .where(t.c.seq.in_([row["seq"] for row in due]))
                .values(state="published", published_at=utcnow())
            )
        for row in due:
            EVENTS_PUBLISHED.labels(self.service, row["type"]).inc()
        OUTBOX_BACKLOG.labels(self.service).set(max(0, len(rows) - len(due)))
        return len(due)

    @contextlib.contextmanager
    def _exclusive_pass(self) -> Iterator[bool]:
        """One relay pass at a time per outbox, across threads, processes and replicas.

        Two passes running at once could publish an aggregate's later event before the
        earlier one. The lock is not a database write lock: an advisory lock held by its own
        connection outside any transaction on PostgreSQL, a lock file beside the database on
        SQLite; so writers never wait for it, whatever the broker does.
        """
        engine = self.session_factory.kw["bind"]
        if engine.dialect.name == "postgresql":
            name = f"alac-outbox-relay:{self.service}"
            with engine.connect() as conn:
                got = conn.execute(
                    text("SELECT pg_try_advisory_lock(hashtext(:name))"), {"name": name}
                ).scalar_one()
                conn.commit()
                try:
                    yield bool(got)
                finally:
                    if got:
                        conn.execute(
                            text("SELECT pg_advisory_unlock(hashtext(:name))"), {"name": name}
                        )
                        conn.commit()
            return
        database = engine.url.database
        if not database or database == ":memory:":
            with self._thread_lock:
                yield True
            return
        with open(f"{database}.relay-lock", "a+b") as lock_file:
            try:
                fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(lock_file, fcntl.LOCK_UN)

    def run_forever(self, stop: threading.Event, interval_s: float = 0.05) -> None:
        """Publish until `stop`. Between passes the relay sleeps until a transaction records an
        event (the outbox doorbell), a retry falls due, or SAFETY_NET_S pass; `interval_s`
        is the pause after a failed pass and the shortest wait for a retry.

        A ring less than `coalesce_s` after the last pass waits for the rest of that time:
        a pass costs about the same for one event as for a hundred (three short transactions,
        one of them a write), and under load every registration rang for a pass of its own,
        1.7 ms of CPU each against 0.06 ms per event in a batch (issue #15). An event after a
        quiet moment is still published at once."""
        last_pass = 0.0
        while not stop.is_set():
            seen = self.doorbell.generation
            self._retry_in_s = None
            try:
                published = self.run_once()
            except Exception:  # noqa: BLE001 - the relay must survive a database hiccup
                log.exception("outbox relay pass failed")
                stop.wait(interval_s)
                continue
            finally:
                last_pass = time.monotonic()
            if published >= self.batch_size:
                continue
            timeout = SAFETY_NET_S
            if self._retry_in_s is not None:
                timeout = min(timeout, max(interval_s, self._retry_in_s))
            if self.doorbell.wait(seen, timeout):
                stop.wait(max(0.0, last_pass + self.coalesce_s - time.monotonic()))
