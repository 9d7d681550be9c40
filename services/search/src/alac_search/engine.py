"""The embedded search engine: SQLite FTS5 in its own file, needing no server.

Documents are versioned per source aggregate (complaint, case) the way OpenSearch's external
versioning works: an update with a version not newer than the stored one is ignored, so a late
or repeated event never overwrites newer data and applying twice is harmless. That is why the
index does not need to share a transaction with the inbox.

The tenant is a column of the FTS table and part of every MATCH query, never a filter applied
to results afterwards.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    office TEXT,
    status TEXT,
    channel TEXT,
    area TEXT,
    received_at TEXT,
    case_id TEXT,
    crux TEXT NOT NULL DEFAULT '',
    complaint_version INTEGER NOT NULL DEFAULT 0,
    case_version INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS ix_documents_tenant ON documents(tenant_id);
CREATE VIRTUAL TABLE IF NOT EXISTS documents_fts USING fts5(
    doc_id UNINDEXED, tenant_id UNINDEXED, crux,
    tokenize = "unicode61 remove_diacritics 2"
);
"""

# Letters and digits; the underscore (connector punctuation) separates words, as it does for
# the unicode61 tokenizer, so a query of underscores has no words instead of an empty phrase.
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


class QueryError(ValueError):
    """A query the engine cannot read; the API answers 400 with this reason."""


@dataclass(frozen=True)
class Hit:
    id: str
    office: str | None
    status: str | None
    channel: str | None
    area: str | None
    case_id: str | None
    received_at: str | None
    snippet: str


def to_match_expression(q: str) -> str:
    """Words of the query, each quoted (so no FTS5 operator can be injected), all required."""
    words = _WORD.findall(q)
    if not words:
        raise QueryError("the query has no words to search for")
    if len(words) > 32:
        raise QueryError("the query has more than 32 words")
    return " AND ".join('"' + w.replace('"', '""') + '"' for w in words)


class EmbeddedIndex:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._local = threading.local()
        with self._conn() as conn:
            conn.executescript(SCHEMA)

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                self.path, timeout=30, isolation_level=None, check_same_thread=False
            )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA busy_timeout=30000")
            conn.row_factory = sqlite3.Row
            self._local.conn = conn
        return conn

    def _write(self, fn, *args: Any) -> bool:  # type: ignore[no-untyped-def]
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            changed = fn(conn, *args)
            conn.execute("COMMIT")
            return changed
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def apply_complaint(
        self, tenant: str, complaint_id: str, version: int, fields: dict[str, Any]
    ) -> bool:
        return self._write(self._apply_complaint, tenant, complaint_id, version, fields)

    @staticmethod
    def _apply_complaint(
        conn: sqlite3.Connection, tenant: str, cid: str, version: int, f: dict[str, Any]
    ) -> bool:
        row = conn.execute(
            "SELECT tenant_id, complaint_version FROM documents WHERE id = ?", (cid,)
        ).fetchone()
        if row is not None and (row["tenant_id"] != tenant or row["complaint_version"] >= version):
            return False
        if row is None:
            conn.execute(
                "INSERT INTO documents (id, tenant_id, status) VALUES (?, ?, 'received')",
                (cid, tenant),
            )
        conn.execute(
            "UPDATE documents SET office = ?, channel = ?, area = ?, received_at = ?, crux = ?,"
            " complaint_version = ? WHERE id = ?",
            (f["office"], f["channel"], f.get("area"), f["received_at"], f["crux"], version, cid),
        )
        conn.execute("DELETE FROM documents_fts WHERE doc_id = ?", (cid,))
        conn.execute(
            "INSERT INTO documents_fts (doc_id, tenant_id, crux) VALUES (?, ?, ?)",
            (cid, tenant, f["crux"]),
        )
        return True

    def apply_case(
        self, tenant: str, complaint_id: str, case_id: str, version: int, status: str
    ) -> bool:
        return self._write(self._apply_case, tenant, complaint_id, case_id, version, status)

    @staticmethod
    def _apply_case(
        conn: sqlite3.Connection, tenant: str, cid: str, case_id: str, version: int, status: str
    ) -> bool:
        row = conn.execute(
            "SELECT tenant_id, case_version FROM documents WHERE id = ?", (cid,)
        ).fetchone()
        if row is not None and (row["tenant_id"] != tenant or row["case_version"] >= version):
            return False
        if row is None:
            # The case event overtook its complaint (they travel on different topics).
            conn.execute("INSERT INTO documents (id, tenant_id) VALUES (?, ?)", (cid, tenant))
        conn.execute(
            "UPDATE documents SET case_id = ?, status = ?, case_version = ? WHERE id = ?",
            (case_id, status, version, cid),
        )
        return True

    def search(
        self, tenant: str, q: str, *, office: str | None = None, limit: int = 20
    ) -> list[Hit]:
        match = to_match_expression(q)
        sql = (
            "SELECT d.*, snippet(documents_fts, 2, '<mark>', '</mark>', '…', 16) AS snip"
            " FROM documents_fts JOIN documents d ON d.id = documents_fts.doc_id"
            " WHERE documents_fts MATCH ? AND documents_fts.tenant_id = ? AND d.tenant_id = ?"
        )
        params: list[Any] = [match, tenant, tenant]
        if office:
            sql += " AND d.office = ?"
            params.append(office)
        sql += " ORDER BY rank LIMIT ?"
        params.append(limit)
        try:
            rows = self._conn().execute(sql, params).fetchall()
        except sqlite3.OperationalError as exc:
            raise QueryError(f"the query could not be read: {exc}") from exc
        return [
            Hit(
                id=r["id"],
                office=r["office"],
                status=r["status"],
                channel=r["channel"],
                area=r["area"],
                case_id=r["case_id"],
                received_at=r["received_at"],
                snippet=r["snip"],
            )
            for r in rows
        ]

    def ping(self) -> None:
        self._conn().execute("SELECT 1 FROM documents LIMIT 1")

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
