"""The embedded engine ranks by relevance from FTS5 alone (the tenant and the filters in the
MATCH, withdrawn complaints out of the FTS5 index) and joins only the page's rows. Its pages are
exactly those of the reference query every match joined to the documents table (tenant,
withdrawn and filters checked on the columns), ranked by the same BM25, page after page."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from alac_search.engines.base import SearchRequest
from alac_search.engines.embedded import _BM25, EmbeddedEngine
from alac_search.query.fts import match_expression, tenant_token
from alac_search.query.parser import parse

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))  # the repository's bench package

from bench.search_corpus import documents  # noqa: E402

QUERIES = ["взятка директор", "деньги справка", "пара сұрады", "bribe director", "детский сад",
           '"директор школы"', "взят*", "врач OR больница", "деньги -справка"]  # fmt: skip
FILTERS: list[dict[str, str]] = [{}, {"office": "almaty"}, {"office": "almaty", "status": "closed"}]


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    ix = EmbeddedEngine(tmp_path_factory.mktemp("ranking") / "index.db")
    docs = list(documents(3_000))
    ix.apply_many(docs)
    # Some withdrawn: found by nothing, counted nowhere.
    for tenant, doc_id, version, _ in docs[::7]:
        ix.soft_delete(tenant, doc_id, version + 1)
    ix.optimize()
    yield ix
    ix.close()


def reference(engine: EmbeddedEngine, tenant: str, q: str, filters: dict[str, str]) -> list[str]:
    """Every match in ranked order, the way the engine ranked before: joined to the documents
    table, tenant, withdrawn and filters checked on its columns (ties by rid)."""
    conditions = "".join(f" AND d.{name} = ?" for name in filters)
    sql = (
        f"SELECT d.id, {_BM25} AS k FROM documents_fts JOIN documents d"
        " ON d.rid = documents_fts.rowid WHERE documents_fts MATCH ? AND d.tenant_id = ?"
        f" AND d.withdrawn = 0{conditions} ORDER BY k, d.rid"
    )
    match = match_expression(tenant, parse(q))  # the tenant token, not the filter tags
    rows = engine._conn().execute(sql, [match, tenant, *filters.values()]).fetchall()
    return [r["id"] for r in rows]


def every_page(engine: EmbeddedEngine, **asked: Any) -> tuple[list[str], set[int]]:
    ids, totals, cursor = [], set(), None
    while True:
        page = engine.search(SearchRequest(limit=7, cursor=cursor, **asked))
        ids += [h.id for h in page.hits]
        totals.add(page.total)
        cursor = page.next_cursor
        if cursor is None:
            return ids, totals


@pytest.mark.parametrize("filters", FILTERS, ids=["no filter", "office", "office+status"])
@pytest.mark.parametrize("q", QUERIES)
def test_pages_are_the_reference_ranking_page_by_page(engine, q, filters):
    found, totals = every_page(engine, tenant="tk", query=parse(q), filters=filters)
    expected = reference(engine, "tk", q, filters)
    assert found == expected
    assert totals == {len(expected)}


def test_the_queries_match_something_and_withdrawn_complaints_are_found_by_nothing(engine):
    conn = engine._conn()
    withdrawn = {r["rid"] for r in conn.execute("SELECT rid FROM documents WHERE withdrawn = 1")}
    assert withdrawn
    indexed = {r[0] for r in conn.execute("SELECT rowid FROM documents_fts")}
    assert not withdrawn & indexed
    assert sum(bool(reference(engine, "tk", q, {})) for q in QUERIES) >= len(QUERIES) - 1
    # another tenant's token finds none of tk's complaints
    other = conn.execute(
        "SELECT count(*) FROM documents_fts JOIN documents d ON d.rid = documents_fts.rowid"
        " WHERE documents_fts MATCH ? AND d.tenant_id = 'tk'",
        [f'tenant : "{tenant_token("ndi")}"'],
    ).fetchone()[0]
    assert other == 0


def test_a_complaint_withdrawn_is_taken_out_of_the_index_at_once(tmp_path):
    ix = EmbeddedEngine(tmp_path / "index.db")
    try:
        fields = {"crux": "Директор требовал взятку", "office": "almaty"}
        ix.apply("tk", "c1", 1, fields)
        ix.apply("tk", "c2", 1, fields)
        asked = SearchRequest(tenant="tk", query=parse("взятка"))
        assert ix.search(asked).total == 2
        ix.soft_delete("tk", "c1", 2)
        page = ix.search(asked)
        assert [h.id for h in page.hits] == ["c2"] and page.total == 1
        ix.apply("tk", "c1", 3, {"office": "astana"})  # a late change does not bring it back
        assert ix.search(asked).total == 1
    finally:
        ix.close()
