"""The embedded engine's index file: its tables, where each tenant's rows live, how a document
becomes rows, and how an older file is brought to the current layout.

Tables (one SQLite file, beside no other database: the index is not in search's Alembic
database, it is made and upgraded here, on open):
- `documents`: every complaint as the events left it (withdrawn ones too), with per-field
  versions; the source of truth for hits and for the other tables.
- `documents_fts`: FTS5 rows of the searchable (not withdrawn) complaints: the tenant's token
  and the three analysed forms of the text (alac_search.analysis), with FTS5 prefix indexes of
  2 to 6 letters (PREFIX_LENGTHS).
- `searchable`: the filter and facet values, date, body type, id and record key of the same
  complaints, one narrow row each, keyed by the same row id: what a search reads of a match
  besides its words, without reading the wide `documents` row.
- `tenant_blocks`: the tenant's block of row ids. Tenant block b holds the row ids
  [b << 36, (b + 1) << 36), so the tenant is a row-id range that FTS5 applies inside the match
  (it reads only that range of each word's list), and no tenant phrase is in the MATCH for bm25
  to count on every query.
- `index_settings`: a check value of the record keys' secret, so keys stored under another
  secret are computed again on open.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Mapping
from typing import Any

from alac_kernel.small_cells import CellKeyParams, record_key
from alac_search.analysis.text import columns
from alac_search.engines.base import DOCUMENT_FIELDS, FILTER_FIELDS, RECEIVED
from alac_search.query.fts import tenant_token

# What a search reads of a match besides its words: the filters and facets, the date (range
# and order), the body type (similar complaints); with the id (tie-break of date order) and the
# record key (analysts' noisy counts).
SEARCHABLE_FIELDS = (*FILTER_FIELDS, "received_at", "respondent_body_type")

# FTS5 prefix indexes: a prefix query of exactly one of these lengths (in letters) reads one
# list instead of merging every word that starts with it, twice per query (the match, and
# bm25's count of the phrase over the whole index); longer prefixes merge few words. At 1M
# complaints they made a prefix page about a quarter cheaper and its count three times
# cheaper, for 1.1 GB more index and bulk indexing at 0.6 times the rate (docs/performance.md,
# figure set 2).
PREFIX_LENGTHS = "2 3 4 5 6"
_PREFIX_OPTION = re.compile(rf"prefix\s*=\s*'{PREFIX_LENGTHS}'")

_DOCUMENT_COLUMNS = ", ".join(
    f"{f} TEXT" for f in DOCUMENT_FIELDS if f not in ("withdrawn", "status")
)
TABLES = (
    f"""CREATE TABLE IF NOT EXISTS documents (
        rid INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        tenant_id TEXT NOT NULL,
        {_DOCUMENT_COLUMNS},
        status TEXT NOT NULL DEFAULT '{RECEIVED}',
        withdrawn INTEGER NOT NULL DEFAULT 0,
        versions TEXT NOT NULL DEFAULT '{{}}'
    )""",
    "CREATE INDEX IF NOT EXISTS ix_documents_tenant_received ON documents(tenant_id, received_at)",
    """CREATE TABLE IF NOT EXISTS tenant_blocks (
        tenant_id TEXT PRIMARY KEY,
        block INTEGER NOT NULL UNIQUE
    )""",
    f"""CREATE TABLE IF NOT EXISTS searchable (
        rid INTEGER PRIMARY KEY,
        id TEXT NOT NULL,
        {", ".join(f"{f} TEXT" for f in SEARCHABLE_FIELDS)},
        record_key INTEGER NOT NULL
    )""",
    "CREATE TABLE IF NOT EXISTS index_settings (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
    f"""CREATE VIRTUAL TABLE IF NOT EXISTS documents_fts USING fts5(
        tenant, plain, stem, latin, tokenize = "unicode61 remove_diacritics 0",
        prefix = '{PREFIX_LENGTHS}'
    )""",  # read back by _has_prefix_indexes
    "CREATE VIRTUAL TABLE IF NOT EXISTS documents_vocab USING fts5vocab(documents_fts, 'row')",
)
# bm25 weights per FTS5 column: the tenant never scores; the exact form counts most.
BM25 = "bm25(documents_fts, 0.0, 2.0, 1.0, 0.5)"
# The layout's version (PRAGMA user_version): 1 added tenant-scoped filter tags to the FTS5
# rows; 2 left withdrawn complaints out of FTS5 (a match alone is what the tenant may find);
# 3 gave each tenant its block of row ids and moved the filters from FTS5 tags to `searchable`.
# The prefix indexes are an option of the FTS5 table, read from its definition (a layout-3 file
# without them gets them on open: _add_prefix_indexes), so they need no version of their own.
VERSION = 3
BLOCK_BITS = 36
_RECORD_KEY_CHECK = "record_key_check"


def tenant_rows(conn: sqlite3.Connection, tenant: str) -> tuple[int, int]:
    """The tenant's row ids [low, high); an empty range for a tenant with no document."""
    row = conn.execute("SELECT block FROM tenant_blocks WHERE tenant_id = ?", (tenant,)).fetchone()
    if row is None:
        return 0, 0
    low = int(row[0]) << BLOCK_BITS
    return low, low + (1 << BLOCK_BITS)


def next_rid(conn: sqlite3.Connection, tenant: str) -> int:
    """A new document's row id: the next in its tenant's block (a first document of a tenant
    opens a block), so row ids grow in the order documents arrive within a tenant."""
    low, high = tenant_rows(conn, tenant)
    if high == 0:
        (block,) = conn.execute("SELECT coalesce(max(block), 0) + 1 FROM tenant_blocks").fetchone()
        conn.execute("INSERT INTO tenant_blocks (tenant_id, block) VALUES (?, ?)", (tenant, block))
        low, high = tenant_rows(conn, tenant)
    (last,) = conn.execute(
        "SELECT max(rid) FROM documents WHERE rid >= ? AND rid < ?", (low, high)
    ).fetchone()
    rid = low if last is None else int(last) + 1
    if rid >= high:
        raise RuntimeError(f"tenant {tenant!r} has used every row id of its block")
    return rid


def index_text(conn: sqlite3.Connection, rid: int, tenant: str, crux: str | None) -> None:
    """The document's FTS5 row: the tenant's token and the three analysed forms."""
    plain, stem, latin = columns(crux or "")
    conn.execute(
        "INSERT INTO documents_fts (rowid, tenant, plain, stem, latin) VALUES (?,?,?,?,?)",
        (rid, tenant_token(tenant), plain, stem, latin),
    )


def keep_searchable(
    conn: sqlite3.Connection, rid: int, doc_id: str, fields: Mapping[str, Any], key: int
) -> None:
    """The document's `searchable` row, with the values the documents table holds (a status
    never set reads as received there, so here too)."""
    values = {f: fields.get(f) for f in SEARCHABLE_FIELDS}
    if values["status"] is None:
        values["status"] = RECEIVED
    conn.execute(
        f"INSERT OR REPLACE INTO searchable (rid, id, {', '.join(values)}, record_key)"  # noqa: S608 - names from SEARCHABLE_FIELDS
        f" VALUES (?, ?, {', '.join('?' * len(values))}, ?)",
        (rid, doc_id, *values.values(), key),
    )


def upgrade(conn: sqlite3.Connection, cell_keys: CellKeyParams) -> None:
    """Create the tables, or bring a file of an older layout to this one, in one transaction;
    then check that the stored record keys are those of `cell_keys`' secret."""
    conn.create_function(
        "alac_record_key", 1, lambda i: record_key(cell_keys, i), deterministic=True
    )
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        old_fts = [r[1] for r in conn.execute("PRAGMA table_info(documents_fts)")]
        if old_fts and version < VERSION:
            _relayout(conn, reuse_text=version == 2 and "tags" in old_fts)
        elif old_fts and not _has_prefix_indexes(conn):
            _add_prefix_indexes(conn)
        else:
            for statement in TABLES:
                conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {VERSION}")
        _check_record_keys(conn, cell_keys)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _check_record_keys(conn: sqlite3.Connection, cell_keys: CellKeyParams) -> None:
    check = str(record_key(cell_keys, "\x00" + _RECORD_KEY_CHECK))
    row = conn.execute(
        "SELECT value FROM index_settings WHERE name = ?", (_RECORD_KEY_CHECK,)
    ).fetchone()
    if row is not None and row[0] == check:
        return
    if row is not None:  # stored under another secret: every key again (seconds at 1M)
        conn.execute("UPDATE searchable SET record_key = alac_record_key(id)")
    conn.execute(
        "INSERT OR REPLACE INTO index_settings (name, value) VALUES (?, ?)",
        (_RECORD_KEY_CHECK, check),
    )


def _has_prefix_indexes(conn: sqlite3.Connection) -> bool:
    (sql,) = conn.execute(
        "SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = 'documents_fts'"
    ).fetchone()
    return _PREFIX_OPTION.search(sql) is not None


def _add_prefix_indexes(conn: sqlite3.Connection) -> None:
    """A layout-3 FTS5 table made again with the prefix indexes: FTS5 cannot add them to a
    table, so its rows are copied into a new one (the analysed text as it is, tokenized
    again by FTS5 alone; minutes at a million complaints)."""
    conn.execute("DROP TABLE IF EXISTS documents_vocab")
    conn.execute("ALTER TABLE documents_fts RENAME TO documents_fts_old")
    for statement in TABLES:
        conn.execute(statement)
    conn.execute(
        "INSERT INTO documents_fts (rowid, tenant, plain, stem, latin)"
        " SELECT rowid, tenant, plain, stem, latin FROM documents_fts_old ORDER BY rowid"
    )
    conn.execute("DROP TABLE documents_fts_old")
    conn.execute("INSERT INTO documents_fts (documents_fts) VALUES ('optimize')")


def _relayout(conn: sqlite3.Connection, *, reuse_text: bool) -> None:
    """Version 0-2 to 3: every tenant gets a block and its documents new row ids in it (in
    their old order), the FTS5 rows are made again under those ids (copied from the old FTS5
    rows where they hold the current analysis, version 2; analysed again from the stored text
    otherwise) and `searchable` is filled. Minutes at a million complaints."""
    conn.execute("DROP TABLE IF EXISTS documents_vocab")
    # Made again from the documents below (a file that was once at this layout has them).
    conn.execute("DROP TABLE IF EXISTS tenant_blocks")
    conn.execute("DROP TABLE IF EXISTS searchable")
    conn.execute("ALTER TABLE documents_fts RENAME TO documents_fts_old")
    conn.execute("ALTER TABLE documents RENAME TO documents_old")
    conn.execute("DROP INDEX IF EXISTS ix_documents_tenant_received")
    for statement in TABLES:
        conn.execute(statement)
    conn.execute(
        "INSERT INTO tenant_blocks (tenant_id, block) SELECT tenant_id,"
        " row_number() OVER (ORDER BY min(rid)) FROM documents_old GROUP BY tenant_id"
    )
    conn.execute(
        "CREATE TEMP TABLE renumbered AS SELECT d.rid AS old, (b.block << ?)"
        " + row_number() OVER (PARTITION BY d.tenant_id ORDER BY d.rid) - 1 AS new"
        " FROM documents_old d JOIN tenant_blocks b ON b.tenant_id = d.tenant_id",
        (BLOCK_BITS,),
    )
    conn.execute("CREATE UNIQUE INDEX temp.ix_renumbered_old ON renumbered(old)")
    kept = [r[1] for r in conn.execute("PRAGMA table_info(documents_old)") if r[1] != "rid"]
    names = ", ".join(kept)
    conn.execute(
        f"INSERT INTO documents (rid, {names}) SELECT r.new, {', '.join(f'd.{n}' for n in kept)}"  # noqa: S608 - names from the old table
        " FROM documents_old d JOIN renumbered r ON r.old = d.rid ORDER BY r.new"
    )
    if reuse_text:
        conn.execute(
            "INSERT INTO documents_fts (rowid, tenant, plain, stem, latin)"
            " SELECT r.new, o.tenant, o.plain, o.stem, o.latin"
            " FROM documents_fts_old o JOIN renumbered r ON r.old = o.rowid ORDER BY r.new"
        )
    else:
        for row in conn.execute(
            "SELECT rid, tenant_id, crux FROM documents WHERE withdrawn = 0 ORDER BY rid"
        ).fetchall():
            index_text(conn, row[0], row[1], row[2])
    fields = ", ".join(SEARCHABLE_FIELDS)
    conn.execute(
        f"INSERT INTO searchable (rid, id, {fields}, record_key)"  # noqa: S608 - names from SEARCHABLE_FIELDS
        f" SELECT rid, id, {fields}, alac_record_key(id) FROM documents WHERE withdrawn = 0"
    )
    conn.execute("DROP TABLE documents_fts_old")
    conn.execute("DROP TABLE documents_old")
    conn.execute("DROP TABLE temp.renumbered")
    conn.execute("INSERT INTO documents_fts (documents_fts) VALUES ('optimize')")
