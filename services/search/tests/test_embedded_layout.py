"""The embedded engine's layout (embedded_schema.py): each tenant's rows in a block of row ids
that FTS5 applies with the MATCH, filters and facets read from the narrow `searchable` rows,
record keys stored. Every answer is checked against a reference query over the `documents`
table itself (each match joined, tenant, withdrawn, filters and facets read from its columns,
record keys computed from the ids), and an index file of the previous layout is upgraded on
open with the same answers."""

from __future__ import annotations

import sqlite3
import sys
from collections import Counter
from pathlib import Path

import pytest

from alac_kernel.small_cells import CellKeyParams, record_key
from alac_search.analysis.text import columns
from alac_search.engines.base import FACET_FIELDS, FILTER_FIELDS, RECEIVED, SearchRequest
from alac_search.engines.embedded import EmbeddedEngine
from alac_search.engines.embedded_schema import BLOCK_BITS
from alac_search.query.fts import match_expression, tenant_token
from alac_search.query.parser import parse

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))  # the repository's bench package

from bench.search_corpus import documents  # noqa: E402

QUERIES = ["взятка директор", "деньги", '"директор школы"', "взят*", "bribe OR money",
           "пара сұрады", "деньги -справка"]  # fmt: skip
FILTERS: list[dict[str, str]] = [
    {}, {"office": "almaty"}, {"office": "almaty", "status": "closed"}, {"status": RECEIVED},
    {"assignee": "lawyer-3"},
]  # fmt: skip


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    ix = EmbeddedEngine(tmp_path_factory.mktemp("layout") / "index.db")
    docs = list(documents(2_000))
    ix.apply_many(docs)
    for tenant, doc_id, version, _ in docs[::9]:  # withdrawn: counted nowhere
        ix.soft_delete(tenant, doc_id, version + 1)
    for tenant, doc_id, version, _ in docs[1::11]:  # a case moves on: only `searchable` changes
        ix.apply(tenant, doc_id, version + 1, {"status": "closed", "assignee": "lawyer-3"})
    ix.optimize()
    yield ix
    ix.close()


def reference(engine: EmbeddedEngine, tenant: str, q: str, filters: dict[str, str]):
    """(id, area, status, channel, office, authority_level, assignee) of every match, read
    from the documents table."""
    conditions = "".join(f" AND d.{name} = ?" for name in filters)
    names = ", ".join(f"d.{f}" for f in FACET_FIELDS)
    rows = engine._conn().execute(
        f"SELECT d.id, {names} FROM documents_fts JOIN documents d"
        " ON d.rid = documents_fts.rowid WHERE documents_fts MATCH ? AND d.tenant_id = ?"
        f" AND d.withdrawn = 0{conditions}",
        [match_expression(tenant, parse(q)), tenant, *filters.values()],
    )
    return [tuple(r) for r in rows]


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: "+".join(f) or "none")
@pytest.mark.parametrize("q", QUERIES)
def test_totals_facets_and_key_sums_are_those_of_the_documents_table(engine, q, filters):
    expected = reference(engine, "tk", q, filters)
    asked = SearchRequest(
        tenant="tk", query=parse(q), filters=filters, facets=FACET_FIELDS, with_hits=False,
        cell_keys=True,
    )  # fmt: skip
    page = engine.search(asked)
    assert page.total == len(expected)
    assert page.total_key == sum(record_key(engine.cell_keys, r[0]) for r in expected)
    for i, name in enumerate(FACET_FIELDS, start=1):
        counts = Counter(r[i] for r in expected if r[i] is not None)
        assert page.facets[name] == dict(counts)
        assert page.facet_keys[name] == {
            value: sum(record_key(engine.cell_keys, r[0]) for r in expected if r[i] == value)
            for value in counts
        }
    # The same total without facets, and with hits: all three ways count alike.
    alone = SearchRequest(tenant="tk", query=parse(q), filters=filters, with_hits=False)
    assert engine.search(alone).total == len(expected)
    assert engine.search(SearchRequest(tenant="tk", query=parse(q), filters=filters)).total == (
        len(expected)
    )


def test_the_queries_find_something_under_each_filter(engine):
    for filters in FILTERS:
        assert sum(bool(reference(engine, "tk", q, filters)) for q in QUERIES) >= 4


def test_each_tenant_has_its_rows_in_its_own_block(engine):
    conn = engine._conn()
    blocks = dict(conn.execute("SELECT tenant_id, block FROM tenant_blocks").fetchall())
    assert sorted(blocks) == ["kyz", "ndi", "tk"] and len(set(blocks.values())) == 3
    for rid, tenant in conn.execute("SELECT rid, tenant_id FROM documents"):
        assert rid >> BLOCK_BITS == blocks[tenant]
    # FTS5 and `searchable` hold the same rows: the complaints not withdrawn.
    visible = {r[0] for r in conn.execute("SELECT rid FROM documents WHERE withdrawn = 0")}
    assert {r[0] for r in conn.execute("SELECT rowid FROM documents_fts")} == visible
    assert {r[0] for r in conn.execute("SELECT rid FROM searchable")} == visible


def test_fts5_applies_the_tenant_range_with_the_match(engine):
    """The plan hands the row-id bounds to FTS5 with the MATCH (its index string: M for the
    MATCH, > and < for the bounds of rowid), so FTS5 reads only the tenant's part of each
    list instead of SQLite dropping other tenants' rows afterwards."""
    plan = (
        engine._conn()
        .execute(
            "EXPLAIN QUERY PLAN SELECT rowid FROM documents_fts WHERE documents_fts MATCH ?"
            " AND documents_fts.rowid >= ? AND documents_fts.rowid < ?",
            ["директор", 1 << BLOCK_BITS, 2 << BLOCK_BITS],
        )
        .fetchall()
    )
    (detail,) = [r["detail"] for r in plan]
    index_string = detail.split("VIRTUAL TABLE INDEX ")[1].split(":")[1]
    assert index_string.startswith("M") and ">" in index_string and "<" in index_string


def test_a_tenant_with_no_complaint_finds_nothing(engine):
    page = engine.search(
        SearchRequest(tenant="nobody", query=parse("директор"), facets=["area"], cell_keys=True)
    )
    assert page.hits == [] and page.total == 0 and page.facets == {"area": {}}


def test_stored_record_keys_follow_the_secret(tmp_path):
    path = tmp_path / "index.db"
    first = CellKeyParams.from_secret(b"1" * 32)
    engine = EmbeddedEngine(path, follow_pointer=False, cell_keys=first)
    engine.apply("tk", "c1", 1, {"crux": "Директор требовал взятку", "office": "almaty"})
    engine.close()
    second = CellKeyParams.from_secret(b"2" * 32)
    engine = EmbeddedEngine(path, follow_pointer=False, cell_keys=second)
    try:
        asked = SearchRequest(tenant="tk", query=parse("взятка"), with_hits=False, cell_keys=True)
        assert engine.search(asked).total_key == record_key(second, "c1") != record_key(first, "c1")
    finally:
        engine.close()


# ------------------------------------------------------------------ the previous layout


def _write_layout_2(path: Path, docs: list[tuple[str, str, dict[str, str]]]) -> None:
    """An index file as version 2 wrote it: row ids in arrival order for every tenant, the
    filters as tenant-scoped tags in a fifth FTS5 column, withdrawn complaints out of FTS5."""
    conn = sqlite3.connect(path)
    conn.executescript(
        """
        CREATE TABLE documents (rid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE,
            tenant_id TEXT NOT NULL, office TEXT, channel TEXT, area TEXT, sub_area TEXT,
            authority_level TEXT, respondent_body_type TEXT, request_type TEXT,
            corruption_related TEXT, preferred_language TEXT, received_at TEXT, crux TEXT,
            withdrawn INTEGER NOT NULL DEFAULT 0, case_id TEXT, assignee TEXT, outcome TEXT,
            status TEXT NOT NULL DEFAULT 'received', versions TEXT NOT NULL DEFAULT '{}');
        CREATE INDEX ix_documents_tenant_received ON documents(tenant_id, received_at);
        CREATE VIRTUAL TABLE documents_fts USING fts5(
            tenant, plain, stem, latin, tags, tokenize = "unicode61 remove_diacritics 0");
        CREATE VIRTUAL TABLE documents_vocab USING fts5vocab(documents_fts, 'row');
        PRAGMA user_version = 2;
        """
    )
    for rid, (tenant, doc_id, fields) in enumerate(docs, start=1):
        withdrawn = int(fields.get("withdrawn") == "yes")
        conn.execute(
            "INSERT INTO documents (rid, id, tenant_id, office, status, crux, withdrawn)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (rid, doc_id, tenant, fields["office"], fields["status"], fields["crux"], withdrawn),
        )
        if withdrawn:
            continue
        tags = " ".join(
            "f" + f"{tenant}\x1f{name}={fields[name]}".encode().hex()
            for name in FILTER_FIELDS
            if name in fields
        )
        conn.execute(
            "INSERT INTO documents_fts (rowid, tenant, plain, stem, latin, tags)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (rid, tenant_token(tenant), *columns(fields["crux"]), tags),
        )
    conn.commit()
    conn.close()


def test_an_index_of_layout_2_is_upgraded_on_open_with_the_same_answers(tmp_path):
    crux = ["Директор школы требовал взятку", "Врач вымогал деньги", "Директор взял взятки"]
    docs = [
        (tenant, f"{tenant}-{i}", {
            "office": "almaty" if i % 2 else "astana", "status": "closed" if i % 3 else RECEIVED,
            "crux": crux[i % 3], "withdrawn": "yes" if i == 4 else "no",
        })
        for i in range(12) for tenant in ("tk", "ndi")
    ]  # fmt: skip
    path = tmp_path / "v2.db"
    _write_layout_2(path, docs)

    engine = EmbeddedEngine(path, follow_pointer=False)
    try:
        conn = engine._conn()
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 3
        assert "tags" not in [r[1] for r in conn.execute("PRAGMA table_info(documents_fts)")]

        def ids(q: str, **filters: str) -> list[str]:
            request = SearchRequest(tenant="tk", query=parse(q), filters=filters, limit=100)
            return sorted(h.id for h in engine.search(request).hits)

        def expected(word: str, **filters: str) -> list[str]:
            return sorted(
                doc_id for tenant, doc_id, f in docs
                if tenant == "tk" and f["withdrawn"] == "no" and word in f["crux"]
                and all(f[k] == v for k, v in filters.items())
            )  # fmt: skip

        assert ids("директор") == expected("Директор") != []
        assert ids("взятка", office="almaty") == expected("взятк", office="almaty") != []
        assert ids("деньги", status="closed") == expected("деньги", status="closed") != []
        assert "tk-4" not in ids("директор OR деньги OR взятка")
        # Rows keep their order within a tenant, each tenant in its own block.
        rows = conn.execute("SELECT id, rid FROM documents WHERE tenant_id = 'tk' ORDER BY rid")
        assert [r[0] for r in rows] == [f"tk-{i}" for i in range(12)]
        assert len({r[0] >> BLOCK_BITS for r in conn.execute("SELECT rid FROM documents")}) == 2
        # New complaints go on after the upgraded ones, in their tenant's block.
        engine.apply("tk", "tk-new", 1, {"crux": "Директор", "office": "almaty"})
        assert "tk-new" in ids("директор", office="almaty")
    finally:
        engine.close()


# ------------------------------------------------------------------ the prefix indexes


def test_a_layout_3_index_without_prefix_indexes_gets_them_on_open_with_the_same_answers(
    tmp_path,
):
    """A file written before the prefix indexes (the same layout otherwise) has its FTS5 table
    made again with them when the engine opens it: every query, prefixes of every indexed
    length and longer ones included, finds the same complaints with the same scores and
    totals."""
    path = tmp_path / "index.db"
    engine = EmbeddedEngine(path, follow_pointer=False)
    engine.apply_many(list(documents(600)))
    engine.close()
    conn = sqlite3.connect(path)
    conn.executescript(  # the FTS5 table as layout 3 made it: no prefix option
        """
        DROP TABLE documents_vocab;
        ALTER TABLE documents_fts RENAME TO with_prefixes;
        CREATE VIRTUAL TABLE documents_fts USING fts5(
            tenant, plain, stem, latin, tokenize = "unicode61 remove_diacritics 0");
        INSERT INTO documents_fts (rowid, tenant, plain, stem, latin)
            SELECT rowid, tenant, plain, stem, latin FROM with_prefixes;
        DROP TABLE with_prefixes;
        CREATE VIRTUAL TABLE documents_vocab USING fts5vocab(documents_fts, 'row');
        """
    )
    conn.commit()
    conn.close()
    queries = ["вз*", "взя*", "взят*", "вымог*", "директ*", "директо*", "bribe*", "ақша"]

    def answers(ix: EmbeddedEngine) -> list[tuple[int, list[tuple[str, float]]]]:
        pages = [ix.search(SearchRequest(tenant="tk", query=parse(q), limit=50)) for q in queries]
        return [(p.total, [(h.id, h.score) for h in p.hits]) for p in pages]

    before_sql = _fts_definition(path)
    old = EmbeddedEngine(path, follow_pointer=False)  # opening it adds the indexes
    try:
        upgraded = answers(old)
    finally:
        old.close()
    assert "prefix" not in before_sql and "prefix" in _fts_definition(path)
    fresh = EmbeddedEngine(tmp_path / "fresh.db", follow_pointer=False)
    try:
        fresh.apply_many(list(documents(600)))
        assert upgraded == answers(fresh)
        assert all(total for total, _ in upgraded)
    finally:
        fresh.close()


def _fts_definition(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(
            "SELECT sql FROM sqlite_schema WHERE name = 'documents_fts'"
        ).fetchone()[0]
    finally:
        conn.close()
