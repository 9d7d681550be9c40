"""Alembic, shared by the services: each service's migrations/env.py calls `run_env` with its
metadata, and `upgrade` applies a service's migrations programmatically (used by `alac up`,
the tests and the prestart step of a deployment)."""

from __future__ import annotations

from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData

from alac_kernel.db import make_engine


def alembic_config(script_location: Path, url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(script_location))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(script_location: Path, url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(script_location, url), revision)


def run_env(target_metadata: MetaData) -> None:
    """Body of every service's migrations/env.py."""
    url = context.config.get_main_option("sqlalchemy.url")
    if url is None:
        raise RuntimeError("the Alembic configuration names no sqlalchemy.url")
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=target_metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


def new_revision(script_location: Path, url: str, message: str) -> None:
    """Autogenerate a revision against the database at `url` (a developer's tool).

    The template lives once in the kernel and is put in place only while generating, so the
    services' migration folders hold nothing but env.py and their revisions.
    """
    import shutil

    template = Path(__file__).parent / "migration_template" / "script.py.mako"
    target = script_location / "script.py.mako"
    shutil.copy(template, target)
    try:
        command.revision(alembic_config(script_location, url), message=message, autogenerate=True)
    finally:
        target.unlink()
