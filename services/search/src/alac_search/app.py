"""Composition root of the search service."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from alac_kernel import sealed_text
from alac_kernel.app import create_service_app
from alac_kernel.auth.verifier import TokenVerifier
from alac_kernel.events import Event
from alac_kernel.runtime import ConsumerSpec, ServiceRuntime
from alac_kernel.settings import Settings
from alac_search import privacy
from alac_search.engines.base import SearchEngine
from alac_search.engines.factory import index_path, open_engine
from alac_search.indexing.projector import AGGREGATES, HANDLERS
from alac_search.models import Base, kernel_tables
from alac_search.views import router

NAME = "search"
MIGRATIONS = Path(__file__).parent / "migrations"

__all__ = ["MIGRATIONS", "NAME", "build_runtime", "create_app", "index_path"]


def build_runtime(
    settings: Settings | None = None, engine: SearchEngine | None = None
) -> ServiceRuntime:
    settings = settings or Settings()
    engine = engine or open_engine(settings)
    runtime: ServiceRuntime

    def handler(project):  # type: ignore[no-untyped-def]
        # The index is not in the inbox's transaction: per-field versions make a repeat
        # after a crash harmless. Sealed free text is opened with search's grant (late-bound:
        # tests point it at an in-process intake).
        def handle(session, event: Event) -> None:  # type: ignore[no-untyped-def]
            project(engine, sealed_text.open_event(event, runtime.text_keys))  # type: ignore[attr-defined]

        return handle

    runtime = ServiceRuntime(
        name=NAME,
        settings=settings,
        metadata=Base.metadata,
        tables=kernel_tables,
        migrations=MIGRATIONS,
        consumers=[
            ConsumerSpec(
                group="search",
                aggregates=list(AGGREGATES),
                handlers={t: handler(p) for t, p in HANDLERS.items()},
            ),
            # The tenants' small-cell thresholds, in search's own database with the inbox.
            ConsumerSpec(
                group="search-privacy",
                aggregates=["tenant"],
                handlers={"tenant.privacy_settings_changed": privacy.apply_settings_changed},
            ),
        ],
    )
    runtime.search_engine = engine  # type: ignore[attr-defined]
    # Intake's key service for the complaint text sealed in events (alac_kernel.sealed_text).
    runtime.text_keys = sealed_text.http_text_keys(settings, "search")  # type: ignore[attr-defined]
    runtime.check_ready = _with_engine_check(runtime.check_ready, engine)  # type: ignore[method-assign]
    return runtime


def _with_engine_check(check_ready, engine: SearchEngine):  # type: ignore[no-untyped-def]
    """/readyz also names the search engine: with OpenSearch down (or refusing our
    credentials) the service answers 503 instead of claiming to be ready with no index."""

    def check() -> dict[str, str]:
        status = check_ready()
        try:
            engine.ping()
            status["search_engine"] = "ok"
        except Exception as exc:  # noqa: BLE001 - reported, not raised
            status["search_engine"] = f"unreachable: {type(exc).__name__}"
        return status

    return check


def create_app(settings: Settings | None = None, verifier: TokenVerifier | None = None) -> FastAPI:
    runtime = build_runtime(settings)
    app = create_service_app(
        runtime,
        title="ALAC search",
        description="Full-text search over complaints and cases, scoped to the caller's tenant.",
        routers=[router],
        verifier=verifier,
    )
    app.state.search_engine = runtime.search_engine  # type: ignore[attr-defined]
    return app
