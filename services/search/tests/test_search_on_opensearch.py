"""The search service itself on a real OpenSearch node, chosen the way production chooses it
(ALAC_SEARCH_ENGINE=opensearch, ALAC_OPENSEARCH_URL: the factory, the live alias, the template,
the consumer and the API): events become hits, tenants stay apart, late and out-of-order events
(a case before its complaint, an old delta after a newer one) all land, and the index is rebuilt
from the event log and swapped in."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator

import pytest

from alac_search.engines import opensearch_dsl as dsl
from alac_search.engines.opensearch import OpenSearchEngine
from alac_search.indexing.rebuild import rebuild

from .events import case_event, complaint, publish

pytestmark = pytest.mark.opensearch


@pytest.fixture
def os_platform(request, monkeypatch, opensearch_url) -> Iterator:  # type: ignore[no-untyped-def]
    from opensearchpy import OpenSearch

    client = OpenSearch(opensearch_url, timeout=30)
    if client.indices.exists_alias(name=dsl.LIVE_ALIAS) or client.indices.exists(
        index=dsl.OWNERS_INDEX
    ):
        pytest.fail(
            f"{opensearch_url} already has a live {dsl.LIVE_ALIAS} index; these tests need a "
            "throwaway server (unset ALAC_TEST_OPENSEARCH_URL to get one)",
            pytrace=False,
        )
    before = set(client.indices.get(index=f"{dsl.INDEX_PREFIX}-*"))
    monkeypatch.setenv("ALAC_SEARCH_ENGINE", "opensearch")
    monkeypatch.setenv("ALAC_OPENSEARCH_URL", opensearch_url)
    monkeypatch.delenv("ALAC_OPENSEARCH_REPLICAS", raising=False)
    try:
        yield request.getfixturevalue("sqlite_platform")
    finally:
        made = set(client.indices.get(index=f"{dsl.INDEX_PREFIX}-*")) - before
        for index in sorted(made | {dsl.OWNERS_INDEX}):
            client.indices.delete(index=index, ignore_unavailable=True)
        client.close()


def eventually(check: Callable[[], object], timeout_s: float = 10.0):  # type: ignore[no-untyped-def]
    """Writes are searchable within the refresh interval (1 s), not at once: poll."""
    deadline = time.monotonic() + timeout_s
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.2)


def hits(platform, user: str, q: str, **params) -> list[dict]:  # type: ignore[no-untyped-def]
    response = platform.search.get(
        "/v1/search", params={"q": q, **params}, headers=platform.headers(user)
    )
    assert response.status_code == 200, response.text
    return response.json()["items"]


def test_the_service_runs_on_opensearch_and_keeps_tenants_apart(os_platform):
    engine = os_platform.runtime("search").search_engine
    assert isinstance(engine, OpenSearchEngine)
    ready = os_platform.search.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"]["search_engine"] == "ok"
    almaty = complaint(os_platform, "Директор школы требует взятку за зачисление.")
    kazakh = complaint(os_platform, "Әкімдік қызметкері ақша сұрады", office="astana")
    english = complaint(os_platform, "The land office asked for bribes", office="astana")
    ndi = complaint(os_platform, "Врач требует взятки за операцию.", tenant="ndi",
                    office="shymkent")  # fmt: skip
    os_platform.pump()
    ids = lambda user, q: {h["id"] for h in hits(os_platform, user, q)}  # noqa: E731
    # Each shard refreshes on its own schedule (tenants are routed to different shards), so
    # each tenant's first hit is awaited.
    assert eventually(lambda: ids("lena", "взятки") == {almaty}), ids("lena", "взятки")
    assert eventually(lambda: ids("dana", "взятку") == {ndi}), ids("dana", "взятку")
    assert ids("lena", "akimdik") == {kazakh} and ids("lena", "ӘКІМДІК") == {kazakh}
    assert ids("lena", "bribe") == {english}
    assert ids("dana", "школы") == set() and ids("dana", "akimdik") == set()
    assert ids("vera", "взятка") == {almaty}  # a volunteer: her office only


def test_late_and_out_of_order_events_all_land(os_platform):
    """The case opens before its complaint arrives, and an old case delta comes after a newer
    one: with external versions these were refused with 409 on every retry and ended
    dead-lettered. Now every part lands."""
    cid, kid = str(uuid.uuid4()), str(uuid.uuid4())
    case_event(os_platform, "case.status_changed", cid, kid, 3, from_status="triage",
               to_status="in_action", reason="accepted",
               changed_at="2025-03-03T10:00:00+00:00")  # fmt: skip
    case_event(os_platform, "case.opened", cid, kid, 1, opened_at="2025-03-02T10:00:00+00:00",
               status="triage", channel="hotline", anonymous=False)  # fmt: skip
    os_platform.pump()
    data = {
        "complaint_id": cid, "office": "almaty", "received_at": "2025-03-01T10:00:00+05:00",
        "channel": "hotline", "anonymous": False, "crux": "Судья затягивает исполнение решения.",
        "complainant": {"pseudonym": "p-late"},
    }  # fmt: skip
    publish(os_platform, "complaint", "complaint.received", cid, "tk", 1, data)
    case_event(os_platform, "case.assigned", cid, kid, 2, assignee="lena-sub",
               assignee_role="lawyer", previous_assignee=None,
               assigned_at="2025-03-02T11:00:00+00:00")  # fmt: skip
    os_platform.pump()
    found = eventually(lambda: hits(os_platform, "lena", "судья"))
    assert [(h["id"], h["case_id"], h["status"], h["assignee"]) for h in found] == [
        (cid, kid, "in_action", "lena-sub")
    ]
    engine = os_platform.runtime("search").search_engine
    assert engine.get("tk", cid)["received_at"] == "2025-03-01T05:00:00+00:00"


def test_reindex_rebuilds_the_same_index_from_the_log(os_platform):
    runtime = os_platform.runtime("search")
    engine = runtime.search_engine
    a = complaint(os_platform, "Полиция требует взятки за протокол.")
    b = complaint(os_platform, "Взятка в акимате за участок.", tenant="ndi", office="shymkent")
    os_platform.pump()
    live = list(engine.export())
    assert {row[1] for row in live} == {a, b}
    before = engine.index
    count = rebuild(runtime, engine, poll_timeout_s=0.01)
    assert count >= 2
    assert engine.index != before
    assert engine.client.indices.get_alias(name=dsl.LIVE_ALIAS) == {
        engine.index: {"aliases": {dsl.LIVE_ALIAS: {}}}
    }
    assert list(engine.export()) == live
    found = lambda user, q: {h["id"] for h in hits(os_platform, user, q)}  # noqa: E731
    assert found("lena", "взятка") == {a} and found("dana", "взятка") == {b}
    later = complaint(os_platform, "Новая жалоба про взятку")
    os_platform.pump()
    assert eventually(lambda: later in found("lena", "взятка"))
    assert engine.get("tk", later) is not None


def test_readiness_names_an_unreachable_opensearch(os_platform):
    from opensearchpy import OpenSearch

    from alac_cli.engines.base import free_port

    engine = os_platform.runtime("search").search_engine
    live = engine.client
    engine.client = OpenSearch(f"http://127.0.0.1:{free_port()}", timeout=2)  # nobody there
    try:
        ready = os_platform.search.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"]["search_engine"] == "unreachable: ConnectionError"
        assert ready.json()["checks"]["database"] == "ok"
    finally:
        engine.client.close()
        engine.client = live
    assert os_platform.search.get("/readyz").status_code == 200
