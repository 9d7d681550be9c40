"""The behaviour every search engine must show, run against the embedded SQLite FTS5 engine and
against a real OpenSearch node (marker `opensearch`: the session's node from `alac engines`,
see conftest.py, or the server ALAC_TEST_OPENSEARCH_URL names). No imitation of OpenSearch
stands in anywhere."""

from __future__ import annotations

import select
import socket
import socketserver
import threading
import time
import uuid
from urllib.parse import urlsplit

import pytest

from alac_search.engines.base import DOCUMENT_FIELDS, CursorError, SearchRequest
from alac_search.engines.embedded import EmbeddedEngine
from alac_search.query.parser import parse

ENGINES = ["embedded", pytest.param("opensearch", marks=pytest.mark.opensearch)]


def opensearch_engine(url: str, **options):  # type: ignore[no-untyped-def]
    """An engine on an index and an owners index of its own (deleted by `drop`)."""
    from opensearchpy import OpenSearch

    from alac_search.engines import opensearch_dsl as dsl
    from alac_search.engines.opensearch import OpenSearchEngine

    client = OpenSearch(url, timeout=30)
    client.indices.put_index_template(name=dsl.INDEX_PREFIX, body=dsl.index_template())
    name = uuid.uuid4().hex[:12]
    index = f"{dsl.INDEX_PREFIX}-test-{name}"
    client.indices.create(index=index)
    return OpenSearchEngine(
        url, index=index, client=client, owners=f"{dsl.OWNERS_INDEX}-test-{name}", **options
    )


def drop(engine) -> None:  # type: ignore[no-untyped-def]
    # Their tenant aliases go with the indices; a rebuild's index is named alac-complaints-*.
    engine.client.indices.delete(index=f"{engine.index},{engine.owners}", ignore_unavailable=True)
    engine.close()


@pytest.fixture(params=ENGINES)
def engine(request, tmp_path):
    if request.param == "embedded":
        ix = EmbeddedEngine(tmp_path / "index.db")
        yield ix
        ix.close()
        return
    # Read-your-write through search, which these tests do after every write (a forced refresh
    # is cheap on these tiny indices and quicker than waiting for the next one); the service
    # itself writes with refresh=False (test_a_write_is_searchable_after_the_refresh_interval).
    ix = opensearch_engine(request.getfixturevalue("opensearch_url"), refresh=True)
    yield ix
    drop(ix)


def doc(crux: str, office: str = "almaty", **extra) -> dict:
    return {
        "office": office,
        "channel": "hotline",
        "received_at": "2025-03-01T10:00:00+00:00",
        "crux": crux,
        **extra,
    }


def found(engine, tenant: str, q: str, **kw) -> list[str]:
    return [h.id for h in engine.search(SearchRequest(tenant=tenant, query=parse(q), **kw)).hits]


# ------------------------------------------------------------------ versions


def test_an_older_complaint_version_never_overwrites_a_newer_one(engine):
    assert engine.apply("tk", "c1", 2, doc("вторая редакция жалобы", office="astana"))
    assert not engine.apply("tk", "c1", 1, doc("первая редакция жалобы"))
    assert found(engine, "tk", "вторая") == ["c1"]
    assert found(engine, "tk", "первая") == []
    assert engine.get("tk", "c1")["office"] == "astana"
    assert engine.apply("tk", "c1", 3, doc("третья редакция", area="police"))
    assert found(engine, "tk", "вторая") == []
    assert engine.get("tk", "c1")["area"] == "police"


def test_applying_the_same_version_twice_is_harmless(engine):
    assert engine.apply("tk", "c1", 1, doc("взятка за справку"))
    assert not engine.apply("tk", "c1", 1, doc("другой текст"))
    assert found(engine, "tk", "другой") == []
    assert engine.apply("tk", "c1", 1, {"case_id": "k1", "status": "triage"})
    assert not engine.apply("tk", "c1", 1, {"status": "closed"})
    assert engine.get("tk", "c1")["status"] == "triage"
    assert len(list(engine.export())) == 1


def test_a_late_case_delta_still_fills_fields_no_newer_event_set(engine):
    """case.assigned v2 arriving after case.status_changed v3 keeps both."""
    engine.apply("tk", "c1", 1, doc("взятка в суде"))
    assert engine.apply("tk", "c1", 3, {"case_id": "k1", "status": "in_action"})
    assert engine.apply("tk", "c1", 2, {"case_id": "k1", "assignee": "lena"})
    assert not engine.apply("tk", "c1", 1, {"case_id": "k1", "status": "triage"})
    got = engine.get("tk", "c1")
    assert (got["status"], got["assignee"], got["case_id"]) == ("in_action", "lena", "k1")


def test_the_case_may_arrive_before_its_complaint(engine):
    assert engine.apply("tk", "c1", 1, {"case_id": "k1", "status": "triage"})
    assert found(engine, "tk", "взятка") == []
    assert engine.apply("tk", "c1", 1, doc("взятка в суде"))
    got = engine.get("tk", "c1")
    assert (got["case_id"], got["status"], got["office"]) == ("k1", "triage", "almaty")
    assert found(engine, "tk", "взятка") == ["c1"]


def test_a_soft_deleted_complaint_is_hidden_and_a_late_event_cannot_revive_it(engine):
    engine.apply("tk", "c1", 1, doc("взятка в акимате"))
    assert engine.soft_delete("tk", "c1", 3)
    assert found(engine, "tk", "взятка") == []
    assert engine.get("tk", "c1") is None
    assert not engine.apply("tk", "c1", 2, {"withdrawn": False})
    assert engine.apply("tk", "c1", 2, {"area": "police"})  # other fields still versioned
    assert found(engine, "tk", "взятка") == []


def test_another_tenant_cannot_overwrite_a_document_with_the_same_id(engine):
    engine.apply("tk", "c1", 1, doc("исходный текст"))
    assert not engine.apply("ndi", "c1", 5, doc("подмена текста", office="shymkent"))
    assert not engine.soft_delete("ndi", "c1", 9)
    assert found(engine, "tk", "исходный") == ["c1"]
    assert found(engine, "ndi", "подмена") == [] and found(engine, "ndi", "исходный") == []
    assert engine.get("ndi", "c1") is None


def test_deleting_a_tenant_removes_its_documents_and_words_and_nothing_else(engine):
    engine.ensure_tenant("aktobe")
    engine.apply("aktobe", "a1", 1, doc("взятка в акимате", office="aktobe"))
    engine.apply("aktobe", "a2", 1, doc("взятка в суде", office="aktobe"))
    engine.apply("tk", "t1", 1, doc("взятка в полиции"))
    assert sorted(found(engine, "aktobe", "взятка")) == ["a1", "a2"]
    assert engine.delete_tenant("aktobe") == 2
    assert found(engine, "aktobe", "взятка") == [] and engine.get("aktobe", "a1") is None
    assert [t for t, _, _ in engine.export()] == ["tk"]  # gone for good, not hidden
    assert found(engine, "tk", "взятка") == ["t1"]
    assert engine.delete_tenant("aktobe") == 0  # again after a crash: harmless


# Every event of one complaint and its case: (version, fields); complaint and case versions
# are separate sequences.
HISTORY = [
    (1, doc("взятка в суде")),
    (2, doc("взятка в суде, уточнение", area="courts")),
    (1, {"case_id": "k1", "status": "triage"}),
    (2, {"case_id": "k1", "assignee": "lena"}),
    (3, {"case_id": "k1", "status": "in_action"}),
    (4, {"case_id": "k1", "status": "closed", "outcome": "resolved"}),
    (5, {"case_id": "k1", "outcome": None}),  # reopened
    (6, {"case_id": "k1", "status": "in_action"}),
]


def test_any_order_of_late_and_repeated_events_ends_in_the_same_document(engine):
    """Events come late, early (a case before its complaint) and twice, in any order; the
    document always ends as if they had come in order. Nothing is lost or dead-lettered."""
    import random

    for i, (version, fields) in enumerate(HISTORY):
        engine.apply("tk", "inorder", version, fields)
        if i == 3:
            engine.apply("tk", "inorder", version, fields)  # a repeat changes nothing
    expected = engine.get("tk", "inorder")
    assert (expected["status"], expected["assignee"], expected["outcome"]) == (
        "in_action", "lena", None,
    )  # fmt: skip
    assert expected["area"] == "courts" and expected["crux"] == "взятка в суде, уточнение"
    shuffler = random.Random(20261207)
    for n in range(4):
        events = HISTORY + HISTORY[2:4]  # with repeats
        shuffler.shuffle(events)
        if n == 0:
            events.sort(key=lambda e: -e[0])  # newest first: every later event is late
        for version, fields in events:
            engine.apply("tk", f"shuffled{n}", version, fields)
        assert engine.get("tk", f"shuffled{n}") == expected, events
    assert sorted(found(engine, "tk", "уточнение")) == sorted(
        ["inorder", "shuffled0", "shuffled1", "shuffled2", "shuffled3"]
    )


def test_a_bulk_load_merges_out_of_order_events_with_what_is_stored(engine):
    engine.apply("tk", "c1", 3, {"case_id": "k1", "status": "in_action"})
    engine.apply_many(
        [
            ("tk", "c1", 2, {"case_id": "k1", "assignee": "lena", "status": "triage"}),
            ("tk", "c1", 1, doc("взятка в акимате")),
            ("tk", "c2", 2, doc("вторая редакция")),
            ("tk", "c2", 1, doc("первая редакция")),
            ("ndi", "c1", 9, doc("чужой документ")),  # another tenant's id: refused
            ("tk", "c3", 1, doc("жалоба владельца")),  # a new id twice in one batch:
            ("ndi", "c3", 1, doc("жалоба соседа")),  # the first tenant owns it
        ]
    )
    assert engine.get("tk", "c3")["crux"] == "жалоба владельца" and engine.get("ndi", "c3") is None
    got = engine.get("tk", "c1")
    assert (got["status"], got["assignee"], got["office"]) == ("in_action", "lena", "almaty")
    assert found(engine, "tk", "акимате") == ["c1"]
    assert found(engine, "tk", "редакция") == ["c2"] and found(engine, "tk", "первая") == []
    assert engine.get("ndi", "c1") is None and found(engine, "ndi", "чужой") == []


# ------------------------------------------------------------------ language


def test_russian_and_english_morphology(engine):
    engine.apply("tk", "ru", 1, doc("Инспектор требовал взятки и угрожал взяткой"))
    engine.apply("tk", "en", 1, doc("The officer demanded bribes at the border"))
    for q in ("взятка", "взятку", "ВЗЯТКИ", "взяткой"):
        assert found(engine, "tk", q) == ["ru"], q
    for q in ("bribe", "Bribes", "demand", "officers"):
        assert found(engine, "tk", q) == ["en"], q


def test_kazakh_letters_fold_and_are_word_characters(engine):
    engine.apply("tk", "kz", 1, doc("Әкімдіктің қызметкері ақша сұрады. ІЗДЕУ шаһар"))
    assert found(engine, "tk", "ӘКІМДІКТІҢ") == ["kz"]
    assert found(engine, "tk", "қызметкері сұрады") == ["kz"]
    assert found(engine, "tk", "іздеу") == ["kz"]  # І folds to і
    assert found(engine, "tk", "әкімдікті") == []  # ң belongs to the word
    assert found(engine, "tk", "шаһар") == ["kz"] and found(engine, "tk", "ша") == []


def test_kazakh_is_found_in_cyrillic_and_in_both_latin_spellings(engine):
    engine.apply("tk", "cyr", 1, doc("Әкімдік қызметкері ақша сұрады"))
    engine.apply("tk", "lat", 1, doc("Äkımdık qyzmetkerı aqşa sūrady"))
    for q in ("әкімдік", "Äkımdık", "akimdik", "qyzmetkeri", "ақша", "aqsa"):
        assert sorted(found(engine, "tk", q)) == ["cyr", "lat"], q


def test_phrases_prefixes_and_operators(engine):
    engine.apply("tk", "a", 1, doc("директор школы требует взятку"))
    engine.apply("tk", "b", 1, doc("взятку требует директор больницы"))
    engine.apply("tk", "c", 1, doc("the land office asked for money"))
    assert found(engine, "tk", '"директор школы"') == ["a"]
    assert sorted(found(engine, "tk", "директор")) == ["a", "b"]
    assert found(engine, "tk", "директор -школы") == ["b"]
    assert found(engine, "tk", "директор NOT больницы") == ["a"]
    assert sorted(found(engine, "tk", "школы OR land")) == ["a", "c"]
    assert found(engine, "tk", "больн*") == ["b"]
    assert found(engine, "tk", "(школы OR больницы) AND land") == []
    assert found(engine, "tk", '"office land"') == []


def test_snippets_mark_matches_and_escape_html(engine):
    engine.apply("tk", "a", 1, doc("<b>Судья</b> требует взятки за решение"))
    (hit,) = engine.search(SearchRequest(tenant="tk", query=parse("взятка судья"))).hits
    assert "<mark>взятки</mark>" in hit.snippet and "<mark>Судья</mark>" in hit.snippet
    assert "<b>" not in hit.snippet and "&lt;b&gt;" in hit.snippet


# ------------------------------------------------------------------ filters, facets, pages


def corpus(engine):
    engine.apply("tk", "a", 1, doc("взятка в акимате", area="land", channel="hotline",
                                   received_at="2025-01-10T00:00:00+00:00"))  # fmt: skip
    engine.apply("tk", "b", 1, doc("взятка в школе", office="astana", area="education",
                                   received_at="2025-02-10T00:00:00+00:00"))  # fmt: skip
    engine.apply("tk", "c", 1, doc("взятка в полиции", area="police", channel="web_form",
                                   authority_level="local",
                                   received_at="2025-03-10T00:00:00+00:00"))  # fmt: skip
    engine.apply("tk", "c", 1, {"case_id": "k", "status": "triage", "assignee": "lena"})
    engine.apply("ndi", "d", 1, doc("взятка в больнице", office="shymkent", area="health"))


def test_filters_and_facets_count_within_the_tenant(engine):
    corpus(engine)
    page = engine.search(
        SearchRequest(tenant="tk", query=parse("взятка"), facets=("office", "area", "status"))
    )
    assert page.total == 3
    assert page.facets["office"] == {"almaty": 2, "astana": 1}
    assert page.facets["area"] == {"land": 1, "education": 1, "police": 1}
    assert page.facets["status"] == {"received": 2, "triage": 1}
    assert found(engine, "tk", "взятка", filters={"office": "astana"}) == ["b"]
    assert found(engine, "tk", "взятка", filters={"status": "triage", "assignee": "lena"}) == ["c"]
    assert found(engine, "tk", "взятка", filters={"channel": "web_form",
                                                  "authority_level": "local"}) == ["c"]  # fmt: skip
    assert found(engine, "tk", "взятка", filters={"office": "shymkent"}) == []
    assert sorted(found(engine, "tk", "взятка", received_from="2025-02-01T00:00:00+00:00",
                        received_to="2025-03-10T00:00:00+00:00")) == ["b"]  # fmt: skip
    assert found(engine, "ndi", "взятка") == ["d"]


def test_date_order_and_cursor_pages_cover_every_hit_once(engine):
    corpus(engine)
    assert found(engine, "tk", "взятка", sort="date") == ["c", "b", "a"]
    for sort in ("date", "relevance"):
        seen, cursor = [], None
        while True:
            page = engine.search(
                SearchRequest(tenant="tk", query=parse("взятка"), sort=sort, limit=1, cursor=cursor)
            )
            seen += [h.id for h in page.hits]
            cursor = page.next_cursor
            if cursor is None:
                break
        assert sorted(seen) == ["a", "b", "c"], sort
    first = engine.search(SearchRequest(tenant="tk", query=parse("взятка"), limit=1))
    with pytest.raises(CursorError):
        engine.search(SearchRequest(tenant="tk", query=parse("взятка"), sort="date",
                                    cursor=first.next_cursor))  # fmt: skip
    with pytest.raises(CursorError):
        engine.search(
            SearchRequest(tenant="tk", query=parse("взятка"), cursor="x" + first.next_cursor)
        )


def test_similar_complaints_share_the_respondent_body_and_words(engine):
    school = {"respondent_body_type": "school"}
    engine.apply("tk", "a", 1, doc("Директор школы требует деньги за зачисление ребёнка", **school))
    engine.apply("tk", "b", 1, doc("В школе директор требует деньги за зачисление", **school))
    engine.apply("tk", "c", 1, doc("Соседи шумят по ночам во дворе школы", **school))
    engine.apply("tk", "d", 1, doc("Директор больницы требует деньги за зачисление",
                                   respondent_body_type="hospital"))  # fmt: skip
    engine.apply("ndi", "e", 1, doc("Директор школы требует деньги за зачисление", **school))
    hits = engine.similar("tk", "a")
    assert [h.id for h in hits][0] == "b"
    assert "d" not in {h.id for h in hits} and "e" not in {h.id for h in hits}
    assert "a" not in {h.id for h in hits}
    assert engine.similar("ndi", "a") == []


def test_the_index_holds_no_personal_data_fields(engine):
    columns = set(engine.columns())
    forbidden = {"name", "phone", "email", "address", "document_number", "complainant",
                 "contact", "pseudonym", "first_name", "last_name", "iin"}  # fmt: skip
    assert not columns & forbidden
    assert set(DOCUMENT_FIELDS) <= columns
    with pytest.raises(ValueError):
        engine.apply("tk", "x", 1, {"phone": "+7 701 000 00 00"})


# ------------------------------------------------------------------ OpenSearch only


@pytest.mark.opensearch
def test_concurrent_complaint_and_case_writers_lose_nothing(opensearch_url):
    """The complaint consumer and the case consumer write the same documents at once: every
    conflict (409 on if_seq_no) is read, merged and retried, so both parts always land."""
    engine = opensearch_engine(opensearch_url)
    other = opensearch_engine(opensearch_url)  # a second process on the same indices
    other.index, other.owners = engine.index, engine.owners
    ids = [f"c{i}" for i in range(15)]
    errors: list[BaseException] = []

    def write(target, events) -> None:  # type: ignore[no-untyped-def]
        try:
            for version, fields in events:
                for doc_id in ids:
                    target.apply("tk", doc_id, version, fields)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    complaint_events = [(1, doc("взятка в суде")), (2, doc("взятка, уточнение", area="courts"))]
    case_events = [
        (3, {"case_id": "k", "status": "in_action"}),
        (1, {"case_id": "k", "status": "triage"}),
        (2, {"case_id": "k", "assignee": "lena"}),
    ]
    threads = [
        threading.Thread(target=write, args=(engine, complaint_events)),
        threading.Thread(target=write, args=(other, case_events)),
    ]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        for doc_id in ids:
            got = engine.get("tk", doc_id)
            assert (got["area"], got["status"], got["assignee"]) == ("courts", "in_action",
                                                                      "lena"), doc_id  # fmt: skip
    finally:
        other.close()
        drop(engine)


def _forward_later(port: int, target: str, delay_s: float) -> socketserver.ThreadingTCPServer:
    """After `delay_s`, a plain TCP forwarder on 127.0.0.1:`port` to `target`: the cluster
    "coming back" at the address the engine uses. The caller shuts it down."""
    host, target_port = urlsplit(target).hostname, urlsplit(target).port

    class Pipe(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            upstream = socket.create_connection((host, target_port))
            sockets = [self.request, upstream]
            try:
                while True:
                    readable, _, _ = select.select(sockets, [], [], 30)
                    if not readable:
                        return
                    for sock in readable:
                        data = sock.recv(65536)
                        if not data:
                            return
                        (upstream if sock is self.request else self.request).sendall(data)
            finally:
                upstream.close()

    socketserver.ThreadingTCPServer.allow_reuse_address = True
    server = socketserver.ThreadingTCPServer(("127.0.0.1", port), Pipe, bind_and_activate=False)
    server.daemon_threads = True

    def start() -> None:
        time.sleep(delay_s)
        server.server_bind()
        server.server_activate()
        server.serve_forever(poll_interval=0.1)

    threading.Thread(target=start, daemon=True).start()
    return server


@pytest.mark.opensearch
def test_a_write_waits_out_an_outage_instead_of_failing(opensearch_url):
    """With the cluster unreachable (restarting), a write waits and goes through once it is
    back, instead of failing the consumer's few quick attempts and being dead-lettered; past
    the configured wait it fails."""
    from opensearchpy import OpenSearch
    from opensearchpy.exceptions import ConnectionError as OpenSearchConnectionError

    from alac_cli.engines.base import free_port

    engine = opensearch_engine(opensearch_url, refresh=True)
    live = engine.client
    port = free_port()
    engine.client = OpenSearch(f"http://127.0.0.1:{port}", timeout=10, max_retries=0)
    try:
        engine.outage_wait_s = 0.5
        started = time.monotonic()
        with pytest.raises(OpenSearchConnectionError):
            engine.apply("tk", "c1", 1, doc("взятка во время сбоя"))
        assert time.monotonic() - started < 5
        engine.outage_wait_s = 60
        server = _forward_later(port, opensearch_url, delay_s=2.0)
        try:
            started = time.monotonic()
            assert engine.apply("tk", "c1", 1, doc("взятка во время сбоя"))
            assert time.monotonic() - started >= 1.5  # it waited for the cluster
            assert found(engine, "tk", "сбоя") == ["c1"]
        finally:
            server.shutdown()
            server.server_close()
    finally:
        engine.client.close()
        engine.client = live
        drop(engine)


@pytest.mark.opensearch
def test_a_write_is_searchable_after_the_refresh_interval(opensearch_url):
    """The service's writes do not wait for a refresh: a GET sees them at once (the merge
    relies on that), search within the index's refresh_interval (1 s)."""
    engine = opensearch_engine(opensearch_url)  # refresh=False, as the service runs
    try:
        assert engine.refresh is False
        engine.apply("tk", "c1", 1, doc("взятка за справку"))
        assert engine.get("tk", "c1")["crux"] == "взятка за справку"
        deadline = time.monotonic() + 10
        while found(engine, "tk", "справку") != ["c1"]:
            assert time.monotonic() < deadline, "not searchable 10 s after the write"
            time.sleep(0.2)
        template = engine.client.indices.get_settings(index=engine.index)[engine.index]
        assert template["settings"]["index"]["refresh_interval"] == "1s"
    finally:
        drop(engine)


@pytest.mark.opensearch
def test_a_single_node_cluster_is_green_with_the_template(opensearch_url):
    """auto_expand_replicas 0-1: no replica can be placed on one node, so none is asked for;
    ALAC_OPENSEARCH_REPLICAS=1 (a multi-node cluster) fixes the count instead."""
    from alac_search.engines import opensearch_dsl as dsl

    engine = opensearch_engine(opensearch_url)
    try:
        health = engine.client.cluster.health(index=engine.index, wait_for_status="green")
        assert health["status"] == "green" and not health["timed_out"]
        settings = engine.client.indices.get_settings(index=engine.index)[engine.index]
        assert settings["settings"]["index"]["number_of_replicas"] == "0"
        fixed = dsl.index_template(replicas=1)["template"]["settings"]
        assert fixed["number_of_replicas"] == 1 and "auto_expand_replicas" not in fixed
    finally:
        drop(engine)


@pytest.mark.opensearch
def test_the_kazakh_subfield_is_analysed_by_icu(opensearch_url):
    engine = opensearch_engine(opensearch_url)
    try:
        tokens = engine.client.indices.analyze(
            index=engine.index,
            body={"analyzer": "alac_kazakh", "text": "Әкімдіктің ҚЫЗМЕТКЕРІ ақша сұрады"},
        )["tokens"]
        # ICU word breaks keep the Kazakh letters inside words; icu_folding lower-cases and
        # folds the letters it decomposes (қ → к, ң → н, ұ → ү), so both spellings meet.
        assert [t["token"] for t in tokens] == ["әкімдіктін", "кызметкері", "акша", "сүрады"]
    finally:
        drop(engine)


@pytest.mark.opensearch
def test_reindex_swaps_every_alias_at_once_under_a_concurrent_reader(opensearch_url):
    """A rebuild fills a new index (tenant aliases left on the live one), then one _aliases
    request moves the live alias and every tenant alias: a reader never sees it empty, and
    tenants stay apart in the rebuilt index."""
    from alac_search.engines import opensearch_dsl as dsl

    engine = opensearch_engine(opensearch_url, refresh=True)
    live_alias = engine.client.indices.put_alias(index=engine.index, name=dsl.LIVE_ALIAS)
    assert live_alias["acknowledged"]
    old = engine.index
    events = [("tk", f"c{i}", 1, doc(f"взятка номер {i}")) for i in range(30)]
    events += [("ndi", "n1", 1, doc("взятка в больнице", office="shymkent"))]
    engine.apply_many(events)
    failures: list[str] = []
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            total = engine.search(SearchRequest(tenant="tk", query=parse("взятка"))).total
            if total != 30:
                failures.append(f"saw {total}")

    thread = threading.Thread(target=reader)
    thread.start()
    rebuilt = None
    try:
        rebuilt = engine.begin_rebuild()
        rebuilt.apply_many(events)
        rebuilt.optimize()
        engine.swap_in(rebuilt)
        time.sleep(0.5)  # the reader goes on over the new index
    finally:
        stop.set()
        thread.join()
        assert failures == []
        try:
            assert engine.index == rebuilt.index != old
            aliases = engine.client.indices.get_alias(index=engine.index)[engine.index]["aliases"]
            assert set(aliases) == {dsl.LIVE_ALIAS, dsl.tenant_alias("tk"),
                                    dsl.tenant_alias("ndi")}  # fmt: skip
            assert engine.client.indices.get_alias(index=old)[old]["aliases"] == {}
            assert found(engine, "ndi", "взятка") == ["n1"]
            assert len(found(engine, "tk", "взятка", limit=50)) == 30
            engine.apply("tk", "c99", 1, doc("взятка после пересборки"))  # goes to the new one
            assert found(engine, "tk", "пересборки") == ["c99"]
        finally:
            engine.client.indices.delete(index=old)
            drop(engine)


# ------------------------------------------------------------------ rebuild swap


def test_swap_is_atomic_for_a_concurrent_reader(tmp_path):
    """Embedded only: the pointer-file swap (OpenSearch swaps aliases in one _aliases call)."""
    engine = EmbeddedEngine(tmp_path / "index.db")
    for i in range(30):
        engine.apply("tk", f"c{i}", 1, doc(f"взятка номер {i}"))
    failures: list[str] = []
    stop = threading.Event()

    def reader() -> None:
        other = EmbeddedEngine(tmp_path / "index.db")  # as another process would open it
        while not stop.is_set():
            total = other.search(SearchRequest(tenant="tk", query=parse("взятка"))).total
            if total != 30:
                failures.append(f"saw {total}")
        other.close()

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for _round in range(3):
            rebuilt = engine.begin_rebuild()
            rebuilt.apply_many([("tk", f"c{i}", 1, doc(f"взятка номер {i}")) for i in range(30)])
            engine.swap_in(rebuilt)
    finally:
        stop.set()
        thread.join()
    assert failures == []
    assert engine.live_path() != tmp_path / "index.db"
    # Only the live file and the one it replaced remain.
    assert len(list(tmp_path.glob("index-*.db"))) == 2
    engine.close()


# ------------------------------------------------------------------ cell keys


def test_counts_only_answers_sum_the_record_keys_of_what_they_count(engine):
    """Both engines give the same record-key sums as Python computes from the ids (the
    OpenSearch script copies Java's String.hashCode), per total and per facet cell."""
    from alac_kernel.small_cells import record_key

    params = engine.cell_keys
    areas = {"c1": "police", "c2": "police", "c3": "courts", "c4": "courts", "c5": "police"}
    for doc_id, area in areas.items():
        engine.apply("tk", f"{doc_id}-{uuid.uuid4()}", 1, doc("взятка в суде", area=area))
    engine.apply("ndi", "other", 1, doc("взятка в суде", area="police"))
    page = engine.search(
        SearchRequest(
            tenant="tk", query=parse("взятка"), facets=["area"], with_hits=False,
            cell_keys=True,
        )
    )  # fmt: skip
    ids = {
        h.id: h.fields["area"]
        for h in engine.search(SearchRequest(tenant="tk", query=parse("взятка"), limit=50)).hits
    }
    assert page.total == 5 and len(ids) == 5
    assert page.total_key == sum(record_key(params, i) for i in ids)
    assert page.facet_keys["area"] == {
        area: sum(record_key(params, i) for i, a in ids.items() if a == area)
        for area in ("police", "courts")
    }
    # Without cell keys nothing extra is computed.
    plain = engine.search(
        SearchRequest(tenant="tk", query=parse("взятка"), facets=["area"], with_hits=False)
    )
    assert plain.total_key is None and plain.facet_keys == {}
