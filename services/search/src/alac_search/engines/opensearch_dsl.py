"""Pure functions that build every request body the OpenSearch engine sends, so they can be
tested without a server (services/search/tests/test_opensearch_dsl.py).

Documents live in one shared index, routed by tenant (`_routing` = tenant id, required by the
mapping) and reached through a filtered alias per tenant. Every search goes through the tenant's
alias AND carries a `tenant_id` term filter itself, so a mistaken alias can never widen it.
Document ids are `<tenant>:<complaint id>`: two tenants can never write the same document.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from importlib import resources
from typing import Any

from alac_search.analysis.text import latin_form, words
from alac_search.engines.base import FACET_FIELDS, FILTER_FIELDS, SearchRequest
from alac_search.query.parser import And, Node, Not, Or, Phrase, Term

INDEX_PREFIX = "alac-complaints"
LIVE_ALIAS = "alac-complaints"
# Which tenant first wrote each complaint id (outside the template's pattern on purpose: it
# holds no text and is never rebuilt).
OWNERS_INDEX = "alac-complaint-owners"
FACET_SIZE = 100
_TEXT_FIELDS = ["crux", "crux.russian", "crux.english", "crux.kazakh"]


def index_template(replicas: int | None = None) -> dict[str, Any]:
    """The index template; deploy/opensearch/index-template.json is the same file (a test
    checks they are equal). `replicas` (ALAC_OPENSEARCH_REPLICAS) replaces the file's
    auto_expand_replicas 0-1 with a fixed count."""
    text = resources.files("alac_search.engines").joinpath("index-template.json").read_text()
    template = json.loads(text)
    if replicas is not None:
        settings = template["template"]["settings"]
        settings.pop("auto_expand_replicas", None)
        settings["number_of_replicas"] = replicas
    return template


def replica_settings(replicas: int | None) -> dict[str, Any]:
    if replicas is None:
        return {"auto_expand_replicas": "0-1"}
    return {"number_of_replicas": replicas}


def owners_index(replicas: int | None = None) -> dict[str, Any]:
    """PUT /alac-complaint-owners body: one keyword per complaint id, read by id only."""
    return {
        "settings": {"number_of_shards": 1, **replica_settings(replicas)},
        "mappings": {"dynamic": "strict", "properties": {"tenant_id": {"type": "keyword"}}},
    }


def document_id(tenant: str, doc_id: str) -> str:
    return f"{tenant}:{doc_id}"


def tenant_alias(tenant: str) -> str:
    return f"{LIVE_ALIAS}-tenant-{tenant.encode().hex()}"


def alias_actions(index: str, tenant: str) -> dict[str, Any]:
    """POST /_aliases body adding the tenant's filtered, routed alias to `index`."""
    return {
        "actions": [
            {
                "add": {
                    "index": index,
                    "alias": tenant_alias(tenant),
                    "filter": {"term": {"tenant_id": tenant}},
                    "routing": tenant,
                }
            }
        ]
    }


def tenants_of(aliases: Iterable[str]) -> set[str]:
    """The tenants whose aliases are among `aliases` (alias names from GET /<index>/_alias)."""
    prefix = tenant_alias("")
    return {bytes.fromhex(a[len(prefix) :]).decode() for a in aliases if a.startswith(prefix)}


def swap_actions(
    old: str, new: str, tenants_on_old: Iterable[str], tenants: Iterable[str]
) -> dict[str, Any]:
    """One POST /_aliases body moving the live alias and the tenant aliases from `old` to
    `new`: OpenSearch applies it atomically, so search never answers from an empty index."""
    actions: list[dict[str, Any]] = [
        {"remove": {"index": old, "alias": LIVE_ALIAS}},
        {"add": {"index": new, "alias": LIVE_ALIAS}},
    ]
    for tenant in sorted(tenants_on_old):
        actions.append({"remove": {"index": old, "alias": tenant_alias(tenant)}})
    for tenant in sorted(set(tenants)):
        actions.extend(alias_actions(new, tenant)["actions"])
    return {"actions": actions}


def source(
    tenant: str,
    doc_id: str,
    fields: Mapping[str, Any],
    versions: Mapping[str, int],
    *,
    record_key: int | None = None,
) -> dict[str, Any]:
    """The stored document: its fields, the tenant, the Latin form of the text, versions,
    and its record key (alac_kernel.small_cells)."""
    crux = fields.get("crux") or ""
    return {
        **fields,
        "id": doc_id,
        "tenant_id": tenant,
        "withdrawn": bool(fields.get("withdrawn", False)),
        "crux_latin": " ".join(latin_form(w) for w in words(crux)),
        "versions": dict(versions),
        **({} if record_key is None else {"record_key": record_key}),
    }


def bulk_action(index: str, tenant: str, doc_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """One helpers.bulk action: index the merged document, routed by tenant. The caller adds
    the concurrency condition: `_op_type: create` for a new document, `if_seq_no` and
    `if_primary_term` of the version it read otherwise (never external versions: one number
    cannot order two aggregates' independent version sequences)."""
    return {
        "_op_type": "index",
        "_index": index,
        "_id": document_id(tenant, doc_id),
        "_routing": tenant,
        "_source": dict(body),
    }


def text_query(node: Node) -> dict[str, Any]:
    """The query tree as query DSL over the language subfields and the Latin form."""
    if isinstance(node, Term):
        latin = latin_form(node.word)
        if node.prefix:
            return {
                "bool": {
                    "should": [
                        {"prefix": {"crux": {"value": node.word}}},
                        {"prefix": {"crux_latin": {"value": latin}}},
                    ],
                    "minimum_should_match": 1,
                }
            }
        return {
            "bool": {
                "should": [
                    {"multi_match": {"query": node.word, "fields": _TEXT_FIELDS}},
                    {"match": {"crux_latin": {"query": latin}}},
                ],
                "minimum_should_match": 1,
            }
        }
    if isinstance(node, Phrase):
        text = " ".join(node.words)
        latin = " ".join(latin_form(w) for w in node.words)
        return {
            "bool": {
                "should": [
                    {"match_phrase": {"crux": {"query": text}}},
                    {"match_phrase": {"crux_latin": {"query": latin}}},
                ],
                "minimum_should_match": 1,
            }
        }
    if isinstance(node, Or):
        return {
            "bool": {"should": [text_query(c) for c in node.children], "minimum_should_match": 1}
        }
    if isinstance(node, And):
        body: dict[str, Any] = {
            "must": [text_query(c) for c in node.children if not isinstance(c, Not)]
        }
        negatives = [text_query(c.child) for c in node.children if isinstance(c, Not)]
        if negatives:
            body["must_not"] = negatives
        return {"bool": body}
    raise TypeError(f"a NOT cannot stand alone: {node!r}")  # the parser refuses these


def tenant_filters(tenant: str) -> list[dict[str, Any]]:
    return [{"term": {"tenant_id": tenant}}, {"term": {"withdrawn": False}}]


def search_body(request: SearchRequest, after: list[Any] | None = None) -> dict[str, Any]:
    """POST /<tenant alias>/_search body for a request (`after`: the decoded cursor)."""
    filters = tenant_filters(request.tenant)
    for name, value in request.filters.items():
        if name not in FILTER_FIELDS:
            raise ValueError(f"not a filter: {name}")
        filters.append({"term": {name: value}})
    if request.received_from or request.received_to:
        bounds: dict[str, str] = {}
        if request.received_from:
            bounds["gte"] = request.received_from
        if request.received_to:
            bounds["lt"] = request.received_to
        filters.append({"range": {"received_at": bounds}})
    query: dict[str, Any] = {"bool": {"must": [text_query(request.query)], "filter": filters}}
    if request.exclude_id:
        query["bool"]["must_not"] = [{"term": {"id": request.exclude_id}}]
    body: dict[str, Any] = {"query": query, "track_total_hits": True}
    if request.with_hits:
        body["size"] = request.limit + 1
        body["sort"] = (
            [{"received_at": {"order": "desc", "missing": "_last"}}, {"id": "desc"}]
            if request.sort == "date"
            else [{"_score": "desc"}, {"id": "asc"}]
        )
        if after is not None:
            body["search_after"] = after
        # No "highlight" section: snippets are cut from the stored text by the shared analysis
        # (analysis/highlight.py), so both engines mark the same words. OpenSearch's highlighter
        # marks per field and would miss "взятки" matched through crux.russian.
    else:
        body["size"] = 0
    aggs: dict[str, Any] = {}
    for name in request.facets:
        if name not in FACET_FIELDS:
            raise ValueError(f"not a facet: {name}")
        aggs[name] = {"terms": {"field": name, "size": FACET_SIZE}}
        if request.cell_keys:
            aggs[name]["aggs"] = {KEY_AGG: _RECORD_KEY_SUM}
    if request.cell_keys:
        aggs[TOTAL_KEY_AGG] = _RECORD_KEY_SUM
    if aggs:
        body["aggs"] = aggs
    return body


# Sums of the stored record keys for counts-only answers (alac_kernel.small_cells). A sum
# aggregation answers a double: exact below 2^53, i.e. for cells of fewer than two million
# complaints (record keys are below 2^32).
KEY_AGG = "record_keys"
TOTAL_KEY_AGG = "_total_record_keys"
_RECORD_KEY_SUM = {"sum": {"field": "record_key"}}
# Added to live indices made before the field existed (put_mapping is additive).
ADDED_FIELDS = {"properties": {"record_key": {"type": "long"}}}


def similar_body(
    tenant: str,
    index: str,
    doc_id: str,
    respondent_body_type: str | None,
    *,
    limit: int,
    filters: Mapping[str, str] = {},
) -> dict[str, Any]:
    """more_like_this on the text, same respondent body type, not the document itself."""
    must_filters = tenant_filters(tenant)
    if respondent_body_type is None:
        must_filters.append({"bool": {"must_not": [{"exists": {"field": "respondent_body_type"}}]}})
    else:
        must_filters.append({"term": {"respondent_body_type": respondent_body_type}})
    for name, value in filters.items():
        if name not in FILTER_FIELDS:
            raise ValueError(f"not a filter: {name}")
        must_filters.append({"term": {name: value}})
    return {
        "size": limit,
        "query": {
            "bool": {
                "must": [
                    {
                        "more_like_this": {
                            "fields": ["crux", "crux.russian", "crux.english", "crux_latin"],
                            "like": [
                                {
                                    "_index": index,
                                    "_id": document_id(tenant, doc_id),
                                    "routing": tenant,
                                }
                            ],
                            "min_term_freq": 1,
                            "min_doc_freq": 1,
                            "max_query_terms": 12,
                        }
                    }
                ],
                "filter": must_filters,
                "must_not": [{"term": {"id": doc_id}}],
            }
        },
        "sort": [{"_score": "desc"}, {"id": "asc"}],
    }
