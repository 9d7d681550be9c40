"""The embedded engine: SQLite FTS5 in its own file, needing no server.

Words are analysed in Python (alac_search.analysis) into three FTS5 columns (plain, stem,
latin) plus a tenant column; see docs/search.md for why this beats a stemming tokenizer
extension or Tantivy here. Writes are idempotent and versioned per field (engines/base.py),
so the index needs no transaction shared with the inbox.

Rebuilds go to a new file; a pointer file names the live one and is replaced atomically
(os.replace), and every connection checks it before use, in this process and others.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

from alac_kernel.crypto import new_key
from alac_kernel.cursors import CursorCodec
from alac_kernel.small_cells import CellKeyParams, record_key
from alac_search.analysis.highlight import snippet
from alac_search.analysis.text import columns
from alac_search.engines.base import (
    DOCUMENT_FIELDS,
    FACET_FIELDS,
    FILTER_FIELDS,
    RECEIVED,
    CursorError,
    Hit,
    Page,
    SearchRequest,
)
from alac_search.query import cursor as cursors
from alac_search.query.fts import match_expression, tag_token, tenant_token
from alac_search.query.parser import Or, QueryError, Term

T = TypeVar("T")

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS documents (
    rid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    tenant_id TEXT NOT NULL,
    {", ".join(f"{f} TEXT" for f in DOCUMENT_FIELDS if f not in ("withdrawn", "status"))},
    status TEXT NOT NULL DEFAULT '{RECEIVED}',
    withdrawn INTEGER NOT NULL DEFAULT 0,
    versions TEXT NOT NULL DEFAULT '{{}}'
);
CREATE INDEX IF NOT EXISTS ix_documents_tenant_received ON documents(tenant_id, received_at);
CREATE VIRTUAL TABLE IF NOT EXISTS documents_fts USING fts5(
    tenant, plain, stem, latin, tags, tokenize = "unicode61 remove_diacritics 0"
);
CREATE VIRTUAL TABLE IF NOT EXISTS documents_vocab USING fts5vocab(documents_fts, 'row');
"""
# bm25 weights per FTS column: tenant and filter tags never score; the exact form counts most.
_BM25 = "bm25(documents_fts, 0.0, 2.0, 1.0, 0.5, 0.0)"
_SIMILAR_TERMS = 12
# Version of what the FTS5 rows hold (PRAGMA user_version): 1 added the tenant-scoped filter
# tags; 2 left withdrawn complaints out (so a match alone is what the tenant may find). An
# older file gets its FTS5 table rebuilt from the documents table on open.
_FTS_VERSION = 2


class EmbeddedEngine:
    def __init__(
        self,
        path: Path,
        *,
        follow_pointer: bool = True,
        cursors: CursorCodec | None = None,
        cell_keys: CellKeyParams | None = None,
    ) -> None:
        """`path` names the index; with `follow_pointer` the live file is the one named in
        `<path>.current` (written by swap_in), else `path` itself. `cursors` signs the page
        cursors (the factory gives one keyed by ALAC_CURSOR_KEY)."""
        self.cursors = cursors or CursorCodec()
        self.cell_keys = cell_keys or CellKeyParams.from_secret(new_key())
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.pointer = path.with_name(path.name + ".current") if follow_pointer else None
        self._local = threading.local()
        with self._lock_free_conn(self.live_path()) as conn:
            _upgrade(conn)

    # ------------------------------------------------------------------ files and connections

    def live_path(self) -> Path:
        if self.pointer is not None:
            try:
                name = self.pointer.read_text().strip()
            except FileNotFoundError:
                name = ""
            if name:
                return self.path.with_name(name)
        return self.path

    @staticmethod
    def _lock_free_conn(path: Path) -> sqlite3.Connection:
        conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA busy_timeout=30000")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.row_factory = sqlite3.Row
        return conn

    def _conn(self) -> sqlite3.Connection:
        live = self.live_path()
        conn = getattr(self._local, "conn", None)
        if conn is None or self._local.path != live:
            if conn is not None:
                conn.close()
            conn = self._lock_free_conn(live)
            self._local.conn, self._local.path = conn, live
        return conn

    def _write(self, fn: Callable[..., T], *args: Any) -> T:
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            result = fn(conn, *args)
            conn.execute("COMMIT")
            return result
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    # ------------------------------------------------------------------ writing

    def apply(self, tenant: str, doc_id: str, version: int, fields: Mapping[str, Any]) -> bool:
        unknown = set(fields) - set(DOCUMENT_FIELDS)
        if unknown:
            raise ValueError(f"not document fields: {sorted(unknown)}")
        return self._write(self._apply, tenant, doc_id, version, dict(fields))

    def soft_delete(self, tenant: str, doc_id: str, version: int) -> bool:
        return self.apply(tenant, doc_id, version, {"withdrawn": True})

    def apply_many(self, docs: list[tuple[str, str, int, dict[str, Any]]]) -> None:
        """Bulk load in one transaction (rebuilds, benchmarks)."""

        def run(conn: sqlite3.Connection) -> None:
            for tenant, doc_id, version, fields in docs:
                self._apply(conn, tenant, doc_id, version, fields)

        self._write(run)

    @staticmethod
    def _apply(
        conn: sqlite3.Connection, tenant: str, doc_id: str, version: int, fields: dict[str, Any]
    ) -> bool:
        row = conn.execute("SELECT * FROM documents WHERE id = ?", (doc_id,)).fetchone()
        if row is not None and row["tenant_id"] != tenant:
            return False  # another tenant's document with this id is never touched
        versions = json.loads(row["versions"]) if row is not None else {}
        newer = {k: v for k, v in fields.items() if versions.get(k, 0) < version}
        if not newer:
            return False
        if row is None:
            inserted = conn.execute(
                "INSERT INTO documents (id, tenant_id) VALUES (?, ?)", (doc_id, tenant)
            ).lastrowid
            if inserted is None:  # sqlite3 reports it after every INSERT
                raise RuntimeError("SQLite did not report the new document's row id")
            rid = inserted
        else:
            rid = row["rid"]
        for key in newer:
            versions[key] = version
        values = {k: (int(v) if k == "withdrawn" else v) for k, v in newer.items()}
        if "status" in values and values["status"] is None:
            values["status"] = RECEIVED
        assignments = ", ".join(f"{k} = ?" for k in values)
        conn.execute(
            f"UPDATE documents SET {assignments}, versions = ? WHERE rid = ?",  # noqa: S608 - names from DOCUMENT_FIELDS
            (*values.values(), json.dumps(versions, sort_keys=True), rid),
        )
        if row is None or {"crux", "withdrawn", *FILTER_FIELDS} & set(newer):
            current = {f: row[f] for f in DOCUMENT_FIELDS} if row is not None else {}
            current.update(values)
            conn.execute("DELETE FROM documents_fts WHERE rowid = ?", (rid,))
            if not current.get("withdrawn"):  # a withdrawn complaint is found by nothing
                _index_text(conn, rid, tenant, current)
        return True

    def ensure_tenant(self, tenant: str) -> str:
        return tenant_token(tenant)  # one file for every tenant: nothing to make

    def delete_tenant(self, tenant: str) -> int:
        """Every document of `tenant` gone, with its words (an offboarded centre)."""

        def run(conn: sqlite3.Connection) -> int:
            conn.execute(
                "DELETE FROM documents_fts WHERE rowid IN "
                "(SELECT rid FROM documents WHERE tenant_id = ?)",
                (tenant,),
            )
            return conn.execute("DELETE FROM documents WHERE tenant_id = ?", (tenant,)).rowcount

        return self._write(run)

    # ------------------------------------------------------------------ reading

    def _where(self, request: SearchRequest, text: str | None = None) -> tuple[str, list[Any]]:
        """FROM/WHERE for a request: the tenant and the filters are tokens in the MATCH (so
        FTS5 narrows before joining or scoring) and column conditions of the same query."""
        for name in request.filters:
            if name not in FILTER_FIELDS:
                raise ValueError(f"not a filter: {name}")
        sql = (
            " FROM documents_fts JOIN documents d ON d.rid = documents_fts.rowid"
            " WHERE documents_fts MATCH ? AND d.tenant_id = ? AND d.withdrawn = 0"
        )
        tags = [tag_token(request.tenant, n, v) for n, v in sorted(request.filters.items())]
        match = match_expression(request.tenant, request.query, tags=tags, text=text)
        params: list[Any] = [match, request.tenant]
        for name, value in request.filters.items():
            sql += f" AND d.{name} = ?"
            params.append(value)
        if request.received_from:
            sql += " AND d.received_at >= ?"
            params.append(request.received_from)
        if request.received_to:
            sql += " AND d.received_at < ?"
            params.append(request.received_to)
        if request.exclude_id:
            sql += " AND d.id <> ?"
            params.append(request.exclude_id)
        return sql, params

    def _run(self, sql: str, params: list[Any]) -> list[sqlite3.Row]:
        try:
            return self._conn().execute(sql, params).fetchall()
        except sqlite3.OperationalError as exc:
            if "fts5" in str(exc) or "MATCH" in str(exc):
                raise QueryError(f"the query could not be run: {exc}") from exc
            raise

    def _facets(
        self, request: SearchRequest, where: str, params: list[Any], key_sum: str
    ) -> tuple[dict[str, dict[str, int]], dict[str, dict[str, int]]]:
        """The counts (and cell-key sums) of every asked facet from one pass over the matches:
        one GROUP BY over the facets' combined values (a few hundred groups at most), summed
        per facet here. One GROUP BY per facet ran the full-text match once per facet, the
        slow part of a search page. Key sums add up like counts, so they are summed alike."""
        names = list(dict.fromkeys(request.facets))
        for name in names:
            if name not in FACET_FIELDS:
                raise ValueError(f"not a facet: {name}")
        if not names:
            return {}, {}
        columns = ", ".join(f"d.{name}" for name in names)  # names from FACET_FIELDS
        rows = self._run(
            f"SELECT {columns}, count(*) AS n{key_sum}{where} GROUP BY {columns}", params
        )
        facets: dict[str, dict[str, int]] = {}
        facet_keys: dict[str, dict[str, int]] = {}
        for i, name in enumerate(names):
            counts: dict[str, int] = {}
            keys: dict[str, int] = {}
            for row in rows:
                if row[i] is not None:
                    counts[row[i]] = counts.get(row[i], 0) + row["n"]
                    keys[row[i]] = keys.get(row[i], 0) + int(row["k"] or 0)
            facets[name] = dict(sorted(counts.items(), key=lambda c: -c[1]))
            facet_keys[name] = keys
        return facets, facet_keys

    def search(self, request: SearchRequest) -> Page:
        where, params = self._where(request)
        keyed = self.cell_keys if request.cell_keys else None
        key_sum = ", 0 AS k"
        if keyed is not None:
            # Record keys from the id, computed here so ids never leave the engine.
            self._conn().create_function(
                "alac_record_key", 1, lambda i: record_key(keyed, i), deterministic=True
            )
            key_sum = ", sum(alac_record_key(d.id)) AS k"
        facets, facet_keys = self._facets(request, where, params, key_sum)
        if not request.with_hits:
            row = self._run(f"SELECT count(*) AS n{key_sum}" + where, params)[0]
            return Page(
                hits=[], total=row["n"], facets=facets, next_cursor=None,
                total_key=int(row["k"] or 0) if keyed else None,
                facet_keys=facet_keys if keyed else {},
            )  # fmt: skip

        if request.sort == "relevance" and not _column_conditions(request):
            keys, total = self._ranked(request)
            return self._page(request, keys, total, facets)
        # Sort only (rid, id, key) and fetch the page's rows afterwards: the sorter never
        # carries the text of every match. On a first page the total comes from the same pass
        # (a window count), so the match is run once.
        if request.sort == "date":
            key, order = "COALESCE(d.received_at, '')", "k DESC, id DESC"
            after = "(k < ? OR (k = ? AND id < ?))"
        else:
            key, order = _BM25, "k ASC, id ASC"
            after = "(k > ? OR (k = ? AND id > ?))"
        counted = ", count(*) OVER () AS n" if not request.cursor else ""
        sql = (
            f"SELECT rid, id, k{counted} FROM (SELECT d.rid AS rid, d.id AS id, {key} AS k{where})"
        )
        args = list(params)
        if request.cursor:
            last_key, last_id = cursors.decode(self.cursors, request.sort, request.cursor)
            sql += f" WHERE {after}"
            args += [last_key, last_key, last_id]
        sql += f" ORDER BY {order} LIMIT ?"
        args.append(request.limit + 1)
        found = self._run(sql, args)
        if request.cursor:
            total = self._run("SELECT count(*) AS n" + where, params)[0]["n"]
        else:
            total = found[0]["n"] if found else 0
        return self._page(request, [(k["rid"], k["k"]) for k in found], total, facets)

    def _ranked(self, request: SearchRequest) -> tuple[list[tuple[int, Any]], int]:
        """The page's (rid, bm25) by relevance and the total, from FTS5 alone: the MATCH holds
        the tenant (its token, or filter tags that each name it) and the filters, and a
        withdrawn complaint has no FTS5 row, so every match is one the request may find and no
        row of `documents` is read for the matches (measured at 100,000 complaints: the join
        of every match was a third of a search's time; docs/performance.md figure set 6).
        Ties are broken by rid. `_page` reads the page's rows and checks them again."""
        tags = [tag_token(request.tenant, n, v) for n, v in sorted(request.filters.items())]
        match = match_expression(request.tenant, request.query, tags=tags)
        ranked = f"SELECT rowid AS rid, {_BM25} AS k FROM documents_fts WHERE documents_fts MATCH ?"
        sql, args = f"SELECT rid, k FROM ({ranked})", [match]
        if request.cursor:
            last_key, last_id = cursors.decode(self.cursors, request.sort, request.cursor)
            last = self._run(
                "SELECT rid FROM documents WHERE id = ? AND tenant_id = ?",
                [last_id, request.tenant],
            )
            if not last:
                raise CursorError("the cursor names no complaint of this index")
            sql += " WHERE (k > ? OR (k = ? AND rid > ?))"
            args += [last_key, last_key, last[0]["rid"]]
        keys = self._run(f"{sql} ORDER BY k ASC, rid ASC LIMIT ?", [*args, request.limit + 1])
        total = self._run("SELECT count(*) AS n FROM documents_fts WHERE documents_fts MATCH ?",
                          [match])[0]["n"]  # fmt: skip
        return [(k["rid"], k["k"]) for k in keys], total

    def _page(
        self, request: SearchRequest, keys: list[tuple[int, Any]], total: int,
        facets: dict[str, dict[str, int]],
    ) -> Page:  # fmt: skip
        """The hits of the page's keys (rid, sort value), in order, one more than the limit
        meaning there is a next page. The rows are read with the tenant and withdrawn checked
        once more, whichever way the keys were found."""
        by_rid = {
            r["rid"]: r
            for r in self._run(
                f"SELECT * FROM documents WHERE rid IN ({','.join('?' * len(keys))})"
                " AND tenant_id = ? AND withdrawn = 0",
                [*(rid for rid, _ in keys), request.tenant],
            )
        }
        rows = [(by_rid[rid], k) for rid, k in keys if rid in by_rid]
        more = len(rows) > request.limit
        rows = rows[: request.limit]
        hits = [
            Hit(
                id=r["id"],
                fields=_fields(r),
                snippet=snippet(r["crux"] or "", request.query) if request.highlight else None,
                score=-float(k) if request.sort == "relevance" else 0.0,
            )
            for r, k in rows
        ]
        next_cursor = (
            cursors.encode(self.cursors, request.sort, [rows[-1][1], rows[-1][0]["id"]])
            if more
            else None
        )
        return Page(hits=hits, total=total, facets=facets, next_cursor=next_cursor)

    def get(self, tenant: str, doc_id: str) -> dict[str, Any] | None:
        row = (
            self._conn()
            .execute(
                "SELECT * FROM documents WHERE id = ? AND tenant_id = ? AND withdrawn = 0",
                (doc_id, tenant),
            )
            .fetchone()
        )
        return _fields(row) if row is not None else None

    def similar(
        self, tenant: str, doc_id: str, *, limit: int = 10, filters: Mapping[str, str] = {}
    ) -> list[Hit]:
        """Same respondent body type, sharing the document's rarest words (by document
        frequency in the index): the words that say what the complaint is about."""
        conn = self._conn()
        row = conn.execute(
            "SELECT d.rid, d.respondent_body_type, f.stem FROM documents d"
            " JOIN documents_fts f ON f.rowid = d.rid"
            " WHERE d.id = ? AND d.tenant_id = ? AND d.withdrawn = 0",
            (doc_id, tenant),
        ).fetchone()
        if row is None or not row["stem"]:
            return []
        stems = sorted(set(row["stem"].split()))
        placeholders = ",".join("?" * len(stems))
        freq = {
            r["term"]: r["doc"]
            for r in conn.execute(
                f"SELECT term, doc FROM documents_vocab WHERE term IN ({placeholders})", stems
            )
        }
        chosen = sorted((s for s in stems if len(s) > 2), key=lambda s: (freq.get(s, 0), s))
        chosen = chosen[:_SIMILAR_TERMS] or stems[:_SIMILAR_TERMS]
        # Stems are already analysed: match them in the stem column only.
        query = Or(tuple(Term(s) for s in chosen)) if len(chosen) > 1 else Term(chosen[0])
        where, params = self._where(
            SearchRequest(tenant=tenant, query=query, filters=dict(filters), exclude_id=doc_id),
            text="(" + " OR ".join(f'stem : "{s}"' for s in chosen) + ")",
        )
        if row["respondent_body_type"] is not None:
            where += " AND d.respondent_body_type = ?"
            params.append(row["respondent_body_type"])
        else:
            where += " AND d.respondent_body_type IS NULL"
        rows = self._run(
            f"SELECT d.*, {_BM25} AS score{where} ORDER BY score, d.id LIMIT ?", [*params, limit]
        )
        return [
            Hit(
                id=r["id"],
                fields=_fields(r),
                snippet=snippet(r["crux"] or "", query),
                score=-r["score"],
            )
            for r in rows
        ]

    def export(self) -> Iterator[tuple[str, str, dict[str, Any]]]:
        for r in self._conn().execute("SELECT * FROM documents ORDER BY id"):
            fields = _fields(r)
            fields["withdrawn"] = bool(r["withdrawn"])
            fields["versions"] = json.loads(r["versions"])
            yield r["tenant_id"], r["id"], fields

    def columns(self) -> list[str]:
        """The stored columns of documents (a test asserts no personal data column exists)."""
        return [r["name"] for r in self._conn().execute("PRAGMA table_info(documents)")]

    # ------------------------------------------------------------------ rebuild

    def begin_rebuild(self) -> EmbeddedEngine:
        name = f"{self.path.stem}-{uuid.uuid4().hex[:12]}{self.path.suffix}"
        return EmbeddedEngine(
            self.path.with_name(name),
            follow_pointer=False,
            cursors=self.cursors,
            cell_keys=self.cell_keys,
        )

    def swap_in(self, rebuilt: EmbeddedEngine) -> None:
        if self.pointer is None:
            raise RuntimeError("only the live index (following its pointer) can swap")
        previous = self.live_path()
        with rebuilt._conn() as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        tmp = self.pointer.with_name(self.pointer.name + ".tmp")
        tmp.write_text(rebuilt.path.name)
        os.replace(tmp, self.pointer)  # the one atomic step: readers see old or new, whole
        rebuilt.close()
        self._drop_old(keep={previous, rebuilt.path})

    def _drop_old(self, keep: set[Path]) -> None:
        """Remove rebuilds older than the one just replaced (which in-flight readers may
        still hold open)."""
        for candidate in self.path.parent.glob(f"{self.path.stem}-*{self.path.suffix}"):
            if candidate not in keep:
                for suffix in ("", "-wal", "-shm"):
                    Path(str(candidate) + suffix).unlink(missing_ok=True)

    def optimize(self) -> None:
        """Merge the FTS5 segments into one and refresh the planner's statistics (after a bulk
        load: rebuilds, benchmarks); queries then read one b-tree per term."""
        conn = self._conn()
        conn.execute("INSERT INTO documents_fts (documents_fts) VALUES ('optimize')")
        conn.execute("ANALYZE")

    def ping(self) -> None:
        self._conn().execute("SELECT 1 FROM documents LIMIT 1")

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


def _index_text(conn: sqlite3.Connection, rid: int, tenant: str, fields: Mapping[str, Any]) -> None:
    """The document's FTS5 row: tenant token, the three analysed forms, the filter tags."""
    plain, stem, latin = columns(fields.get("crux") or "")
    tags = " ".join(
        tag_token(tenant, name, fields.get(name) or (RECEIVED if name == "status" else ""))
        for name in FILTER_FIELDS
        if fields.get(name) is not None or name == "status"
    )
    conn.execute(
        "INSERT INTO documents_fts (rowid, tenant, plain, stem, latin, tags) VALUES (?,?,?,?,?,?)",
        (rid, tenant_token(tenant), plain, stem, latin, tags),
    )


def _upgrade(conn: sqlite3.Connection) -> None:
    """Create the schema; an index file from before the current FTS5 rows (the `tags`
    column; withdrawn complaints left out) gets its FTS5 table rebuilt from the documents table
    (the text is all there)."""
    fts_columns = [r[1] for r in conn.execute("PRAGMA table_info(documents_fts)")]
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    stale = bool(fts_columns) and version < _FTS_VERSION
    if stale:
        conn.execute("DROP TABLE IF EXISTS documents_vocab")
        conn.execute("DROP TABLE documents_fts")
    conn.executescript(SCHEMA)
    conn.execute(f"PRAGMA user_version = {_FTS_VERSION}")
    if stale:
        conn.execute("BEGIN IMMEDIATE")
        for row in conn.execute("SELECT * FROM documents WHERE withdrawn = 0").fetchall():
            _index_text(conn, row["rid"], row["tenant_id"], {f: row[f] for f in DOCUMENT_FIELDS})
        conn.execute("COMMIT")


def _column_conditions(request: SearchRequest) -> bool:
    """Whether the request has conditions only the documents table can check (the date range,
    the document left out): then the matches are joined to it before ranking."""
    return bool(request.received_from or request.received_to or request.exclude_id)


def _fields(row: sqlite3.Row) -> dict[str, Any]:
    fields = {f: row[f] for f in DOCUMENT_FIELDS}
    fields["withdrawn"] = bool(fields["withdrawn"])
    return fields
