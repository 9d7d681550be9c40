"""Database engines and sessions, and the tenant scope every query runs under.

SQLite (the embedded default) runs in WAL mode with a busy timeout so several processes can
read and write one file at once; PostgreSQL is the production database. Tenant scoping is
automatic: every ORM query on a `TenantScoped` model gets `tenant_id = :tenant` added by a
session hook, and a query on such a model in a session without a tenant raises instead of
silently reading every tenant's rows.
"""

from __future__ import annotations

import errno
import logging
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar, cast
from urllib.parse import quote

from sqlalchemy import Connection, DateTime, Dialect, Engine, Select, String, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import (
    Mapped,
    ORMExecuteState,
    Session,
    mapped_column,
    sessionmaker,
    with_loader_criteria,
)
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.sql import visitors
from sqlalchemy.types import TypeDecorator

from alac_kernel.errors import NotFound, Unavailable
from alac_kernel.threads import start_daemon

log = logging.getLogger("alac.db")

TENANT_KEY = "tenant_id"
ALL_TENANTS_KEY = "all_tenants"


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return str(uuid.uuid4())


Row = TypeVar("Row")


def one_found(session: Session, statement: Select[Row], what: str) -> Row:
    """The one record `statement` selects, or NotFound(`what`). A use case looks a record up by
    its id and its owner (tenant, office, recipient...) together, so that a record that does
    not exist and one the caller may not see answer alike."""
    found = session.execute(statement).scalar_one_or_none()
    if found is None:
        raise NotFound(what)
    return found


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware datetimes on every database (SQLite stores naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware UTC datetime")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any] | None:
        # On SQLite, process_bind_param then the DATETIME type's text format (a dict of seven
        # fields and a %-format per value) fused into one call giving the same text: a
        # rebuild writes five datetimes per fact, and this was an eighth of its time.
        impl = self.impl_instance.dialect_impl(dialect)
        if dialect.name == "sqlite" and getattr(impl, "_storage_format", None) == _SQLITE_TEXT:
            return _sqlite_utc_text
        return super().bind_processor(dialect)


#: SQLAlchemy's default text of a SQLite DATETIME ("2025-01-01 09:30:00.000000").
_SQLITE_TEXT = (
    "%(year)04d-%(month)02d-%(day)02d %(hour)02d:%(minute)02d:%(second)02d.%(microsecond)06d"
)


def _sqlite_utc_text(value: datetime | None) -> str | None:
    """UTCDateTime's value as SQLite stores it: in UTC, as `_SQLITE_TEXT` has it."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime given; use an aware UTC datetime")
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    # isoformat pads the year to four digits like %04d; [:26] leaves out "+00:00".
    return value.isoformat(" ", "microseconds")[:26]


def _private_file(path: Path) -> None:
    """Create the database file readable by its owner only (0600) before SQLite opens it.

    The files hold complaints (and, for intake, the sealed vault); the process umask usually
    gives 0644, readable by every user of the machine. SQLite gives its -wal and -shm files
    the database file's permissions, so they follow.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)


#: SQLite's page cache per connection, in KiB (SQLite's own default, stated so that the bound
#: on a process's memory is explicit: a 512 KiB cache saved intake 7 MiB of RSS over three
#: minutes of load, which did not justify more reads for the read models' rebuilds).
SQLITE_CACHE_KIB = 2000


def make_engine(url: str, *, pool_size: int = 5, read_only: bool = False) -> Engine:
    """An engine configured for concurrent use by several threads and processes.

    `read_only` engines on SQLite begin deferred transactions: a reader never needs the write
    lock, and under WAL it never blocks or waits for writers.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            _private_file(Path(parsed.database))
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        file_database = bool(parsed.database) and parsed.database != ":memory:"
        checkpointed = parsed.database if file_database and not read_only else None

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: object) -> None:
            # WAL lets readers go on while one writer writes; the busy timeout makes writers
            # from other processes wait their turn instead of failing with "database is locked".
            # Transactions are begun by SQLAlchemy (below) so BEGIN IMMEDIATE can be used.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            # Each connection's page cache fills up to this and stays (a bounded warm-up of
            # RSS: up to 15 connections per engine, SQLAlchemy's pool of 5 and 10 more).
            cur.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
            if checkpointed is not None:
                # The WAL is copied into the database by the process's checkpointer thread
                # (below), not by the commit that crosses 1,000 pages: that commit did it
                # while it still held the write lock, with an fsync, so every writer behind
                # it waited (about half the CPU and wall time of a registration's commit).
                cur.execute("PRAGMA wal_autocheckpoint=0")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Connection) -> None:
            # Take the write lock at BEGIN: a deferred transaction that reads and then writes
            # can fail with SQLITE_BUSY without waiting when another process wrote meanwhile.
            if not read_only:
                writers.enter(conn)
            conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

        if not read_only:
            writers = _WriterQueue(checkpoint=checkpointed)
            writers.install(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=pool_size, max_overflow=10)


class _WriterQueue:
    """The threads of one process take turns for SQLite's write lock on a Python lock.

    Without it, threads that find the lock taken sleep in SQLite's busy handler (1, 2, 5, ...
    up to 100 ms between tries) and a newcomer can take the lock before a thread that has
    waited for seconds: at 32 concurrent requests, p99 was seconds for a lock held a few
    milliseconds. Waiting on a Python lock wakes the next thread as soon as the lock is free.
    Other processes still meet at SQLite's lock (busy_timeout). A thread that waits longer
    than the busy timeout goes ahead to BEGIN IMMEDIATE and lets SQLite decide, as before."""

    def __init__(self, timeout_s: float = 30, checkpoint: str | None = None) -> None:
        self._lock = threading.Lock()
        self._timeout_s = timeout_s
        self._holders: set[int] = set()  # id() of the DBAPI connections that have the turn
        self._checkpoint = checkpoint  # the database file the checkpointer copies the WAL of

    def install(self, engine: Engine) -> None:
        # The turn passes on after the DBAPI commit or rollback has released SQLite's lock
        # (SQLAlchemy's commit/rollback events fire before it), so the next writer does not
        # meet the busy handler; a connection returned to the pool in a failed state
        # (a BEGIN that failed, an invalidated connection) gives its turn up too.
        dialect = engine.dialect
        commit, rollback = dialect.do_commit, dialect.do_rollback

        def do_commit(dbapi_conn: PoolProxiedConnection) -> None:
            try:
                commit(dbapi_conn)
            finally:
                self.leave(dbapi_conn)
            if self._checkpoint is not None:
                CHECKPOINTER.committed(self._checkpoint)

        def do_rollback(dbapi_conn: PoolProxiedConnection) -> None:
            try:
                rollback(dbapi_conn)
            finally:
                self.leave(dbapi_conn)

        # Patched on this engine's dialect instance only (no event fires after the DBAPI call).
        dialect.do_commit = do_commit  # type: ignore[method-assign,assignment]
        dialect.do_rollback = do_rollback  # type: ignore[method-assign,assignment]
        event.listen(engine.pool, "checkin", lambda dbapi_conn, _record: self.leave(dbapi_conn))
        if self._checkpoint is not None:
            CHECKPOINTER.writes(self._checkpoint, self._lock)

    def enter(self, conn: Connection) -> None:
        key = id(conn.connection.dbapi_connection)
        if key not in self._holders and self._lock.acquire(timeout=self._timeout_s):
            self._holders.add(key)

    def leave(self, dbapi_conn: object) -> None:
        key = id(dbapi_conn)
        if key in self._holders:
            self._holders.discard(key)
            self._lock.release()


class _Checkpointer:
    """One thread per process copies the WAL of the SQLite files it writes into the files
    (a PASSIVE checkpoint: it waits for no reader or writer, and holds no write lock), a
    moment after commits, instead of the commit that happens to cross SQLite's 1,000-page
    mark doing it under the write lock. The thread sleeps while nothing is committed.

    A few commits (an idle platform: the log's heartbeat every 10/3 s, a relay's safety-net
    pass) wait for company up to `idle_s`: their pages need no hurry, and a checkpoint after
    each was a tenth of what an idle platform cost. `busy_commits` commits are checkpointed a
    moment (`after_s`) after the first, as before.

    A passive checkpoint never lets the WAL start again from its beginning while writers keep
    coming (SQLite restarts it only at a write that finds every frame copied): under a
    sustained load the WAL grew without end (2.6 GB in three minutes at c=32, issue #15) and
    its index (the -shm file, mapped by every connection) with it, a steady rise of RSS. When
    the WAL holds more than `restart_frames`, the checkpointer takes the process's writer turn
    and truncates it (a TRUNCATE checkpoint: the few frames left are copied and readers of
    the old frames finish first), so the WAL stays under about 64 MiB."""

    def __init__(
        self,
        after_s: float = 0.25,
        idle_s: float = 30.0,
        busy_commits: int = 8,
        restart_frames: int = 16384,
    ) -> None:
        self._after_s = after_s  # the commits of this moment share one checkpoint
        self._idle_s = idle_s
        self._busy_commits = busy_commits
        self._restart_frames = restart_frames
        self._pending: set[str] = set()
        self._commits = 0  # since the last checkpoint
        self._turns: dict[str, threading.Lock] = {}  # file -> its writers' turn (_WriterQueue)
        self._lock = threading.Lock()
        self._due = threading.Event()
        self._busy = threading.Event()
        self._thread: threading.Thread | None = None

    def committed(self, path: str) -> None:
        with self._lock:
            self._pending.add(path)
            self._commits += 1
            if self._thread is None:
                self._thread = start_daemon("sqlite-checkpoint", self._run)
        self._due.set()
        if self._commits >= self._busy_commits:
            self._busy.set()

    def _run(self) -> None:
        while True:
            self._due.wait()
            time.sleep(self._after_s)
            if self._commits < self._busy_commits:
                self._busy.wait(self._idle_s)
            with self._lock:
                due, self._pending = self._pending, set()
                self._commits = 0
                self._due.clear()
                self._busy.clear()
            for path in due:
                self.checkpoint(path)

    def writes(self, path: str, writer_turn: threading.Lock) -> None:
        """`writer_turn` is the lock this process's writers of `path` take turns on."""
        self._turns[path] = writer_turn

    def checkpoint(self, path: str) -> None:
        try:
            # mode=rw: never create a file that is gone (a test's temporary folder).
            conn = sqlite3.connect(
                f"file:{quote(path)}?mode=rw", uri=True, isolation_level=None, timeout=1
            )
        except sqlite3.Error:
            return
        try:
            _busy, wal_frames, _copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            turn = self._turns.get(path)
            if wal_frames > self._restart_frames and turn is not None and turn.acquire(timeout=1):
                try:
                    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
                finally:
                    turn.release()
        except sqlite3.Error as exc:  # busy or gone: the next commit asks again
            log.debug("checkpoint of %s skipped: %s", path, exc)
        finally:
            conn.close()


CHECKPOINTER = _Checkpointer()


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


class TenantScoped:
    """Mixin for rows that belong to a tenant; queries are filtered by the session's tenant."""

    tenant_id: Mapped[str] = mapped_column(String(64), index=True)


class TenantScopeMissing(RuntimeError):
    """A tenant-scoped table was queried in a session with no tenant: refuse, never leak."""


def install_tenant_scope(factory: sessionmaker[Session]) -> None:
    @event.listens_for(factory, "do_orm_execute")
    def _scope(state: ORMExecuteState) -> None:
        if not (state.is_select or state.is_update or state.is_delete):
            return
        if state.session.info.get(ALL_TENANTS_KEY):
            return
        tenant = state.session.info.get(TENANT_KEY)
        if not _touches_scoped(state):
            return
        if tenant is None:
            raise TenantScopeMissing(
                "query on tenant-scoped data in a session without a tenant; "
                "open the session with session_scope(tenant=...) or all_tenants=True"
            )
        state.statement = state.statement.options(
            with_loader_criteria(
                TenantScoped,
                lambda cls: cls.tenant_id == tenant,
                include_aliases=True,
            )
        )


def _is_scoped(entity: object) -> bool:
    cls = getattr(entity, "class_", None)
    return isinstance(cls, type) and issubclass(cls, TenantScoped)


def _touches_scoped(state: ORMExecuteState) -> bool:
    if any(_is_scoped(m) for m in state.all_mappers):
        return True
    # `all_mappers` only lists entities in the columns clause: `select(func.count())
    # .select_from(Model)` or a join to a model would slip through (and read every tenant's
    # rows). ORM entities anywhere in the statement carry a `parententity` annotation.
    return any(
        _is_scoped(getattr(element, "_annotations", {}).get("parententity"))
        for element in visitors.iterate(cast(visitors.ExternallyTraversible, state.statement))
    )


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    factory = sessionmaker(engine, expire_on_commit=False)
    install_tenant_scope(factory)
    return factory


@contextmanager
def session_scope(
    factory: sessionmaker[Session], *, tenant: str | None = None, all_tenants: bool = False
) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    session = factory()
    session.info[TENANT_KEY] = tenant
    session.info[ALL_TENANTS_KEY] = all_tenants
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


__all__ = [
    "UTCDateTime",
    "TenantScoped",
    "TenantScopeMissing",
    "make_engine",
    "make_session_factory",
    "session_scope",
    "utcnow",
    "new_id",
    "is_sqlite",
]


# SQLite's SQLITE_FULL and PostgreSQL's disk_full (class 53, insufficient resources).
_SQLITE_FULL = 13
_PG_DISK_FULL = "53100"
# SQLite's busy, locked, I/O error and cannot-open: the file or its lock, not the statement.
_SQLITE_PASSING = frozenset({5, 6, 10, 14})


def storage_refusal(exc: BaseException) -> Unavailable | None:
    """The domain error for a database or disk that cannot take a write now, else None.

    A full disk (SQLite's "database or disk is full", PostgreSQL's disk_full, ENOSPC while
    writing a file) and a database that cannot be reached (stopped, restarting) are states of
    the machine, not bugs: the caller gets a 503 problem and may retry (the transaction was
    rolled back, so nothing was half-written), rather than a 500."""
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return _full()
    if not isinstance(exc, OperationalError):
        return None
    orig = exc.orig
    if getattr(orig, "sqlite_errorcode", None) == _SQLITE_FULL or (
        getattr(orig, "sqlstate", None) == _PG_DISK_FULL
    ):
        return _full()
    sqlite_code = getattr(orig, "sqlite_errorcode", None)
    passing = (
        sqlite_code in _SQLITE_PASSING
        if sqlite_code is not None
        # PostgreSQL: no SQLSTATE means the server never answered (refused, closed, restarting)
        else exc.connection_invalidated or getattr(orig, "sqlstate", None) is None
    )
    if passing:
        return Unavailable(
            "The database cannot be reached just now; nothing was saved. Try again shortly.",
            headers={"Retry-After": "5"},
        )
    return None


def _full() -> Unavailable:
    return Unavailable(
        "There is no storage space left; nothing was saved. Try again later.",
        headers={"Retry-After": "30"},
    )
