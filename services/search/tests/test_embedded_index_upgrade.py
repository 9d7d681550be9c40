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


def test_an_index_that_kept_withdrawn_complaints_is_rebuilt_without_them(tmp_path):
    """Version 1 of the FTS5 rows kept a withdrawn complaint's row (the join to the documents
    table left it out); version 2 has none, so a match alone is what the tenant may find."""
    path = tmp_path / "v1.db"
    engine = EmbeddedEngine(path, follow_pointer=False)
    for doc_id in ("c1", "c2"):
        engine.apply("tk", doc_id, 1, {"crux": "Директор требовал взятку", "office": "almaty"})
    engine.soft_delete("tk", "c1", 2)
    engine.close()
    conn = sqlite3.connect(path)
    conn.execute(  # as version 1 left it: the withdrawn complaint still in the FTS5 table
        "INSERT INTO documents_fts (rowid, tenant, plain) SELECT rid, 'x', 'директор'"
        " FROM documents WHERE id = 'c1'"
    )
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()

    engine = EmbeddedEngine(path, follow_pointer=False)
    try:
        conn = engine._conn()
        indexed = [r[0] for r in conn.execute("SELECT rowid FROM documents_fts")]
        (kept,) = [r[0] for r in conn.execute("SELECT rid FROM documents WHERE id = 'c2'")]
        assert indexed == [kept]
        page = engine.search(SearchRequest(tenant="tk", query=parse("директор")))
        assert [h.id for h in page.hits] == ["c2"] and page.total == 1
    finally:
        engine.close()
