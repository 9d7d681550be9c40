"""A read model's content, for comparing the live one with a rebuild from the events.

    python -m verify.read_models search|analytics

prints one JSON object: the number of records and a digest of each (search: every indexed
document as the engine exports it; analytics: every row of complaint_facts, daily_counts and
monthly_counts). It reads the service's database and engine from the environment (ALAC_*
settings), so it runs against the embedded and the production profile alike, in a process of
its own like the `alac` operations it is compared around (`alac search reindex`,
`alac analytics rebuild`, which swap a rebuilt model in).
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Iterator
from typing import Any

from alac_kernel.operations import runtime_for_operation


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


def search_records() -> Iterator[tuple[str, Any]]:
    from alac_search.app import build_runtime

    runtime = runtime_for_operation("search", build_runtime)
    try:
        for tenant, doc_id, fields in runtime.search_engine.export():
            yield f"{tenant}/{doc_id}", fields
    finally:
        runtime.close()


def analytics_records() -> Iterator[tuple[str, Any]]:
    from sqlalchemy import select

    from alac_analytics.app import build_runtime
    from alac_analytics.projections.rebuild import LIVE_TABLES

    runtime = runtime_for_operation("analytics", build_runtime)
    try:
        with runtime.engine.connect() as conn:
            for table in LIVE_TABLES:
                key_columns = [c.name for c in table.primary_key.columns]
                for row in conn.execute(select(table)).mappings():
                    key = "/".join(str(row[c]) for c in key_columns)
                    yield f"{table.name}/{key}", dict(row)
    finally:
        runtime.close()


def snapshot(model: str) -> dict[str, Any]:
    records = dict(search_records() if model == "search" else analytics_records())
    digests = {key: _digest(value) for key, value in records.items()}
    return {"records": len(digests), "digest": _digest(sorted(digests.items())), "each": digests}


def differences(live: dict[str, Any], rebuilt: dict[str, Any]) -> list[str]:
    """The keys whose record differs, or exists on one side only (the first few)."""
    keys = set(live["each"]) | set(rebuilt["each"])
    return sorted(k for k in keys if live["each"].get(k) != rebuilt["each"].get(k))


if __name__ == "__main__":
    json.dump(snapshot(sys.argv[1]), sys.stdout)
