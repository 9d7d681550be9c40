"""The offboarding archive of a centre: every row each service holds of it, as the service
stores it, in one zip whose SHA-256 the registry records.

Generic over a service's tables (every table with a `tenant_id` column), so a table added
later is archived without anyone remembering to list it. What is encrypted at rest stays
encrypted (ciphertext as stored), and the keys that would open it are never archived: the
keys are deleted on offboarding, so the personal data in the archive is destroyed with them.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zipfile
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

Rows = dict[str, list[dict[str, Any]]]
# The kernel's tables stay: the outbox still has to deliver tenant.offboarded itself, and the
# standing refuses the tenant's tokens from then on.
KERNEL_TABLES = frozenset({"outbox", "inbox", "idempotency_keys", "tenant_standing"})


def tenant_tables(tables: Iterable[Table], keep: Iterable[str] = ()) -> list[Table]:
    """The tables holding rows of tenants, parents first, but the kernel's and `keep`."""
    left_out = KERNEL_TABLES | set(keep)
    return [t for t in tables if "tenant_id" in t.c and t.name not in left_out]


def tenant_rows(session: Session, tables: Iterable[Table], tenant_id: str) -> Rows:
    """Every row of `tenant_id` in `tables`, as JSON-ready values."""
    out: Rows = {}
    for table in tables:
        rows = session.execute(select(table).where(table.c.tenant_id == tenant_id)).mappings()
        out[table.name] = [{k: jsonable(v) for k, v in r.items()} for r in rows]
    return out


def jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool, list, dict)):
        return value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, Decimal):
        return str(value)
    return str(value)


def build_archive(tenant_id: str, services: Mapping[str, Rows]) -> tuple[bytes, str]:
    """The zip (`<tenant>/<service>/<table>.json`, and `<tenant>/manifest.json` with each
    file's SHA-256 and row count) and its SHA-256."""
    manifest: dict[str, Any] = {"tenant_id": tenant_id, "files": {}}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for service, tables in sorted(services.items()):
            for name, rows in sorted(tables.items()):
                path = f"{tenant_id}/{service}/{name}.json"
                raw = json.dumps(rows, ensure_ascii=False, default=jsonable).encode()
                archive.writestr(path, raw)
                manifest["files"][path] = {
                    "sha256": hashlib.sha256(raw).hexdigest(),
                    "rows": len(rows),
                }
        archive.writestr(f"{tenant_id}/manifest.json", json.dumps(manifest, indent=1))
    data = buffer.getvalue()
    return data, hashlib.sha256(data).hexdigest()
