"""An index file written before the filter-tags column still works: its FTS5 table is rebuilt
from the stored documents when the engine opens it (embedded engine only)."""

from __future__ import annotations

import sqlite3

from alac_search.engines.base import SearchRequest
from alac_search.engines.embedded import EmbeddedEngine
from alac_search.query.parser import parse


def test_an_index_without_the_tags_column_is_upgraded_and_filters_work(tmp_path):
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.executescript(
        """
        CREATE TABLE documents (rid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE,
            tenant_id TEXT NOT NULL, office TEXT, channel TEXT, area TEXT, sub_area TEXT,
            authority_level TEXT, respondent_body_type TEXT, request_type TEXT,
            corruption_related TEXT, preferred_language TEXT, received_at TEXT, crux TEXT,
            case_id TEXT, assignee TEXT, outcome TEXT,
            status TEXT NOT NULL DEFAULT 'received', withdrawn INTEGER NOT NULL DEFAULT 0,
            versions TEXT NOT NULL DEFAULT '{}');
        CREATE VIRTUAL TABLE documents_fts USING fts5(tenant, plain, stem, latin);
        INSERT INTO documents (rid, id, tenant_id, office, crux, status)
            VALUES (1, 'c1', 'tk', 'almaty', 'Директор требовал взятки', 'triage'),
                   (2, 'c2', 'tk', 'astana', 'Директор требовал взятку', 'received');
        """
    )
    conn.commit()
    conn.close()

    engine = EmbeddedEngine(path, follow_pointer=False)
    try:

        def found(**filters):
            request = SearchRequest(tenant="tk", query=parse("взятка"), filters=filters)
            return sorted(h.id for h in engine.search(request).hits)

        assert found() == ["c1", "c2"]
        assert found(office="almaty") == ["c1"]
        assert found(status="received") == ["c2"]
        assert found(status="triage", office="astana") == []
    finally:
        engine.close()


def test_a_filter_change_moves_the_document_between_filtered_results(tmp_path):
    engine = EmbeddedEngine(tmp_path / "index.db")
    try:
        engine.apply("tk", "c1", 1, {"office": "almaty", "crux": "взятка в школе"})

        def found(**filters):
            request = SearchRequest(tenant="tk", query=parse("взятка"), filters=filters)
            return [h.id for h in engine.search(request).hits]

        assert found(status="received") == ["c1"]
        engine.apply("tk", "c1", 2, {"case_id": "k1", "status": "triage", "assignee": "lena"})
        assert found(status="received") == []
        assert found(status="triage", assignee="lena") == ["c1"]
        engine.apply("tk", "c1", 3, {"assignee": "dana"})
        assert found(assignee="lena") == [] and found(assignee="dana") == ["c1"]
        engine.apply("tk", "c1", 2, {"office": "astana"})  # complaint v2: office moves
        assert found(office="almaty") == [] and found(office="astana") == ["c1"]
    finally:
        engine.close()
