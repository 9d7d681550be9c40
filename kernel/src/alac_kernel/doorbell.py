"""Doorbells: a writer rings when it has committed something a waiting reader needs (an outbox
row for the relay, a record on the embedded log for its consumers), so that readers sleep
instead of polling, and wake at once.

- In the process: a condition variable with a ring counter (`generation`): a reader notes the
  counter, looks for work, and waits only if the counter has not moved since.
- Between processes sharing an SQLite file: each process that waits binds one Linux abstract
  Unix datagram socket per file and lists its name in `<file>.doorbell/`; ringing sends one byte
  to each listed socket (a name whose socket is gone belongs to a dead process and is removed).
- PostgreSQL: `pg_notify` in the writing transaction (delivered at commit, dropped on rollback)
  and one LISTEN connection per process and channel.

A ring can be missed (a process that started listening just after it, a full socket buffer, a
lost database connection): readers still look every `SAFETY_NET_S` seconds.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Collection, Iterable
from pathlib import Path

from sqlalchemy import Connection, Engine, event, text
from sqlalchemy.orm import Session

from alac_kernel.threads import start_daemon

log = logging.getLogger("alac.doorbell")

SAFETY_NET_S = 5.0
MAX_PAYLOAD = 4000  # bytes of names a ring carries (PostgreSQL's NOTIFY takes under 8000)
_RING_KEY = "alac_doorbells"


class Doorbell:
    """In-process doorbell; subclasses add the ring between processes.

    A ring may name what it is for (the embedded log: the topics written to); a waiter that
    names what it waits for (a consumer: its topics) sleeps through rings for other names.
    A ring naming nothing wakes every waiter."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._generation = 0
        self._unnamed = 0
        self._named: dict[str, int] = {}

    @property
    def generation(self) -> int:
        return self._generation

    def generation_for(self, names: Collection[str] | None) -> int:
        """A counter that moves with every ring naming one of `names` or naming nothing
        (None: with every ring)."""
        if names is None:
            return self._generation
        return self._unnamed + sum(self._named.get(name, 0) for name in names)

    def ring_local(self, names: Iterable[str] | None = None) -> None:
        with self._cond:
            self._generation += 1
            if names is None:
                self._unnamed += 1
            else:
                for name in names:
                    self._named[name] = self._named.get(name, 0) + 1
            self._cond.notify_all()

    def ring(self, names: Collection[str] | None = None) -> None:
        """After a commit: wake the waiters of this process and of the others."""
        self.ring_local(names)

    def ring_in(self, conn: Connection, names: Collection[str] | None = None) -> None:
        """Inside the writing transaction (PostgreSQL's NOTIFY); nothing elsewhere."""

    def listen(self) -> None:
        """Start receiving rings from other processes (idempotent)."""

    def wait(self, seen: int, timeout_s: float, names: Collection[str] | None = None) -> bool:
        """Wait until rung after `seen` (`generation_for(names)` read before looking for
        work), at most `timeout_s`; True if it was rung."""
        self.listen()
        with self._cond:
            return self._cond.wait_for(
                lambda: self.generation_for(names) != seen, timeout=timeout_s
            )


def _payload(names: Collection[str] | None) -> str:
    """What a ring carries between processes: the names, one a line; "" for every waiter."""
    return "" if names is None else "\n".join(sorted(names))


def _names(payload: str) -> list[str] | None:
    # "" (and "!", the rings of earlier versions) name nothing: every waiter wakes.
    return None if payload in ("", "!") else payload.split("\n")


class FileDoorbell(Doorbell):
    """Processes that share one SQLite file (abstract sockets: Linux only; elsewhere in-process
    rings and the safety net)."""

    def __init__(self, database: str) -> None:
        super().__init__()
        self.directory = Path(f"{database}.doorbell")
        self._prefix = (
            "\0alac-doorbell-"
            + hashlib.sha256(str(self.directory.resolve()).encode()).hexdigest()[:16]
        )
        self._name = f"{os.getpid()}-{secrets.token_hex(4)}"
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._sender: socket.socket | None = None

    def listen(self) -> None:
        if self._listener is not None or not hasattr(socket, "AF_UNIX"):
            return
        with self._lock:
            if self._listener is not None:
                return
            try:
                sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
                sock.bind(self._prefix + self._name)
                self.directory.mkdir(parents=True, exist_ok=True)
                (self.directory / self._name).touch()
            except OSError as exc:  # no abstract sockets here: in-process rings only
                log.info("doorbell between processes unavailable: %s", exc)
                self._listener = socket.socket()  # a placeholder, never read
                return
            self._listener = sock
            atexit.register(self._forget)
            start_daemon("doorbell", self._receive)

    def _receive(self) -> None:
        assert self._listener is not None
        while True:
            try:
                payload = self._listener.recv(MAX_PAYLOAD)
            except OSError:
                return
            self.ring_local(_names(payload.decode(errors="replace")))

    def _forget(self) -> None:
        with contextlib.suppress(OSError):
            (self.directory / self._name).unlink()

    def ring(self, names: Collection[str] | None = None) -> None:
        self.ring_local(names)
        message = (_payload(names) or "!").encode()
        if len(message) > MAX_PAYLOAD:
            message = b"!"  # too many names for one datagram: wake everyone
        try:
            names = os.listdir(self.directory)
        except OSError:
            return  # nobody has listened yet
        if self._sender is None:
            sender = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            sender.setblocking(False)
            self._sender = sender
        for name in names:
            if name == self._name:
                continue
            try:
                self._sender.sendto(message, self._prefix + name)
            except (ConnectionRefusedError, FileNotFoundError):
                with contextlib.suppress(OSError):  # its process is gone
                    (self.directory / name).unlink()
            except OSError:
                pass  # its buffer is full: it has rings to read already


class PostgresDoorbell(Doorbell):
    """NOTIFY in the writing transaction, LISTEN on a connection of its own."""

    def __init__(self, engine: Engine, channel: str) -> None:
        super().__init__()
        self.channel = channel
        self._url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._started = False
        self._lock = threading.Lock()

    def ring_in(self, conn: Connection, names: Collection[str] | None = None) -> None:
        payload = _payload(names)
        if len(payload) > MAX_PAYLOAD:
            payload = ""  # NOTIFY's payload is limited: wake everyone
        conn.execute(
            text("SELECT pg_notify(:channel, :payload)"),
            {"channel": self.channel, "payload": payload},
        )

    def listen(self) -> None:
        if self._started:
            return
        with self._lock:
            if not self._started:
                self._started = True
                start_daemon("doorbell", self._receive)

    def _receive(self) -> None:
        import psycopg

        while True:
            try:
                with psycopg.connect(self._url, autocommit=True) as conn:
                    conn.execute(f'LISTEN "{self.channel}"')
                    self.ring_local()  # anything written before LISTEN: look once
                    for notice in conn.notifies():
                        self.ring_local(_names(notice.payload))
            except Exception as exc:  # noqa: BLE001 - the safety net covers the gap
                log.info("doorbell LISTEN connection lost: %s", exc)
                time.sleep(SAFETY_NET_S)


_bells: dict[tuple[str, str], Doorbell] = {}
_bells_lock = threading.Lock()


def engine_of(bind: Engine | Connection) -> Engine:
    """The engine behind a session's bind (a session may be bound to a connection)."""
    return bind if isinstance(bind, Engine) else bind.engine


def for_engine(engine: Engine, channel: str) -> Doorbell:
    """The process's doorbell for `channel` on the database of `engine`."""
    url = engine.url
    if url.get_backend_name() == "sqlite":
        database = url.database or ""
        key = (f"sqlite:{os.path.abspath(database) if database else id(engine)}", channel)
    else:
        key = (url.render_as_string(hide_password=True), channel)
    with _bells_lock:
        bell = _bells.get(key)
        if bell is None:
            if url.get_backend_name() == "postgresql":
                bell = PostgresDoorbell(engine, channel)
            elif url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
                bell = FileDoorbell(f"{url.database}.{channel}")
            else:
                bell = Doorbell()
            _bells[key] = bell
    return bell


def ring_after_commit(session: Session, bell: Doorbell) -> None:
    """Ring `bell` when `session` commits (PostgreSQL: NOTIFY now, in its transaction)."""
    bells = session.info.setdefault(_RING_KEY, [])
    if bell not in bells:
        bell.ring_in(session.connection())
        bells.append(bell)


@event.listens_for(Session, "after_commit")
def _ring(session: Session) -> None:
    for bell in session.info.pop(_RING_KEY, ()):
        bell.ring()


@event.listens_for(Session, "after_rollback")
def _forget_rings(session: Session) -> None:
    session.info.pop(_RING_KEY, None)
