"""The embedded engine: SQLite FTS5 in its own file, needing no server.

Words are analysed in Python (alac_search.analysis) into three FTS5 columns (plain, stem,
latin) plus a tenant column; see docs/search.md for why this beats a stemming tokenizer
extension or Tantivy here. Writes are idempotent and versioned per field (engines/base.py),
so the index needs no transaction shared with the inbox.

A search gives FTS5 the MATCH of the query's words and the tenant's block of row ids
(embedded_schema.py), so FTS5 reads only the tenant's part of each word's list and bm25 counts
no tenant or filter phrase. Filters, date ranges and facets read the matches' narrow
`searchable` rows; a hits page reads the wide `documents` rows of its own hits only.

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
from alac_search.engines.embedded_schema import (
    BM25,
    index_text,
    keep_searchable,
    next_rid,
    tenant_rows,
    upgrade,
)
from alac_search.query import cursor as cursors
from alac_search.query.fts import tenant_token, text_expression
from alac_search.query.parser import Or, QueryError, Term

T = TypeVar("T")

_BM25 = BM25  # the ranking's expression (tests rank with it for reference)
_SIMILAR_TERMS = 12


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
        cursors (the factory gives one keyed by ALAC_CURSOR_KEY); `cell_keys` makes the record
        keys stored for analysts' counts (the factory's derive from the same secret)."""
        self.cursors = cursors or CursorCodec()
        self.cell_keys = cell_keys or CellKeyParams.from_secret(new_key())
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.pointer = path.with_name(path.name + ".current") if follow_pointer else None
        self._local = threading.local()
        with self._lock_free_conn(self.live_path()) as conn:
            upgrade(conn, self.cell_keys)

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

    def _apply(
        self,
        conn: sqlite3.Connection,
        tenant: str,
        doc_id: str,
        version: int,
        fields: dict[str, Any],
    ) -> bool:
        row = conn.execute("SELECT * FROM documents WHERE id = ?", (doc_id,)).fetchone()
        if row is not None and row["tenant_id"] != tenant:
            return False  # another tenant's document with this id is never touched
        versions = json.loads(row["versions"]) if row is not None else {}
        newer = {k: v for k, v in fields.items() if versions.get(k, 0) < version}
        if not newer:
            return False
        if row is None:
            rid = next_rid(conn, tenant)
            conn.execute(
                "INSERT INTO documents (rid, id, tenant_id) VALUES (?, ?, ?)", (rid, doc_id, tenant)
            )
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
        current = {f: row[f] for f in DOCUMENT_FIELDS} if row is not None else {}
        current.update(values)
        if row is None or {"crux", "withdrawn"} & set(newer):
            conn.execute("DELETE FROM documents_fts WHERE rowid = ?", (rid,))
            if not current.get("withdrawn"):  # a withdrawn complaint is found by nothing
                index_text(conn, rid, tenant, current.get("crux"))
        if current.get("withdrawn"):
            conn.execute("DELETE FROM searchable WHERE rid = ?", (rid,))
        else:
            keep_searchable(conn, rid, doc_id, current, record_key(self.cell_keys, doc_id))
        return True

    def ensure_tenant(self, tenant: str) -> str:
        return tenant_token(tenant)  # one file for every tenant: nothing to make

    def delete_tenant(self, tenant: str) -> int:
        """Every document of `tenant` gone, with its words (an offboarded centre)."""

        def run(conn: sqlite3.Connection) -> int:
            for table in ("documents_fts", "searchable"):
                conn.execute(
                    f"DELETE FROM {table} WHERE rowid IN "  # noqa: S608 - the two tables above
                    "(SELECT rid FROM documents WHERE tenant_id = ?)",
                    (tenant,),
                )
            return conn.execute("DELETE FROM documents WHERE tenant_id = ?", (tenant,)).rowcount

        return self._write(run)

    # ------------------------------------------------------------------ reading

    def _where(
        self, request: SearchRequest, *, joined: bool, text: str | None = None
    ) -> tuple[str, list[Any]]:
        """FROM/WHERE for a request: the MATCH of the words (or a ready `text`) within the
        tenant's row ids, both applied by FTS5; `joined` adds the matches' `searchable` rows
        (alias f), on which the filters, the date range and the document left out are checked."""
        for name in request.filters:
            if name not in FILTER_FIELDS:
                raise ValueError(f"not a filter: {name}")
        if not joined and _reads_searchable(request):
            raise ValueError("filters and dates need the searchable rows joined")
        low, high = tenant_rows(self._conn(), request.tenant)
        sql = " FROM documents_fts"
        if joined:
            sql += " JOIN searchable f ON f.rid = documents_fts.rowid"
        sql += (
            " WHERE documents_fts MATCH ? AND documents_fts.rowid >= ? AND documents_fts.rowid < ?"
        )
        params: list[Any] = [text if text is not None else text_expression(request.query)]
        params += [low, high]
        for name, value in request.filters.items():
            sql += f" AND f.{name} = ?"
            params.append(value)
        if request.received_from:
            sql += " AND f.received_at >= ?"
            params.append(request.received_from)
        if request.received_to:
            sql += " AND f.received_at < ?"
            params.append(request.received_to)
        if request.exclude_id:
            sql += " AND f.id <> ?"
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
        self, request: SearchRequest
    ) -> tuple[dict[str, dict[str, int]], dict[str, dict[str, int]], tuple[int, int] | None]:
        """The counts (and record-key sums) of every asked facet from one pass over the
        matches' narrow `searchable` rows: one GROUP BY over the facets' combined values (a few
        hundred groups at most), summed per facet here; key sums add up like counts. The
        groups together are every match, so the same pass gives the total and its key sum
        (None when no facet is asked)."""
        names = list(dict.fromkeys(request.facets))
        for name in names:
            if name not in FACET_FIELDS:
                raise ValueError(f"not a facet: {name}")
        if not names:
            return {}, {}, None
        where, params = self._where(request, joined=True)
        columns = ", ".join(f"f.{name}" for name in names)  # names from FACET_FIELDS
        rows = self._run(
            f"SELECT {columns}, count(*) AS n, sum(f.record_key) AS k{where} GROUP BY {columns}",
            params,
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
        total = (sum(r["n"] for r in rows), sum(int(r["k"] or 0) for r in rows))
        return facets, facet_keys, total

    def _count(self, request: SearchRequest) -> tuple[int, int]:
        """The number of matches and the sum of their record keys (from FTS5 alone when no
        filter, date or key is asked)."""
        joined = _reads_searchable(request) or request.cell_keys
        where, params = self._where(request, joined=joined)
        key_sum = "sum(f.record_key)" if joined else "0"
        row = self._run(f"SELECT count(*) AS n, {key_sum} AS k{where}", params)[0]
        return row["n"], int(row["k"] or 0)

    def search(self, request: SearchRequest) -> Page:
        facets, facet_keys, counted = self._facets(request)
        keyed = request.cell_keys
        if not request.with_hits:
            total, total_key = counted if counted is not None else self._count(request)
            return Page(
                hits=[], total=total, facets=facets, next_cursor=None,
                total_key=total_key if keyed else None,
                facet_keys=facet_keys if keyed else {},
            )  # fmt: skip
        keys, total = self._ranked(request)
        return self._page(request, keys, total, facets)

    def _ranked(self, request: SearchRequest) -> tuple[list[tuple[int, Any]], int]:
        """The page's (rid, sort value) and the total: only (rid, key) rows are sorted, and the
        page's rows are read afterwards. By relevance without filters the matches are ranked
        from FTS5 alone; a filter or a date reads each match's narrow `searchable` row first,
        and bm25 is computed for the matches that pass. Ties are broken by row id, or by
        complaint id where the date or a column condition orders (as they were before the
        tenant blocks)."""
        joined = _reads_searchable(request) or request.sort == "date"
        where, params = self._where(request, joined=joined)
        if request.sort == "date":
            key, tie, desc = "COALESCE(f.received_at, '')", "id", True
        else:
            key, tie, desc = _BM25, ("id" if _column_conditions(request) else "rid"), False
        rid = "f.rid" if joined else "documents_fts.rowid"
        tie_column = ", f.id AS id" if tie == "id" else ""
        # The total: with the searchable rows joined (filters, dates), a window count in the
        # same pass (a second pass would read every match's row again); from FTS5 alone, a
        # count of its own (the window stores every match: 15-30 ms more at 1M).
        counted = ", count(*) OVER () AS n" if joined else ""
        sql = (
            f"SELECT * FROM (SELECT rid, k{', id' if tie == 'id' else ''}{counted} FROM"
            f" (SELECT {rid} AS rid{tie_column}, {key} AS k{where}))"
        )
        args = list(params)
        if request.cursor:
            last_key, last_id = cursors.decode(self.cursors, request.sort, request.cursor)
            last_tie: Any = last_id
            if tie == "rid":
                last = self._run(
                    "SELECT rid FROM documents WHERE id = ? AND tenant_id = ?",
                    [last_id, request.tenant],
                )
                if not last:
                    raise CursorError("the cursor names no complaint of this index")
                last_tie = last[0]["rid"]
            op = "<" if desc else ">"
            sql += f" WHERE (k {op} ? OR (k = ? AND {tie} {op} ?))"
            args += [last_key, last_key, last_tie]
        order = "DESC" if desc else "ASC"
        sql += f" ORDER BY k {order}, {tie} {order} LIMIT ?"
        found = self._run(sql, [*args, request.limit + 1])
        if joined and found:
            total = found[0]["n"]
        else:  # no row left after a cursor: the matches counted on their own
            total = self._count(request)[0] if found or request.cursor else 0
        return [(r["rid"], r["k"]) for r in found], total

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
        asked = SearchRequest(
            tenant=tenant, query=query, filters=dict(filters), exclude_id=doc_id, limit=limit
        )
        where, params = self._where(
            asked, joined=True, text="(" + " OR ".join(f'stem : "{s}"' for s in chosen) + ")"
        )
        if row["respondent_body_type"] is not None:
            where += " AND f.respondent_body_type = ?"
            params.append(row["respondent_body_type"])
        else:
            where += " AND f.respondent_body_type IS NULL"
        ranked = self._run(
            f"SELECT f.rid AS rid, {_BM25} AS score{where} ORDER BY score, f.id LIMIT ?",
            [*params, limit],
        )
        return self._page(asked, [(r["rid"], r["score"]) for r in ranked], 0, {}).hits

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


def _column_conditions(request: SearchRequest) -> bool:
    """Whether the request has conditions besides the filters (the date range, the document
    left out): such a page was ordered by complaint id among equal scores, and still is."""
    return bool(request.received_from or request.received_to or request.exclude_id)


def _reads_searchable(request: SearchRequest) -> bool:
    """Whether the matches' `searchable` rows must be read (a filter, a date, an id left out)."""
    return bool(request.filters) or _column_conditions(request)


def _fields(row: sqlite3.Row) -> dict[str, Any]:
    fields = {f: row[f] for f in DOCUMENT_FIELDS}
    fields["withdrawn"] = bool(fields["withdrawn"])
    return fields
