"""Search's runtime: the kernel's (database, bus, consumers) plus the index and the keys that
open the complaint text sealed in events."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from alac_kernel.app import typed_runtime
from alac_kernel.runtime import ServiceRuntime
from alac_kernel.sealed_text import TextKeys
from alac_search.engines.base import SearchEngine


@dataclass(kw_only=True)
class SearchRuntime(ServiceRuntime):
    search_engine: SearchEngine
    # Intake's key service for the complaint text sealed in events (alac_kernel.sealed_text);
    # read at each event, so tests can point it at an in-process intake.
    text_keys: TextKeys

    def check_ready(self) -> dict[str, str]:
        """/readyz also names the search engine: with OpenSearch down (or refusing our
        credentials) the service answers 503 instead of claiming to be ready with no index."""
        status = super().check_ready()
        try:
            self.search_engine.ping()
            status["search_engine"] = "ok"
        except Exception as exc:  # noqa: BLE001 - reported, not raised
            status["search_engine"] = f"unreachable: {type(exc).__name__}"
        return status


def runtime(request: Request) -> SearchRuntime:
    return typed_runtime(request, SearchRuntime)
