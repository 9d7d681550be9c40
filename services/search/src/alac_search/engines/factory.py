"""Choose the engine from settings: ALAC_SEARCH_ENGINE=embedded (default) or opensearch."""

from __future__ import annotations

import os
from pathlib import Path

from alac_kernel.settings import Settings
from alac_search.engines.base import SearchEngine


def index_path(settings: Settings) -> Path:
    return Path(os.environ.get("ALAC_SEARCH_INDEX_PATH") or settings.data_dir / "search-index.db")


def open_engine(settings: Settings) -> SearchEngine:
    kind = os.environ.get("ALAC_SEARCH_ENGINE", "embedded")
    if kind == "embedded":
        from alac_search.engines.embedded import EmbeddedEngine

        return EmbeddedEngine(index_path(settings))
    if kind == "opensearch":
        url = os.environ.get("ALAC_OPENSEARCH_URL")
        if not url:
            raise ValueError("ALAC_SEARCH_ENGINE=opensearch needs ALAC_OPENSEARCH_URL")
        from alac_search.engines.opensearch import OpenSearchEngine

        return OpenSearchEngine(url)
    raise ValueError(f"ALAC_SEARCH_ENGINE must be embedded or opensearch, not {kind!r}")
