"""Throw-away PostgreSQL databases for tests.

The server is the one $ALAC_TEST_DATABASE_URL names (an admin URL), or else a throwaway
cluster this process starts on first use (`postgres_server.throwaway_cluster`) and stops at
exit; its URL is put in the environment so that processes the tests start use it too.
Tests that need PostgreSQL fail loudly when it cannot be had instead of skipping: a silently
skipped suite would hide the PostgreSQL-only code paths (locking, isolation) that SQLite
cannot exercise.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import threading
import uuid
from collections.abc import Callable, Iterator

import sqlalchemy as sa
from sqlalchemy.engine import make_url

ENV_VAR = "ALAC_TEST_DATABASE_URL"
_lock = threading.Lock()


def admin_url() -> str:
    """The admin URL of the test server, starting this process's own cluster if none is set."""
    with _lock:
        if url := os.environ.get(ENV_VAR):
            return url
        from alac_kernel.testing.postgres_server import throwaway_cluster

        cluster = contextlib.ExitStack()
        url = cluster.enter_context(throwaway_cluster())
        owner = os.getpid()
        # A forked child inherits atexit handlers; only the process that started it stops it.

        def stop() -> None:
            if os.getpid() == owner:
                cluster.close()

        atexit.register(stop)
        os.environ[ENV_VAR] = url
        return url


@contextlib.contextmanager
def fresh_database(prefix: str = "alac_test") -> Iterator[str]:
    """Create an empty database with a unique name, yield its SQLAlchemy URL, drop it after.

    The admin connection comes from $ALAC_TEST_DATABASE_URL, else from this process's own
    throwaway cluster.
    """
    base = make_url(admin_url())
    name = f"{prefix}_{uuid.uuid4().hex[:12]}".lower()
    # CREATE/DROP DATABASE cannot run inside a transaction block.
    engine = sa.create_engine(base, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    try:
        try:
            with engine.connect() as conn:
                conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        except sa.exc.OperationalError as exc:
            raise RuntimeError(
                f"cannot reach the test PostgreSQL server at "
                f"{base.render_as_string(hide_password=True)} (unset {ENV_VAR} to let the tests "
                f"start their own cluster). These tests do not skip. Cause: {exc.orig or exc}"
            ) from exc
        try:
            yield base.set(database=name).render_as_string(hide_password=False)
        finally:
            # FORCE ends sessions the test left open (pooled engines, crashed consumers),
            # which would otherwise make the drop fail and leak the database.
            with engine.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        engine.dispose()


def template_database(server_url: str, prefix: str, build: Callable[[str], None]) -> str:
    """A database on the server at `server_url` (an admin URL) made once by `build(its URL)`
    and kept until this process exits, to be copied by `copy_of_template`; its name."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}".lower()
    base = make_url(server_url)
    engine = sa.create_engine(base, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        try:
            build(base.set(database=name).render_as_string(hide_password=False))
        except BaseException:
            with engine.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            raise
    finally:
        engine.dispose()
    owner = os.getpid()

    def drop() -> None:
        # A forked child inherits atexit handlers; a server already stopped has nothing to drop.
        if os.getpid() != owner:
            return
        with contextlib.suppress(sa.exc.SQLAlchemyError):
            dropper = sa.create_engine(
                base, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool
            )
            try:
                with dropper.connect() as conn:
                    conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            finally:
                dropper.dispose()

    atexit.register(drop)
    return name


def copy_of_template(template: str, database_url: str) -> None:
    """Make the database at `database_url` a copy of `template` (same server), replacing what
    it held; nothing may be connected to either meanwhile (FORCE ends the target's sessions)."""
    target = make_url(database_url)
    engine = sa.create_engine(
        target.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool
    )
    try:
        with engine.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
            conn.execute(sa.text(f'CREATE DATABASE "{target.database}" TEMPLATE "{template}"'))
    finally:
        engine.dispose()
