"""Composition root of the search service."""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI

from alac_kernel.app import create_service_app
from alac_kernel.auth.verifier import TokenVerifier
from alac_kernel.events import Event
from alac_kernel.runtime import ConsumerSpec, ServiceRuntime
from alac_kernel.settings import Settings
from alac_search.engine import EmbeddedIndex
from alac_search.models import Base, kernel_tables
from alac_search.views import router

NAME = "search"
MIGRATIONS = Path(__file__).parent / "migrations"


def index_path(settings: Settings) -> Path:
    return Path(os.environ.get("ALAC_SEARCH_INDEX_PATH") or settings.data_dir / "search-index.db")


def build_runtime(
    settings: Settings | None = None, index: EmbeddedIndex | None = None
) -> ServiceRuntime:
    settings = settings or Settings()
    index = index or EmbeddedIndex(index_path(settings))

    def on_complaint_received(session, event: Event) -> None:  # type: ignore[no-untyped-def]
        index.apply_complaint(event.tenantid, event.subject, event.aggregateversion, event.data)

    def on_case_opened(session, event: Event) -> None:  # type: ignore[no-untyped-def]
        data = event.data
        index.apply_case(
            event.tenantid,
            data["complaint_id"],
            data["case_id"],
            event.aggregateversion,
            data["status"],
        )

    runtime = ServiceRuntime(
        name=NAME,
        settings=settings,
        metadata=Base.metadata,
        tables=kernel_tables,
        migrations=MIGRATIONS,
        consumers=[
            ConsumerSpec(
                group="search",
                aggregates=["complaint", "case"],
                handlers={
                    "complaint.received": on_complaint_received,
                    "case.opened": on_case_opened,
                },
            )
        ],
    )
    runtime.search_index = index  # type: ignore[attr-defined]
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
    app.state.search_index = runtime.search_index  # type: ignore[attr-defined]
    return app
