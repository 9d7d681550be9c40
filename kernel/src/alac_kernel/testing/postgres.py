"""Throw-away PostgreSQL databases for tests.

PostgreSQL runs on every development and CI machine, so tests that need it fail loudly when
it is missing instead of skipping: a silently skipped suite would hide the PostgreSQL-only
code paths (locking, isolation) that SQLite cannot exercise.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator

import sqlalchemy as sa
from sqlalchemy.engine import make_url

DEFAULT_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
ENV_VAR = "ALAC_TEST_POSTGRES_URL"


def admin_url() -> str:
    return os.environ.get(ENV_VAR) or DEFAULT_ADMIN_URL


@contextlib.contextmanager
def fresh_database(prefix: str = "alac_test") -> Iterator[str]:
    """Create an empty database with a unique name, yield its SQLAlchemy URL, drop it after.

    The admin connection comes from $ALAC_TEST_POSTGRES_URL (default: the local server with
    trust authentication).
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
                f"{base.render_as_string(hide_password=True)} (set {ENV_VAR} to another admin "
                f"URL if it runs elsewhere). PostgreSQL is required on every development and "
                f"CI machine; these tests do not skip. Cause: {exc.orig or exc}"
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
