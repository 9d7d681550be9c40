"""Operator commands (`alac intake purge-expired`, `alac cases run-deadlines`, ...) work on an
existing, migrated service database, or say in one line why they cannot.

Run from the wrong folder without ALAC_DATA_DIR, such a command used to create an empty
`./data/intake.db` (and, for intake, a new vault master key) and then crash with a 200-line
traceback. A command now checks first that the database exists and carries the service's
migrations, and never creates anything.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from alac_kernel.settings import Settings

T = TypeVar("T")


class NotSetUp(RuntimeError):
    """The service's database is missing or not migrated; the message is one line."""


def require_database(settings: Settings, service: str) -> str:
    """The service's database URL, once it is known to exist and be migrated."""
    url = settings.database_url_for(service)
    hint = (
        f"set ALAC_DATA_DIR (or ALAC_DATABASE_URL) to the platform's data, or run "
        f"`alac migrate {service}` first"
    )
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database or "")
        if not path.is_file():
            raise NotSetUp(f"no {service} database at {path}; {hint}")
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            if not sa.inspect(conn).has_table("alembic_version"):
                raise NotSetUp(f"the {service} database at {_shown(url)} is not migrated; {hint}")
    except sa.exc.OperationalError as exc:
        reason = str(exc.orig or exc).strip().splitlines()[0]
        raise NotSetUp(f"cannot open the {service} database at {_shown(url)}: {reason}") from exc
    finally:
        engine.dispose()
    return url


def _shown(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def runtime_for_operation(service: str, build_runtime: Callable[[Settings], T]) -> T:
    """`build_runtime(settings)` on the existing database, or one line on stderr and exit 2."""
    settings = Settings()
    try:
        require_database(settings, service)
    except NotSetUp as exc:
        print(f"alac {service}: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    return build_runtime(settings)
