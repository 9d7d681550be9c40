"""The OpenSearch engine's request bodies and connection settings, checked without a server
(the behaviour suite, test_engine_behaviour.py, runs them against a real node). Each body is
compared with the shape the OpenSearch documentation specifies: index template
(index-templates), filtered aliases with routing (POST /_aliases), bulk index actions routed by
tenant (opensearch-py helpers.bulk), bool queries, terms aggregations, search_after,
more_like_this."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from alac_search.engines import opensearch_dsl as dsl
from alac_search.engines.base import DOCUMENT_FIELDS, SearchRequest
from alac_search.engines.factory import open_engine
from alac_search.engines.opensearch import merge
from alac_search.query.parser import parse

REPO = Path(__file__).resolve().parents[3]
DEPLOYED = REPO / "deploy" / "opensearch" / "index-template.json"


# ------------------------------------------------------------------ template


def test_the_deployed_template_is_the_one_the_engine_loads():
    assert json.loads(DEPLOYED.read_text(encoding="utf-8")) == dsl.index_template()


def test_the_template_has_language_subfields_routing_and_icu_analysis():
    template = dsl.index_template()
    assert template["index_patterns"] == [f"{dsl.INDEX_PREFIX}-*"]
    settings, mappings = template["template"]["settings"], template["template"]["mappings"]
    assert mappings["_routing"] == {"required": True}
    assert mappings["dynamic"] == "strict"
    crux = mappings["properties"]["crux"]
    assert crux["type"] == "text"
    assert crux["fields"]["russian"]["analyzer"] == "russian"
    assert crux["fields"]["english"]["analyzer"] == "english"
    kazakh = settings["analysis"]["analyzer"][crux["fields"]["kazakh"]["analyzer"]]
    assert kazakh == {"type": "custom", "tokenizer": "icu_tokenizer", "filter": ["icu_folding"]}
    props = mappings["properties"]
    for name in ("tenant_id", "id", "office", "status", "area", "channel", "authority_level",
                 "assignee"):  # fmt: skip
        assert props[name] == {"type": "keyword"}, name
    assert props["received_at"] == {"type": "date"}
    assert props["withdrawn"] == {"type": "boolean"}
    # Exactly the document fields plus bookkeeping: no personal data can be mapped.
    assert set(props) == set(DOCUMENT_FIELDS) | {
        "id", "tenant_id", "versions", "crux_latin", "record_key"
    }  # fmt: skip
    assert props["record_key"] == {"type": "long"}  # summed for counts-only answers


# ------------------------------------------------------------------ aliases and writes


def test_the_tenant_alias_is_filtered_and_routed_by_tenant():
    body = dsl.alias_actions("alac-complaints-abc", "tk")
    assert body == {
        "actions": [
            {
                "add": {
                    "index": "alac-complaints-abc",
                    "alias": dsl.tenant_alias("tk"),
                    "filter": {"term": {"tenant_id": "tk"}},
                    "routing": "tk",
                }
            }
        ]
    }
    assert dsl.tenant_alias("tk") != dsl.tenant_alias("ndi")
    assert dsl.tenants_of([dsl.tenant_alias("tk"), dsl.LIVE_ALIAS, dsl.tenant_alias("ndi")]) == {
        "tk",
        "ndi",
    }


def test_the_swap_moves_every_alias_in_one_request():
    body = dsl.swap_actions("old", "new", {"tk"}, {"tk", "ndi"})
    actions = body["actions"]
    assert {"remove": {"index": "old", "alias": dsl.LIVE_ALIAS}} in actions
    assert {"add": {"index": "new", "alias": dsl.LIVE_ALIAS}} in actions
    assert {"remove": {"index": "old", "alias": dsl.tenant_alias("tk")}} in actions
    added = {a["add"]["alias"] for a in actions if "add" in a and a["add"]["index"] == "new"}
    assert added == {dsl.LIVE_ALIAS, dsl.tenant_alias("tk"), dsl.tenant_alias("ndi")}


def test_a_bulk_action_is_an_index_routed_by_tenant_without_external_versions():
    merged = merge(None, 3, {"crux": "Әкімдік қызметкері", "office": "almaty"})
    assert merged is not None
    body = dsl.source("tk", "c1", *merged)
    action = dsl.bulk_action("alac-complaints-abc", "tk", "c1", body)
    # The concurrency condition (create, or if_seq_no + if_primary_term) is the engine's.
    assert {k: v for k, v in action.items() if k != "_source"} == {
        "_op_type": "index",
        "_index": "alac-complaints-abc",
        "_id": "tk:c1",
        "_routing": "tk",
    }
    source = action["_source"]
    assert source["tenant_id"] == "tk" and source["id"] == "c1"
    assert source["status"] == "received" and source["withdrawn"] is False
    assert source["crux_latin"] == "akimdik qyzmetkeri"
    assert source["versions"] == {"crux": 3, "office": 3}


def test_merging_keeps_per_field_versions_of_both_aggregates():
    first = merge(None, 2, {"crux": "взятка", "office": "almaty"})
    stored = dsl.source("tk", "c1", *first)
    assert merge(stored, 1, {"crux": "старый текст"}) is None  # newer data is already there
    assert merge(stored, 2, {"crux": "тот же"}) is None  # a repeated event
    case = merge(stored, 3, {"case_id": "k1", "status": "in_action"})
    after_case = dsl.source("tk", "c1", *case)
    # A late case delta (v2 after v3) still fills the field no newer event set: the write the
    # old composite external version refused with 409 on every retry.
    late = merge(after_case, 2, {"case_id": "k1", "assignee": "lena", "status": "triage"})
    assert late is not None
    fields, versions = late
    assert (fields["status"], fields["assignee"], fields["crux"]) == ("in_action", "lena", "взятка")
    assert versions == {"crux": 2, "office": 2, "case_id": 3, "status": 3, "assignee": 2}
    withdrawn = merge(after_case, 4, {"withdrawn": True})
    assert withdrawn[0]["withdrawn"] is True


def test_the_owners_index_and_replica_settings():
    owners = dsl.owners_index()
    assert owners["mappings"] == {"dynamic": "strict",
                                  "properties": {"tenant_id": {"type": "keyword"}}}  # fmt: skip
    assert owners["settings"] == {"number_of_shards": 1, "auto_expand_replicas": "0-1"}
    assert dsl.owners_index(2)["settings"] == {"number_of_shards": 1, "number_of_replicas": 2}
    settings = dsl.index_template()["template"]["settings"]
    assert settings["auto_expand_replicas"] == "0-1" and "number_of_replicas" not in settings
    assert settings["refresh_interval"] == "1s"
    assert dsl.index_template(0)["template"]["settings"]["number_of_replicas"] == 0


# ------------------------------------------------------------------ connection settings


def test_connection_settings_from_the_environment(tmp_path):
    from alac_search.engines.opensearch import Connection, replicas_from_env

    plain = Connection.from_env({"ALAC_OPENSEARCH_URL": "http://127.0.0.1:9200"})
    assert (plain.user, plain.password, plain.verify, plain.ca_bundle) == (None, None, True, None)
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    secret = tmp_path / "password"
    secret.write_text("s3cret\n")
    secured = Connection.from_env({
        "ALAC_OPENSEARCH_URL": "https://search.internal:9200",
        "ALAC_OPENSEARCH_USER": "alac_search",
        "ALAC_OPENSEARCH_PASSWORD_FILE": str(secret),
        "ALAC_OPENSEARCH_CA_BUNDLE": str(ca),
    })  # fmt: skip
    assert (secured.user, secured.password, secured.ca_bundle) == ("alac_search", "s3cret",
                                                                   str(ca))  # fmt: skip
    insecure = {"ALAC_OPENSEARCH_URL": "https://h:9200", "ALAC_OPENSEARCH_VERIFY": "false"}
    assert Connection.from_env(insecure).verify is False
    refused = {
        "basic authentication over plain http": {
            "ALAC_OPENSEARCH_URL": "http://search.internal:9200",
            "ALAC_OPENSEARCH_USER": "u", "ALAC_OPENSEARCH_PASSWORD": "p",
        },
        "go together": {"ALAC_OPENSEARCH_URL": "https://h:9200", "ALAC_OPENSEARCH_USER": "u"},
        "not in the URL": {"ALAC_OPENSEARCH_URL": "https://u:p@h:9200"},
        "needs an https": {"ALAC_OPENSEARCH_URL": "http://h:9200",
                           "ALAC_OPENSEARCH_CA_BUNDLE": str(ca)},
        "no such file": {"ALAC_OPENSEARCH_URL": "https://h:9200",
                         "ALAC_OPENSEARCH_CA_BUNDLE": str(tmp_path / "missing.pem")},
        "true or false": {"ALAC_OPENSEARCH_URL": "https://h:9200",
                          "ALAC_OPENSEARCH_VERIFY": "maybe"},
        "http\\(s\\)://host": {"ALAC_OPENSEARCH_URL": "search:9200"},
    }  # fmt: skip
    for message, env in refused.items():
        with pytest.raises(ValueError, match=message):
            Connection.from_env(env)
    assert replicas_from_env({}) is None
    assert replicas_from_env({"ALAC_OPENSEARCH_REPLICAS": "1"}) == 1
    with pytest.raises(ValueError, match="a number"):
        replicas_from_env({"ALAC_OPENSEARCH_REPLICAS": "one"})


# ------------------------------------------------------------------ queries


def test_a_two_word_query_with_filters_is_a_bool_query_with_the_tenant_term():
    request = SearchRequest(
        tenant="tk",
        query=parse("взятка school"),
        filters={"office": "almaty", "status": "triage"},
        received_from="2025-01-01T00:00:00+00:00",
        received_to="2025-02-01T00:00:00+00:00",
        facets=("area", "office"),
        limit=20,
    )
    body = dsl.search_body(request)
    word = {
        "bool": {
            "should": [
                {
                    "multi_match": {
                        "query": "взятка",
                        "fields": ["crux", "crux.russian", "crux.english", "crux.kazakh"],
                    }
                },  # fmt: skip
                {"match": {"crux_latin": {"query": "vziatka"}}},
            ],
            "minimum_should_match": 1,
        }
    }
    assert body["query"]["bool"]["must"][0]["bool"]["must"][0] == word
    assert body["query"]["bool"]["filter"] == [
        {"term": {"tenant_id": "tk"}},
        {"term": {"withdrawn": False}},
        {"term": {"office": "almaty"}},
        {"term": {"status": "triage"}},
        {
            "range": {
                "received_at": {
                    "gte": "2025-01-01T00:00:00+00:00",
                    "lt": "2025-02-01T00:00:00+00:00",
                }
            }
        },  # fmt: skip
    ]
    assert body["aggs"] == {
        "area": {"terms": {"field": "area", "size": dsl.FACET_SIZE}},
        "office": {"terms": {"field": "office", "size": dsl.FACET_SIZE}},
    }
    assert body["size"] == 21 and body["track_total_hits"] is True
    assert body["sort"] == [{"_score": "desc"}, {"id": "asc"}]
    assert "highlight" not in body  # snippets come from the shared analysis, as in embedded
    assert "search_after" not in body


def test_phrases_prefixes_and_negation_compile_to_their_dsl():
    phrase = dsl.text_query(parse('"директор школы"'))
    assert phrase["bool"]["should"][0] == {"match_phrase": {"crux": {"query": "директор школы"}}}
    assert phrase["bool"]["should"][1] == {
        "match_phrase": {"crux_latin": {"query": "direktor skoly"}}
    }
    prefix = dsl.text_query(parse("Взят*"))
    assert prefix["bool"]["should"][0] == {"prefix": {"crux": {"value": "взят"}}}
    negated = dsl.text_query(parse("директор -школы"))
    assert len(negated["bool"]["must"]) == 1 and len(negated["bool"]["must_not"]) == 1
    either = dsl.text_query(parse("a1 OR b2"))
    assert either["bool"]["minimum_should_match"] == 1 and len(either["bool"]["should"]) == 2


def test_date_order_cursor_and_analyst_counts():
    request = SearchRequest(tenant="tk", query=parse("взятка"), sort="date", limit=5)
    body = dsl.search_body(request, after=["2025-01-01T00:00:00+00:00", "c9"])
    assert body["sort"] == [{"received_at": {"order": "desc", "missing": "_last"}},
                            {"id": "desc"}]  # fmt: skip
    assert body["search_after"] == ["2025-01-01T00:00:00+00:00", "c9"]
    counts = dsl.search_body(
        SearchRequest(tenant="tk", query=parse("взятка"), with_hits=False, facets=("status",))
    )
    assert counts["size"] == 0 and "sort" not in counts and "highlight" not in counts


def test_unknown_filters_and_facets_are_refused():
    with pytest.raises(ValueError):
        dsl.search_body(SearchRequest(tenant="tk", query=parse("a1"), filters={"phone": "1"}))
    with pytest.raises(ValueError):
        dsl.search_body(SearchRequest(tenant="tk", query=parse("a1"), facets=("crux",)))


def test_similar_is_more_like_this_in_the_tenant_and_the_same_respondent_body():
    body = dsl.similar_body("tk", "alac-complaints-abc", "c1", "school", limit=5)
    mlt = body["query"]["bool"]["must"][0]["more_like_this"]
    assert mlt["like"] == [{"_index": "alac-complaints-abc", "_id": "tk:c1", "routing": "tk"}]
    assert body["query"]["bool"]["filter"][:3] == [
        {"term": {"tenant_id": "tk"}},
        {"term": {"withdrawn": False}},
        {"term": {"respondent_body_type": "school"}},
    ]
    assert body["query"]["bool"]["must_not"] == [{"term": {"id": "c1"}}]
    assert body["size"] == 5


def test_the_factory_needs_a_url_for_opensearch_and_refuses_unknown_engines(monkeypatch):
    from alac_kernel.settings import Settings

    monkeypatch.setenv("ALAC_SEARCH_ENGINE", "opensearch")
    monkeypatch.delenv("ALAC_OPENSEARCH_URL", raising=False)
    with pytest.raises(ValueError, match="ALAC_OPENSEARCH_URL"):
        open_engine(Settings())
    monkeypatch.setenv("ALAC_SEARCH_ENGINE", "elastic")
    with pytest.raises(ValueError, match="embedded or opensearch"):
        open_engine(Settings())


def test_only_outages_are_waited_out():
    from opensearchpy.exceptions import (
        AuthenticationException,
        ConnectionTimeout,
        NotFoundError,
        SSLError,
        TransportError,
    )
    from opensearchpy.exceptions import ConnectionError as OpenSearchConnectionError

    from alac_search.engines.opensearch import outage_wait_from_env, transient

    assert transient(OpenSearchConnectionError("N/A", "refused", None))
    assert transient(ConnectionTimeout("TIMEOUT", "timed out", None))
    assert transient(TransportError(503, "unavailable", {}))
    assert transient(TransportError(429, "es_rejected_execution_exception", {}))
    assert not transient(SSLError("N/A", "certificate verify failed", None))
    assert not transient(AuthenticationException(401, "unauthorized", {}))
    assert not transient(NotFoundError(404, "index_not_found_exception", {}))
    assert not transient(ValueError("not document fields"))
    assert outage_wait_from_env({}) == 120.0
    assert outage_wait_from_env({"ALAC_OPENSEARCH_OUTAGE_WAIT_S": "5"}) == 5.0
    with pytest.raises(ValueError, match="seconds"):
        outage_wait_from_env({"ALAC_OPENSEARCH_OUTAGE_WAIT_S": "soon"})
