"""The OpenSearch engine (production): one shared index routed by tenant, a filtered alias per
tenant, optimistic concurrency per document, soft deletes. Request bodies come from
opensearch_dsl (pure, tested without a server); this module only sends them.

Writes merge per field, like the embedded engine (engines/base.py): read the stored document
(a real-time GET, which also gives its `_seq_no` and `_primary_term`), keep the fields whose
stored version is older, and write the result back only if the document is still the one read
(`if_seq_no` + `if_primary_term`; `op_type=create` when there was none). A 409 means another
write landed in between: read and merge again. Nothing is ever refused for being "older as a
whole": the complaint and the case have separate version sequences, so a late case event
(case.assigned v2 after case.status_changed v3) still fills the fields no newer event set, and
a case event that comes before its complaint makes the document that the complaint later fills.

Writes do not wait for a refresh (the index's refresh_interval, 1 s, makes them searchable);
`refresh="wait_for"` is for tests and callers that must read their own write through search.
GETs are real-time, so the merge always sees the latest write.

Complaint ids are global: the first tenant to write one owns it, recorded in a small owners
index (`op_type=create`, so two tenants racing cannot both win); another tenant's write for the
same id is refused. The owners index is read by real-time GET too, never by search.

The index needs ICU analysis (icu_tokenizer, icu_folding: the analysis-icu plugin); see
docs/search.md and docs/operations.md ("OpenSearch").
"""

from __future__ import annotations

import logging
import os
import random
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeVar
from urllib.parse import urlsplit

from opensearchpy import OpenSearch, helpers
from opensearchpy.exceptions import (
    ConflictError,
    NotFoundError,
    RequestError,
    SSLError,
    TransportError,
)
from opensearchpy.exceptions import ConnectionError as OpenSearchConnectionError

from alac_kernel.crypto import new_key
from alac_kernel.cursors import CursorCodec
from alac_kernel.small_cells import CellKeyParams, record_key
from alac_search.analysis.highlight import snippet
from alac_search.analysis.text import words
from alac_search.engines import opensearch_dsl as dsl
from alac_search.engines.base import DOCUMENT_FIELDS, RECEIVED, Hit, Page, SearchRequest
from alac_search.query import cursor as cursors
from alac_search.query.parser import Or, Term

# Each 409 means another write to the same document succeeded, so the loop always makes
# progress overall; the bound only stops a pathological hot spot from spinning for ever.
T = TypeVar("T")

_RETRIES = 50
_CLAIMS_KEPT = 100_000
# Answers that mean "not now" rather than "no": the cluster is restarting, overloaded or
# behind a proxy that lost it.
_TRANSIENT_STATUS = {429, 502, 503, 504}
OUTAGE_WAIT_S = 120.0

log = logging.getLogger("alac.search.opensearch")

Refresh = Literal[False, "wait_for", True]


@dataclass(frozen=True)
class Connection:
    """How to reach the cluster (ALAC_OPENSEARCH_* settings, docs/operations.md).

    HTTPS is chosen by the URL's scheme. A deployed cluster runs the security plugin: HTTPS
    with its own CA (`ca_bundle`) and basic authentication (`user`, `password`).
    """

    url: str
    user: str | None = None
    password: str | None = None
    ca_bundle: str | None = None
    verify: bool = True
    timeout_s: float = 30.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Connection:
        url = env.get("ALAC_OPENSEARCH_URL")
        if not url:
            raise ValueError("ALAC_SEARCH_ENGINE=opensearch needs ALAC_OPENSEARCH_URL")
        password = env.get("ALAC_OPENSEARCH_PASSWORD") or None
        password_file = env.get("ALAC_OPENSEARCH_PASSWORD_FILE")
        if password_file:  # a mounted secret, so the password is not in the environment
            with open(password_file, encoding="utf-8") as f:
                password = f.read().strip()
        verify = env.get("ALAC_OPENSEARCH_VERIFY", "true").strip().lower()
        if verify not in ("true", "false", "1", "0", "yes", "no"):
            raise ValueError(f"ALAC_OPENSEARCH_VERIFY must be true or false, not {verify!r}")
        connection = cls(
            url=url,
            user=env.get("ALAC_OPENSEARCH_USER") or None,
            password=password,
            ca_bundle=env.get("ALAC_OPENSEARCH_CA_BUNDLE") or None,
            verify=verify in ("true", "1", "yes"),
        )
        connection.check()
        return connection

    def check(self) -> None:
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"ALAC_OPENSEARCH_URL must be http(s)://host:port, not {self.url!r}")
        if parts.username or parts.password:
            raise ValueError(
                "put the OpenSearch user and password in ALAC_OPENSEARCH_USER and "
                "ALAC_OPENSEARCH_PASSWORD(_FILE), not in the URL (it is logged)"
            )
        if (self.user is None) != (self.password is None):
            raise ValueError("ALAC_OPENSEARCH_USER and ALAC_OPENSEARCH_PASSWORD go together")
        loopback = parts.hostname in ("127.0.0.1", "localhost", "::1")
        if self.user and parts.scheme == "http" and not loopback:
            raise ValueError(
                "basic authentication over plain http would send the password in clear; "
                "use an https:// ALAC_OPENSEARCH_URL"
            )
        if self.ca_bundle and parts.scheme != "https":
            raise ValueError("ALAC_OPENSEARCH_CA_BUNDLE needs an https:// ALAC_OPENSEARCH_URL")
        if self.ca_bundle and not os.path.isfile(self.ca_bundle):
            raise ValueError(f"ALAC_OPENSEARCH_CA_BUNDLE: no such file {self.ca_bundle}")

    def client(self) -> OpenSearch:
        self.check()
        options: dict[str, Any] = {"hosts": [self.url], "timeout": self.timeout_s}
        if self.user is not None:
            options["http_auth"] = (self.user, self.password)
        if urlsplit(self.url).scheme == "https":
            options["use_ssl"] = True
            options["verify_certs"] = self.verify
            options["ssl_show_warn"] = self.verify  # verify=false was chosen, said in the docs
            if self.ca_bundle:
                options["ca_certs"] = self.ca_bundle
        return OpenSearch(**options)


def replicas_from_env(env: Mapping[str, str] = os.environ) -> int | None:
    """ALAC_OPENSEARCH_REPLICAS: a fixed replica count; unset keeps the template's
    auto_expand_replicas 0-1 (0 on one node, so it is green; 1 once a second node joins)."""
    value = env.get("ALAC_OPENSEARCH_REPLICAS", "").strip()
    if not value:
        return None
    if not value.isdigit():
        raise ValueError(f"ALAC_OPENSEARCH_REPLICAS must be a number, not {value!r}")
    return int(value)


def outage_wait_from_env(env: Mapping[str, str] = os.environ) -> float:
    """ALAC_OPENSEARCH_OUTAGE_WAIT_S: how long a write waits for an unreachable cluster."""
    value = env.get("ALAC_OPENSEARCH_OUTAGE_WAIT_S", "").strip()
    try:
        return float(value) if value else OUTAGE_WAIT_S
    except ValueError:
        raise ValueError(
            f"ALAC_OPENSEARCH_OUTAGE_WAIT_S must be a number of seconds, not {value!r}"
        ) from None


def transient(exc: BaseException) -> bool:
    """An error worth waiting out: no connection (but not a certificate refused) or a
    'try later' status. A 4xx such as 401 or 400 is an answer, not an outage."""
    if isinstance(exc, SSLError):
        return False
    if isinstance(exc, OpenSearchConnectionError):
        return True
    return isinstance(exc, TransportError) and exc.status_code in _TRANSIENT_STATUS


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
        self,
        url: str | Connection,
        *,
        index: str | None = None,
        client: Any = None,
        aliases: bool = True,
        refresh: Refresh = False,
        replicas: int | None = None,
        owners: str = dsl.OWNERS_INDEX,
        outage_wait_s: float = OUTAGE_WAIT_S,
        cursors: CursorCodec | None = None,
        cell_keys: CellKeyParams | None = None,
    ) -> None:
        """`aliases=False` for an index being rebuilt: tenant aliases move to it on swap_in,
        so searches never see two indices at once. `refresh` is what every write asks for
        (False: searchable within the refresh interval). `owners` names the complaint-owners
        index (tests give each engine its own). A write waits up to `outage_wait_s` for an
        unreachable cluster before it fails (see `_patiently`). `cursors` signs the page
        cursors (the factory gives one keyed by ALAC_CURSOR_KEY)."""
        self.cursors = cursors or CursorCodec()
        # Each document stores its record key (counts-only answers sum them: small_cells).
        self.cell_keys = cell_keys or CellKeyParams.from_secret(new_key())
        if client is None:
            connection = url if isinstance(url, Connection) else Connection(url)
            client = connection.client()
        self.client = client
        self.refresh: Refresh = refresh
        self.replicas = replicas
        self.owners = owners
        self.outage_wait_s = outage_wait_s
        self._tenants: set[str] = set()
        self._claims: dict[str, str] = {}
        self._aliases = aliases
        self.index = index or self._live_index()
        self._ensure_owners()

    # ------------------------------------------------------------------ indices and aliases

    def _live_index(self) -> str:
        self.client.indices.put_index_template(
            name=dsl.INDEX_PREFIX, body=dsl.index_template(self.replicas)
        )
        try:
            live = next(iter(self.client.indices.get_alias(name=dsl.LIVE_ALIAS)))
        except NotFoundError:
            live = None
        if live is not None:
            # Fields added to the template since the index was made (additive only).
            self.client.indices.put_mapping(index=live, body=dsl.ADDED_FIELDS)
            return live
        index = f"{dsl.INDEX_PREFIX}-{uuid.uuid4().hex[:12]}"
        self.client.indices.create(index=index, body={"aliases": {dsl.LIVE_ALIAS: {}}})
        return index

    def _ensure_owners(self) -> None:
        if self.client.indices.exists(index=self.owners):
            return
        try:
            self.client.indices.create(index=self.owners, body=dsl.owners_index(self.replicas))
        except RequestError as exc:  # another process created it first
            if "resource_already_exists_exception" not in str(exc):
                raise

    def ensure_tenant(self, tenant: str) -> str:
        """The tenant's filtered alias, created on first use."""
        alias = dsl.tenant_alias(tenant)
        if tenant not in self._tenants:
            if self._aliases and not self.client.indices.exists_alias(name=alias, index=self.index):
                self.client.indices.update_aliases(body=dsl.alias_actions(self.index, tenant))
            self._tenants.add(tenant)
        return alias

    # ------------------------------------------------------------------ writing

    def _stored(self, tenant: str, doc_id: str) -> tuple[dict[str, Any] | None, tuple[int, int]]:
        """The stored document and its (seq_no, primary_term); (None, (-1, 0)) if absent."""
        try:
            found = self.client.get(
                index=self.index, id=dsl.document_id(tenant, doc_id), routing=tenant
            )
        except NotFoundError:
            return None, (-1, 0)
        return found["_source"], (found["_seq_no"], found["_primary_term"])

    def _owner(self, tenant: str, doc_id: str) -> str:
        """The tenant that owns complaint id `doc_id`: the first to write it (claimed now if
        nobody has)."""
        owner = self._claims.get(doc_id)
        if owner is not None:
            return owner
        try:
            self.client.index(
                index=self.owners, id=doc_id, body={"tenant_id": tenant}, op_type="create"
            )
            owner = tenant
        except ConflictError:
            owner = self.client.get(index=self.owners, id=doc_id)["_source"]["tenant_id"]
        self._remember(doc_id, owner)
        return owner

    def _remember(self, doc_id: str, owner: str) -> None:
        if len(self._claims) >= _CLAIMS_KEPT:
            self._claims.clear()
        self._claims[doc_id] = owner

    def _owners(self, claims: list[tuple[str, str]]) -> dict[str, str]:
        """`_owner` for many (tenant, id) pairs: one bulk of creates for the ids not known
        yet (the first tenant in the list claims), then one mget for those already taken."""
        wanted: dict[str, str] = {}
        for tenant, doc_id in claims:
            if doc_id not in self._claims:
                wanted.setdefault(doc_id, tenant)
        if wanted:
            actions = [
                {"_op_type": "create", "_index": self.owners, "_id": doc_id,
                 "_source": {"tenant_id": tenant}}
                for doc_id, tenant in wanted.items()
            ]  # fmt: skip
            _ok, errors = helpers.bulk(self.client, actions, raise_on_error=False)
            taken = []
            for error in errors:
                item = next(iter(error.values()))
                if item.get("status") != 409:
                    raise RuntimeError(f"claiming complaint ids failed: {errors[:3]}")
                taken.append(item["_id"])
            if taken:
                docs = self.client.mget(index=self.owners, body={"ids": taken})["docs"]
                for answer in docs:
                    wanted[answer["_id"]] = answer["_source"]["tenant_id"]
            for doc_id, owner in wanted.items():
                self._remember(doc_id, owner)
        return {doc_id: self._claims.get(doc_id) or self._owner(t, doc_id) for t, doc_id in claims}

    def _write(
        self, tenant: str, doc_id: str, body: Mapping[str, Any], seq: tuple[int, int]
    ) -> None:
        """Index `body` only if the document is still at `seq` (ConflictError otherwise)."""
        params: dict[str, Any] = {}
        if seq[0] < 0:
            params["op_type"] = "create"
        else:
            params["if_seq_no"], params["if_primary_term"] = seq
        if self.refresh:
            params["refresh"] = self.refresh
        self.client.index(
            index=self.index,
            id=dsl.document_id(tenant, doc_id),
            body=dict(body),
            routing=tenant,
            **params,
        )

    def _patiently(self, write: Callable[[], T]) -> T:
        """Run `write`, waiting out an outage (a restart, a full queue) for up to
        `outage_wait_s`: the consumer that called us retries a failed event only a few times,
        quickly, and then parks it in the dead letters, so a cluster restart would otherwise
        drop events from the index until the next rebuild. Writes are idempotent (per-field
        versions), so running one again after a lost answer is harmless."""
        deadline = time.monotonic() + self.outage_wait_s
        pause = 0.2
        while True:
            try:
                return write()
            except Exception as exc:
                if not transient(exc) or time.monotonic() + pause > deadline:
                    raise
                log.warning("OpenSearch unavailable (%s); writing again in %.1f s", exc, pause)
                time.sleep(pause)
                pause = min(pause * 2, 5.0)

    def apply(self, tenant: str, doc_id: str, version: int, fields: Mapping[str, Any]) -> bool:
        unknown = set(fields) - set(DOCUMENT_FIELDS)
        if unknown:
            raise ValueError(f"not document fields: {sorted(unknown)}")
        return self._patiently(lambda: self._apply(tenant, doc_id, version, fields))

    def _apply(self, tenant: str, doc_id: str, version: int, fields: Mapping[str, Any]) -> bool:
        self.ensure_tenant(tenant)
        for attempt in range(_RETRIES):
            stored, seq = self._stored(tenant, doc_id)
            if stored is None and self._owner(tenant, doc_id) != tenant:
                return False  # another tenant's document with this id is never touched
            merged = merge(stored, version, fields)
            if merged is None:
                return False  # every field already holds newer (or the same) data
            try:
                self._write(
                    tenant,
                    doc_id,
                    dsl.source(
                        tenant, doc_id, *merged, record_key=record_key(self.cell_keys, doc_id)
                    ),
                    seq,
                )
                return True
            except ConflictError:
                # Another write to this document landed between our read and our write:
                # read it again and merge onto it (short random pause to break a tie).
                time.sleep(random.uniform(0, min(0.01 * (attempt + 1), 0.2)))  # noqa: S311
        raise RuntimeError(f"could not apply version {version} to {doc_id} after {_RETRIES} tries")

    def soft_delete(self, tenant: str, doc_id: str, version: int) -> bool:
        return self.apply(tenant, doc_id, version, {"withdrawn": True})

    def delete_tenant(self, tenant: str) -> int:
        """Every document of `tenant` gone (routed to its shard), its complaint-id claims and
        its filtered alias with them."""

        # Found with a scroll and deleted in bulk: the node has no _delete_by_query (the
        # reindex module is not installed; rebuilds replay the log instead).
        def delete(index: str, routing: str | None) -> int:
            hits = helpers.scan(
                self.client, index=index, routing=routing, _source=False,
                query={"query": {"term": {"tenant_id": tenant}}},
            )  # fmt: skip
            actions = [
                {"_op_type": "delete", "_index": index, "_id": hit["_id"], "_routing": routing}
                if routing else {"_op_type": "delete", "_index": index, "_id": hit["_id"]}
                for hit in hits
            ]  # fmt: skip
            if not actions:
                return 0
            deleted, _ = helpers.bulk(self.client, actions, refresh=True, raise_on_error=False)
            return int(deleted)

        def run() -> int:
            deleted = delete(self.index, tenant)
            delete(self.owners, None)
            alias = dsl.tenant_alias(tenant)
            if self.client.indices.exists_alias(name=alias, index=self.index):
                self.client.indices.delete_alias(index=self.index, name=alias)
            return deleted

        deleted = self._patiently(run)
        self._tenants.discard(tenant)
        self._claims = {k: v for k, v in self._claims.items() if v != tenant}
        return deleted

    def apply_many(self, docs: list[tuple[str, str, int, dict[str, Any]]]) -> None:
        """Bulk load (rebuilds, benchmarks): the events of each document are merged in memory,
        the stored documents read with one real-time mget, and everything written with one
        bulk request under the same seq_no conditions as `apply`. A document whose write meets
        a 409 (a concurrent writer) has its events applied one by one instead: none is lost."""
        for _tenant, _doc, _version, fields in docs:
            unknown = set(fields) - set(DOCUMENT_FIELDS)
            if unknown:
                raise ValueError(f"not document fields: {sorted(unknown)}")
        self._patiently(lambda: self._apply_many(docs))

    def _apply_many(self, docs: list[tuple[str, str, int, dict[str, Any]]]) -> None:
        events: dict[tuple[str, str], list[tuple[int, dict[str, Any]]]] = {}
        for tenant, doc_id, version, fields in docs:
            self.ensure_tenant(tenant)
            events.setdefault((tenant, doc_id), []).append((version, fields))
        if not events:
            return
        keys = list(events)
        found = self.client.mget(
            index=self.index,
            body={"docs": [{"_id": dsl.document_id(t, d), "routing": t} for t, d in keys]},
        )["docs"]
        new = [key for key, answer in zip(keys, found, strict=True) if not answer.get("found")]
        owners = self._owners(new)
        actions = []
        for (tenant, doc_id), answer in zip(keys, found, strict=True):
            stored = answer["_source"] if answer.get("found") else None
            if stored is None and owners[doc_id] != tenant:
                continue
            current, changed = stored, False
            for version, fields in events[(tenant, doc_id)]:
                merged = merge(current, version, fields)
                if merged is not None:
                    current, changed = (
                        dsl.source(
                            tenant, doc_id, *merged, record_key=record_key(self.cell_keys, doc_id)
                        ),
                        True,
                    )
            if not changed or current is None:
                continue
            action = dsl.bulk_action(self.index, tenant, doc_id, current)
            if stored is None:
                action["_op_type"] = "create"
            else:
                action["if_seq_no"] = answer["_seq_no"]
                action["if_primary_term"] = answer["_primary_term"]
            actions.append(action)
        params: dict[str, Any] = {"refresh": self.refresh} if self.refresh else {}
        # max_retries: helpers.bulk resends the items a full queue refused (429) itself.
        _ok, errors = helpers.bulk(
            self.client, actions, raise_on_error=False, max_retries=5, **params
        )
        by_id = {dsl.document_id(t, d): (t, d) for t, d in keys}
        for error in errors:
            item = next(iter(error.values()))
            if item.get("status") != 409:
                raise RuntimeError(f"bulk indexing failed: {errors[:3]}")
            tenant, doc_id = by_id[item["_id"]]
            for version, fields in events[(tenant, doc_id)]:
                self._apply(tenant, doc_id, version, fields)

    # ------------------------------------------------------------------ reading

    def search(self, request: SearchRequest) -> Page:
        after = (
            cursors.decode(self.cursors, request.sort, request.cursor) if request.cursor else None
        )
        body = dsl.search_body(request, after)
        found = self.client.search(index=self.ensure_tenant(request.tenant), body=body)
        total = found["hits"]["total"]["value"]
        aggregations = dict(found.get("aggregations", {}))
        total_keys = aggregations.pop(dsl.TOTAL_KEY_AGG, None)
        facets = {
            name: {b["key"]: b["doc_count"] for b in agg["buckets"]}
            for name, agg in aggregations.items()
        }
        if not request.with_hits:
            if not request.cell_keys:
                return Page(hits=[], total=total, facets=facets, next_cursor=None)
            # A sum aggregation answers a double: exact below 2^53, i.e. for cells of fewer
            # than two million complaints.
            return Page(
                hits=[], total=total, facets=facets, next_cursor=None,
                total_key=int((total_keys or {}).get("value") or 0),
                facet_keys={
                    name: {
                        b["key"]: int(b[dsl.KEY_AGG]["value"] or 0)
                        for b in agg["buckets"]
                    }
                    for name, agg in aggregations.items()
                },
            )  # fmt: skip
        raw = found["hits"]["hits"]
        more = len(raw) > request.limit
        raw = raw[: request.limit]
        hits = [self._hit(h, request) for h in raw]
        next_cursor = (
            cursors.encode(self.cursors, request.sort, list(raw[-1]["sort"])) if more else None
        )
        return Page(hits=hits, total=total, facets=facets, next_cursor=next_cursor)

    @staticmethod
    def _hit(h: Mapping[str, Any], request: SearchRequest) -> Hit:
        fields = {f: h["_source"].get(f) for f in DOCUMENT_FIELDS}
        text = snippet(fields["crux"] or "", request.query) if request.highlight else None
        return Hit(id=h["_source"]["id"], fields=fields, snippet=text, score=h.get("_score") or 0.0)

    def get(self, tenant: str, doc_id: str) -> dict[str, Any] | None:
        stored, _seq = self._stored(tenant, doc_id)
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
        self.client.indices.refresh(index=self.index)  # a scan is a search: see every write
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
        return OpenSearchEngine(
            "",
            index=index,
            client=self.client,
            aliases=False,
            refresh=self.refresh,
            replicas=self.replicas,
            owners=self.owners,
            cursors=self.cursors,
            cell_keys=self.cell_keys,
            outage_wait_s=self.outage_wait_s,  # owners are for ever: a rebuild finds the same first writers
        )

    def swap_in(self, rebuilt: OpenSearchEngine) -> None:
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
        # Short: it backs /readyz, which must answer well before a probe's timeout.
        if not self.client.ping(request_timeout=2):
            raise ConnectionError("OpenSearch does not answer")

    def close(self) -> None:
        self.client.close()
