"""The start of a service's own test harness: its app alone, migrated, on SQLite or on fresh
PostgreSQL databases (its own and the bus's), with the in-process issuer. The service's
conftest adds what it feeds the service with (the events other services would publish).

`migrate` is also what the four-service harness (the root conftest's `build_platform`) uses:
a test's empty database starts as a copy of one its service's migrations built once."""

from __future__ import annotations

import atexit
import contextlib
import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from alac_kernel.auth.verifier import TokenVerifier
from alac_kernel.migrations import upgrade
from alac_kernel.runtime import ServiceRuntime
from alac_kernel.settings import Settings
from alac_kernel.testing.harness import TEST_ISSUER, InProcessIssuer
from alac_kernel.testing.postgres import copy_of_template, fresh_database, template_database

# The database flavours every service test runs on (PostgreSQL marked, for `-m "not postgres"`).
FLAVOURS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]

# A database migrated to head, per service and migrations folder, made once per test process:
# each test's database starts as a copy of it instead of running every migration again (on
# SQLite half a second per service and test, most of a small test's set-up; on PostgreSQL one
# to two seconds). Migrations read no setting, so the copy is the database the migrations
# would have built. SQLite: a file copied with SQLite's backup; PostgreSQL: a template
# database on the test server, copied by CREATE DATABASE ... TEMPLATE.
_MIGRATED: dict[tuple[str, str], Path] = {}
_PG_MIGRATED: dict[tuple[str, str, str], str] = {}


@contextlib.contextmanager
def service_alone(
    create_app: Callable[[Settings, TokenVerifier], FastAPI],
    flavour: str,
    tmp: Path,
    **settings: Any,
) -> Iterator[tuple[TestClient, InProcessIssuer]]:
    """`settings`: what the test adds to the test settings (a mail relay's, say)."""
    issuer = InProcessIssuer(tmp / "keys")
    with contextlib.ExitStack() as stack:
        urls: dict[str, str | None] = {"db": None, "bus": None}
        if flavour == "postgres":
            urls = {k: stack.enter_context(fresh_database(f"alac_{k}")) for k in urls}
        config = Settings(
            data_dir=tmp,
            database_url=urls["db"],
            bus_url=urls["bus"],
            run_workers=False,
            auth_issuer=TEST_ISSUER,
            consumer_poll_timeout_s=0.01,
            **settings,
        )
        app = create_app(config, issuer.verifier())
        migrate(app.state.runtime)
        yield stack.enter_context(TestClient(app, raise_server_exceptions=False)), issuer


def migrate(runtime: ServiceRuntime) -> None:
    """Bring the runtime's database to head: an empty SQLite file or PostgreSQL database as a
    copy of this process's migrated one (made by the migrations the first time), anything
    else by the migrations."""
    url = make_url(runtime.database_url)
    if url.get_backend_name() == "postgresql" and _empty_postgres(runtime.database_url):
        _migrate_postgres(runtime)
        return
    path = url.database
    if not runtime.database_url.startswith("sqlite") or not path or not _empty(Path(path)):
        runtime.migrate()
        return
    runtime.engine.dispose()  # the runtime may have connected already; the copy replaces all
    key = (runtime.name, str(runtime.migrations))
    template = _MIGRATED.get(key)
    if template is None:
        runtime.migrate()
        folder = tempfile.mkdtemp(prefix="alac-migrated-")
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        template = Path(folder) / Path(path).name
        _copy_sqlite(Path(path), template)
        _MIGRATED[key] = template
    else:
        _copy_sqlite(template, Path(path))


def _migrate_postgres(runtime: ServiceRuntime) -> None:
    url = make_url(runtime.database_url)
    server = url.set(database="postgres").render_as_string(hide_password=False)
    key = (server, runtime.name, str(runtime.migrations))
    template = _PG_MIGRATED.get(key)
    if template is None:
        template = template_database(
            server, f"alac_migrated_{runtime.name}", partial(upgrade, runtime.migrations)
        )
        _PG_MIGRATED[key] = template
    runtime.engine.dispose()  # the runtime may have connected already; the copy replaces all
    copy_of_template(template, runtime.database_url)


def _empty_postgres(database_url: str) -> bool:
    """Whether the PostgreSQL database holds no table of its own yet."""
    engine = sa.create_engine(database_url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            found = conn.execute(
                sa.text(
                    "SELECT count(*) FROM information_schema.tables"
                    " WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"
                )
            ).scalar_one()
    finally:
        engine.dispose()
    return int(found) == 0


def _empty(path: Path) -> bool:
    """Whether the SQLite file holds no table yet (or does not exist)."""
    if not path.exists():
        return True
    with contextlib.closing(sqlite3.connect(path)) as db:
        (tables,) = db.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return int(tables) == 0


def _copy_sqlite(source: Path, target: Path) -> None:
    """SQLite's online backup: a consistent copy, whatever is still in the source's WAL."""
    with contextlib.closing(sqlite3.connect(source)) as src:
        with contextlib.closing(sqlite3.connect(target)) as dst:
            src.backup(dst)
