"""Composition root of the search service."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from alac_kernel import sealed_text
from alac_kernel.app import create_service_app
from alac_kernel.auth.verifier import TokenVerifier
from alac_kernel.settings import Settings
from alac_search import handlers
from alac_search.engines.base import SearchEngine
from alac_search.engines.factory import index_path, open_engine
from alac_search.models import Base, kernel_tables
from alac_search.runtime import SearchRuntime
from alac_search.views import router

NAME = "search"
MIGRATIONS = Path(__file__).parent / "migrations"

__all__ = ["MIGRATIONS", "NAME", "build_runtime", "create_app", "index_path"]


def build_runtime(
    settings: Settings | None = None, engine: SearchEngine | None = None
) -> SearchRuntime:
    settings = settings or Settings()
    runtime = SearchRuntime(
        name=NAME,
        settings=settings,
        metadata=Base.metadata,
        tables=kernel_tables,
        migrations=MIGRATIONS,
        search_engine=engine or open_engine(settings),
        text_keys=sealed_text.http_text_keys(settings, NAME),
    )
    # The handlers read the index and the keys from the runtime at each event.
    runtime.consumers = handlers.consumers(runtime)
    return runtime


def create_app(settings: Settings | None = None, verifier: TokenVerifier | None = None) -> FastAPI:
    runtime = build_runtime(settings)
    app = create_service_app(
        runtime,
        title="ALAC search",
        description="Full-text search over complaints and cases, scoped to the caller's tenant.",
        routers=[router],
        verifier=verifier,
    )
    # For tools that hold the app rather than its runtime (bench/pages.py).
    app.state.search_engine = runtime.search_engine
    return app
