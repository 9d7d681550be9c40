"""The OpenSearch engine (production): one shared index routed by tenant, a filtered alias per
tenant, external versioning, soft deletes. Request bodies come from opensearch_dsl (pure,
tested without a server); this module only sends them.

Writes merge per field, like the embedded engine (engines/base.py): read the stored document,
keep the fields whose stored version is older, and index the result with
version_type=external and the composite aggregate version (opensearch_dsl.composite_version).
A 409 means a newer write landed in between: read again and merge again; when nothing of ours
is newer any more, the write is simply not needed (newer data is already there), not an error.

The index needs the analysis-icu plugin (icu_tokenizer, icu_folding); see docs/search.md.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from typing import Any

from opensearchpy import OpenSearch, helpers
from opensearchpy.exceptions import ConflictError, NotFoundError

from alac_search.analysis.highlight import snippet
from alac_search.analysis.text import words
from alac_search.engines import opensearch_dsl as dsl
from alac_search.engines.base import DOCUMENT_FIELDS, RECEIVED, Hit, Page, SearchRequest
from alac_search.query import cursor as cursors
from alac_search.query.parser import Or, Term

_RETRIES = 5


def merge(
    stored: Mapping[str, Any] | None, version: int, fields: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, int]] | None:
    """The document after setting `fields` at `version` (None if no field is newer)."""
    versions = dict((stored or {}).get("versions", {}))
    newer = {k: v for k, v in fields.items() if versions.get(k, 0) < version}
    if not newer:
        return None
    current = {f: (stored or {}).get(f) for f in DOCUMENT_FIELDS}
    current["withdrawn"] = bool(current["withdrawn"])
    current.update(newer)
    if current.get("status") is None:
        current["status"] = RECEIVED
    for key in newer:
        versions[key] = version
    return current, versions


class OpenSearchEngine:
    def __init__(
        self, url: str, *, index: str | None = None, client: Any = None, aliases: bool = True
    ) -> None:
        """`aliases=False` for an index being rebuilt: tenant aliases move to it on swap_in,
        so searches never see two indices at once."""
        self.client = client or OpenSearch(url, timeout=30)
        self._tenants: set[str] = set()
        self._aliases = aliases
        self.index = index or self._live_index()

    # ------------------------------------------------------------------ indices and aliases

    def _live_index(self) -> str:
        self.client.indices.put_index_template(name=dsl.INDEX_PREFIX, body=dsl.index_template())
        try:
            return next(iter(self.client.indices.get_alias(name=dsl.LIVE_ALIAS)))
        except NotFoundError:
            index = f"{dsl.INDEX_PREFIX}-{uuid.uuid4().hex[:12]}"
            self.client.indices.create(index=index, body={"aliases": {dsl.LIVE_ALIAS: {}}})
            return index

    def ensure_tenant(self, tenant: str) -> str:
        """The tenant's filtered alias, created on first use."""
        alias = dsl.tenant_alias(tenant)
        if tenant not in self._tenants:
            if self._aliases and not self.client.indices.exists_alias(name=alias, index=self.index):
                self.client.indices.update_aliases(body=dsl.alias_actions(self.index, tenant))
            self._tenants.add(tenant)
        return alias

    # ------------------------------------------------------------------ writing

    def _stored(self, tenant: str, doc_id: str) -> dict[str, Any] | None:
        try:
            found = self.client.get(
                index=self.index, id=dsl.document_id(tenant, doc_id), routing=tenant
            )
        except NotFoundError:
            return None
        return found["_source"]

    def apply(self, tenant: str, doc_id: str, version: int, fields: Mapping[str, Any]) -> bool:
        unknown = set(fields) - set(DOCUMENT_FIELDS)
        if unknown:
            raise ValueError(f"not document fields: {sorted(unknown)}")
        self.ensure_tenant(tenant)
        for _attempt in range(_RETRIES):
            stored = self._stored(tenant, doc_id)
            if stored is None and self._taken_by_another_tenant(doc_id):
                return False  # another tenant's document with this id is never touched
            merged = merge(stored, version, fields)
            if merged is None:
                return False  # newer data is already there
            body = dsl.source(tenant, doc_id, *merged)
            action = dsl.bulk_action(self.index, tenant, doc_id, body)
            try:
                self.client.index(
                    index=self.index,
                    id=action["_id"],
                    body=action["_source"],
                    routing=tenant,
                    version=action["version"],
                    version_type="external",
                    refresh="wait_for",
                )
                return True
            except ConflictError:
                continue  # a newer write landed in between: merge again
        raise RuntimeError(f"could not apply version {version} to {doc_id} after {_RETRIES} tries")

    def _taken_by_another_tenant(self, doc_id: str) -> bool:
        """Complaint ids are global: one already indexed for any tenant (searched across all
        shards, since routing hides it from a routed get) is refused for another."""
        body = {"query": {"term": {"id": doc_id}}}
        return bool(self.client.count(index=self.index, body=body)["count"])

    def soft_delete(self, tenant: str, doc_id: str, version: int) -> bool:
        return self.apply(tenant, doc_id, version, {"withdrawn": True})

    def apply_many(self, docs: list[tuple[str, str, int, dict[str, Any]]]) -> None:
        """Bulk load (rebuilds, benchmarks): helpers.bulk with external versions; a version
        conflict means newer data is already there and is not an error."""
        actions = []
        for tenant, doc_id, version, fields in docs:
            self.ensure_tenant(tenant)
            merged = merge(None, version, fields)
            if merged is not None:
                body = dsl.source(tenant, doc_id, *merged)
                actions.append(dsl.bulk_action(self.index, tenant, doc_id, body))
        _ok, errors = helpers.bulk(self.client, actions, raise_on_error=False, refresh="wait_for")
        real = [e for e in errors if next(iter(e.values())).get("status") != 409]
        if real:
            raise RuntimeError(f"bulk indexing failed: {real[:3]}")

    # ------------------------------------------------------------------ reading

    def search(self, request: SearchRequest) -> Page:
        after = cursors.decode(request.sort, request.cursor) if request.cursor else None
        body = dsl.search_body(request, after)
        found = self.client.search(index=self.ensure_tenant(request.tenant), body=body)
        total = found["hits"]["total"]["value"]
        facets = {
            name: {b["key"]: b["doc_count"] for b in agg["buckets"]}
            for name, agg in found.get("aggregations", {}).items()
        }
        if not request.with_hits:
            return Page(hits=[], total=total, facets=facets, next_cursor=None)
        raw = found["hits"]["hits"]
        more = len(raw) > request.limit
        raw = raw[: request.limit]
        hits = [self._hit(h, request) for h in raw]
        next_cursor = cursors.encode(request.sort, list(raw[-1]["sort"])) if more else None
        return Page(hits=hits, total=total, facets=facets, next_cursor=next_cursor)

    @staticmethod
    def _hit(h: Mapping[str, Any], request: SearchRequest) -> Hit:
        fields = {f: h["_source"].get(f) for f in DOCUMENT_FIELDS}
        text = snippet(fields["crux"] or "", request.query) if request.highlight else None
        return Hit(id=h["_source"]["id"], fields=fields, snippet=text, score=h.get("_score") or 0.0)

    def get(self, tenant: str, doc_id: str) -> dict[str, Any] | None:
        stored = self._stored(tenant, doc_id)
        if stored is None or stored.get("tenant_id") != tenant or stored.get("withdrawn"):
            return None
        return {f: stored.get(f) for f in DOCUMENT_FIELDS}

    def similar(
        self, tenant: str, doc_id: str, *, limit: int = 10, filters: Mapping[str, str] = {}
    ) -> list[Hit]:
        stored = self.get(tenant, doc_id)
        if stored is None:
            return []
        body = dsl.similar_body(
            tenant, self.index, doc_id, stored["respondent_body_type"], limit=limit, filters=filters
        )
        found = self.client.search(index=self.ensure_tenant(tenant), body=body)
        own_words = words(stored["crux"] or "")
        query = Or(tuple(Term(w) for w in own_words)) if own_words else None
        return [
            Hit(
                id=h["_source"]["id"],
                fields={f: h["_source"].get(f) for f in DOCUMENT_FIELDS},
                snippet=None if query is None else snippet(h["_source"].get("crux") or "", query),
                score=h.get("_score") or 0.0,
            )
            for h in found["hits"]["hits"]
        ]

    def export(self) -> Iterator[tuple[str, str, dict[str, Any]]]:
        rows = []
        for h in helpers.scan(self.client, index=self.index, query={"query": {"match_all": {}}}):
            s = h["_source"]
            fields = {f: s.get(f) for f in DOCUMENT_FIELDS}
            fields["withdrawn"] = bool(s.get("withdrawn"))
            fields["versions"] = s.get("versions", {})
            rows.append((s["tenant_id"], s["id"], fields))
        yield from sorted(rows, key=lambda r: r[1])

    def columns(self) -> list[str]:
        """The mapped fields (a test asserts no personal data field exists)."""
        mapping = self.client.indices.get_mapping(index=self.index)[self.index]
        return list(mapping["mappings"]["properties"])

    # ------------------------------------------------------------------ rebuild

    def begin_rebuild(self) -> OpenSearchEngine:
        index = f"{dsl.INDEX_PREFIX}-{uuid.uuid4().hex[:12]}"
        self.client.indices.create(index=index)
        return OpenSearchEngine("", index=index, client=self.client, aliases=False)

    def swap_in(self, rebuilt: OpenSearchEngine) -> None:  # type: ignore[override]
        on_old = self.client.indices.get_alias(index=self.index)[self.index]["aliases"]
        tenants = dsl.tenants_of(on_old) | rebuilt._tenants
        body = dsl.swap_actions(self.index, rebuilt.index, dsl.tenants_of(on_old), tenants)
        self.client.indices.update_aliases(body=body)
        self.index = rebuilt.index
        self._tenants = set(tenants)

    def optimize(self) -> None:
        """Force-merge a freshly built index into one segment per shard and refresh it."""
        self.client.indices.forcemerge(index=self.index, max_num_segments=1)
        self.client.indices.refresh(index=self.index)

    def ping(self) -> None:
        if not self.client.ping():
            raise ConnectionError("OpenSearch does not answer")

    def close(self) -> None:
        self.client.close()
