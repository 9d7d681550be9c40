"""Choose the engine from settings: ALAC_SEARCH_ENGINE=embedded (default) or opensearch
(ALAC_OPENSEARCH_URL, and for a secured cluster ALAC_OPENSEARCH_USER, ALAC_OPENSEARCH_PASSWORD
or ALAC_OPENSEARCH_PASSWORD_FILE, ALAC_OPENSEARCH_CA_BUNDLE, ALAC_OPENSEARCH_VERIFY;
ALAC_OPENSEARCH_REPLICAS, ALAC_OPENSEARCH_OUTAGE_WAIT_S; see docs/operations.md)."""

from __future__ import annotations

import os
from pathlib import Path

from alac_kernel.cursors import CursorCodec, load_cursor_key
from alac_kernel.settings import Settings
from alac_kernel.small_cells import CellKeyParams
from alac_search.engines.base import SearchEngine


def index_path(settings: Settings) -> Path:
    return Path(os.environ.get("ALAC_SEARCH_INDEX_PATH") or settings.data_dir / "search-index.db")


def open_engine(settings: Settings) -> SearchEngine:
    kind = os.environ.get("ALAC_SEARCH_ENGINE", "embedded")
    # Every replica signs and checks cursors with the same secret key (ALAC_CURSOR_KEY).
    cursors = CursorCodec(load_cursor_key(settings))
    # Record keys of counts-only answers (cell-key perturbation), derived from the same
    # secret every replica shares.
    cell_keys = CellKeyParams.from_secret(load_cursor_key(settings))
    if kind == "embedded":
        from alac_search.engines.embedded import EmbeddedEngine

        return EmbeddedEngine(index_path(settings), cursors=cursors, cell_keys=cell_keys)
    if kind == "opensearch":
        from alac_search.engines.opensearch import (
            Connection,
            OpenSearchEngine,
            outage_wait_from_env,
            replicas_from_env,
        )

        return OpenSearchEngine(
            Connection.from_env(),
            replicas=replicas_from_env(),
            outage_wait_s=outage_wait_from_env(),
            cursors=cursors,
            cell_keys=cell_keys,
        )
    raise ValueError(f"ALAC_SEARCH_ENGINE must be embedded or opensearch, not {kind!r}")
