"""Complaint free text on the bus is sealed under the complaint's key (issue 11, "the crux goes
onto the event bus word for word"; item 2): a crux holding a phone number and an e-mail never
appears in clear in any record of the bus, search and cases still read it through intake's key
service with their grants, and erasing the personal data destroys the key, so the copies on
the bus can no longer be opened, search finds nothing, even after a rebuild from offset zero.

Run on the embedded log bus (SQLite and PostgreSQL) and on the real Apache Kafka broker.
"""

from __future__ import annotations

import uuid

import pytest
from cryptography.exceptions import InvalidTag

from alac_kernel import crypto, sealed_text
from alac_kernel.bus import dead_letter_topic
from alac_kernel.events import Event, new_event
from alac_kernel.events.binding import event_from_record

PHONE = "+7 701 555 12 34"
EMAIL = "aigerim.secret@example.kz"
RARE = "zharnamaword"  # a word found only in this complaint's crux
CRUX = f"The clerk demanded a bribe, {RARE}. Call me at {PHONE} or write to {EMAIL}."
HELP = f"Please phone {PHONE} after six."
NEW_CRUX = f"Corrected: the clerk took the bribe, {RARE}, reach me at {EMAIL}."
REASON = f"Solved it myself, do not call {PHONE}."
SECRETS = (PHONE, EMAIL, RARE, "555 12 34", "aigerim.secret")


def _submit(p) -> str:
    body = {
        "channel": "hotline",
        "request_type": "case",
        "area": "education",
        "crux": CRUX,
        "help_requested": HELP,
    }
    response = p.intake.post("/v1/complaints", json=body, headers=p.headers("vera"))
    assert response.status_code == 201, response.text
    return response.json()["id"]


def _edit_crux(p, complaint_id: str) -> None:
    url = f"/v1/complaints/{complaint_id}"
    version = p.intake.get(url, headers=p.headers("vera")).json()["version"]
    response = p.intake.patch(
        url, json={"crux": NEW_CRUX}, headers={**p.headers("vera"), "If-Match": f'"{version}"'}
    )
    assert response.status_code == 200, response.text


def _bus_records(p) -> list:
    """Every record on the complaint and case topics and their dead letters, from offset 0."""
    runtime = p.runtime("intake")
    topics = [runtime.settings.topic(a) for a in ("complaint", "case")]
    topics += [dead_letter_topic(t) for t in topics]
    if runtime.settings.bus_backend == "kafka":
        runtime.bus._ensure_topics(topics)  # noqa: SLF001 - dead letters may not exist yet
    consumer = runtime.bus.consumer(f"audit-{uuid.uuid4().hex[:8]}", topics)
    records, quiet = [], 0
    try:
        while quiet < 4:
            batch = consumer.poll(500, 0.5)
            records += batch
            quiet = 0 if batch else quiet + 1
    finally:
        consumer.close()
    return records


def _raw(record) -> str:
    headers = " ".join(f"{k}={v!r}" for k, v in dict(record.headers).items())
    value = (
        record.value.decode("utf-8", "replace")
        if isinstance(record.value, bytes)
        else str(record.value)
    )
    return f"{record.key!r} {headers} {value}"


def _search(p, q: str) -> list[str]:
    response = p.search.get("/v1/search", params={"q": q}, headers=p.headers("lena"))
    assert response.status_code == 200, response.text
    return [h["id"] for h in response.json()["items"]]


def _case_crux(p, complaint_id: str) -> str:
    items = p.cases.get("/v1/cases", params={"limit": 200}, headers=p.headers("kazbek")).json()
    (case,) = [c for c in items["items"] if c["complaint_id"] == complaint_id]
    return p.cases.get(f"/v1/cases/{case['id']}", headers=p.headers("lena")).json()["crux"]


def _sealed_events(records, complaint_id: str) -> list[Event]:
    events = [event_from_record(r.value, r.headers, r.key) for r in records]
    return [e for e in events if e.subject == complaint_id and "sealed" in e.data]


def _walk_through(p) -> None:
    complaint_id = _submit(p)
    _edit_crux(p, complaint_id)
    p.pump()

    # Search and cases opened the text with their grants.
    assert _search(p, RARE) == [complaint_id]
    assert NEW_CRUX == _case_crux(p, complaint_id)

    # Withdrawn with a reason naming the phone: sealed too.
    withdrawn = p.intake.post(
        f"/v1/complaints/{complaint_id}/withdraw",
        json={"reason": REASON},
        headers=p.headers("kazbek"),
    )
    assert withdrawn.status_code == 200, withdrawn.text
    p.pump()

    records = _bus_records(p)
    assert len(records) >= 4  # received, updated, withdrawn, case.opened...
    leaks = [(r.topic, s) for r in records for s in SECRETS if s in _raw(r)]
    assert leaks == [], "free text on the bus in clear"
    sealed = _sealed_events(records, complaint_id)
    assert sorted(e.type for e in sealed) == [
        "complaint.received", "complaint.updated", "complaint.withdrawn"
    ]  # fmt: skip
    received = next(e for e in sealed if e.type == "complaint.received")
    assert received.data["crux"] == sealed_text.SEALED and "help_requested" not in received.data
    assert set(received.data["sealed"]["fields"]) == {"crux", "help_requested"}

    # Before erasure the key service opens the bus copy for a consumer with its grant...
    keys = p.runtime("search").text_keys
    key = keys.key_for(received.tenantid, complaint_id)
    assert key is not None
    opened = sealed_text.open_event(received, keys)
    assert (opened.data["crux"], opened.data["help_requested"]) == (CRUX, HELP)
    # ...and the ciphertext is bound to its complaint: moved to another, it does not open.
    with pytest.raises(InvalidTag):
        sealed_text.open_fields(
            key, received.data["sealed"], tenant=received.tenantid, complaint_id=str(uuid.uuid4())
        )

    erased = p.intake.post(
        f"/v1/complaints/{complaint_id}/erase-personal-data", headers=p.headers("kazbek")
    )
    assert erased.status_code == 200, erased.text
    p.pump()

    # The key is gone: every copy on the bus is unreadable, for every consumer.
    for consumer in sealed_text.CONSUMERS:
        assert p.runtime(consumer).text_keys.key_for(received.tenantid, complaint_id) is None
    for event in _sealed_events(_bus_records(p), complaint_id):
        opened = sealed_text.open_event(event, keys)
        texts = opened.data.get("changed", opened.data)
        assert all(texts[name] is None for name in event.data["sealed"]["fields"]), event.type
    with p.runtime("intake").engine.connect() as connection:
        left = connection.exec_driver_sql(
            "select count(*) from complaint_text_keys where complaint_id = %s"
            if p.flavour == "postgres"
            else "select count(*) from complaint_text_keys where complaint_id = ?",
            (complaint_id,),
        ).scalar_one()
    assert left == 0

    # Search dropped the text, cases and intake keep only the marker.
    assert _search(p, RARE) == []
    assert _case_crux(p, complaint_id) == "(erased)"
    own = p.intake.get(f"/v1/complaints/{complaint_id}", headers=p.headers("lena")).json()
    assert own["crux"] == "(erased)" and not own.get("help_requested")

    # A rebuild from offset zero cannot bring the text back.
    from alac_search.indexing.rebuild import rebuild

    runtime = p.runtime("search")
    assert rebuild(runtime, runtime.search_engine, poll_timeout_s=0.3) >= 3
    assert _search(p, RARE) == []


def test_free_text_is_sealed_on_the_log_bus_and_shredded_by_erasure(platform):
    _walk_through(platform)


@pytest.mark.kafka
@pytest.mark.timeout(240)
def test_free_text_is_sealed_on_kafka_and_shredded_by_erasure(kafka_platform):
    _walk_through(kafka_platform)


def test_the_key_service_answers_only_a_consumer_with_its_grant(sqlite_platform):
    p = sqlite_platform
    complaint_id = _submit(p)
    tenant = "tk"
    url = f"{sealed_text.KEYS_PATH}/{tenant}/{complaint_id}"
    grant = sealed_text.load_grant(p.runtime("intake").settings, "search")
    good = {
        sealed_text.GRANT_HEADER: f"Bearer {crypto.b64(grant)}",
        sealed_text.CONSUMER_HEADER: "search",
    }
    assert p.intake.get(url, headers=good).status_code == 200
    refused = [
        {},
        p.headers("kazbek"),  # a person's token is not a grant
        {**good, sealed_text.CONSUMER_HEADER: "analytics"},  # analytics has no grant
        {**good, sealed_text.CONSUMER_HEADER: "cases"},  # search's grant is not cases'
        {**good, sealed_text.GRANT_HEADER: f"Bearer {crypto.b64(crypto.new_key())}"},
    ]
    for headers in refused:
        response = p.intake.get(url, headers=headers)
        assert response.status_code == 401, (headers, response.text)
        assert "key" not in response.json()
    # Another tenant's path finds nothing (the row is scoped by tenant).
    other = p.intake.get(f"{sealed_text.KEYS_PATH}/ndi/{complaint_id}", headers=good)
    assert other.status_code == 410
    # Not in the public API description.
    assert sealed_text.KEYS_PATH not in p.intake.get("/openapi.json").text


def test_the_key_service_gives_a_batch_of_keys_to_a_consumer_with_its_grant(sqlite_platform):
    """A consumer's batch asks once: the keys of the complaints that have one, nothing for an
    erased complaint or another tenant's, 401 without the grant, 422 for an empty or too long
    list; and the consumer holds them only while its batch is applied."""
    p = sqlite_platform
    first, second, erased = _submit(p), _submit(p), _submit(p)
    gone = p.intake.post(
        f"/v1/complaints/{erased}/erase-personal-data", headers=p.headers("kazbek")
    )
    assert gone.status_code == 200, gone.text
    grant = sealed_text.load_grant(p.runtime("intake").settings, "cases")
    good = {
        sealed_text.GRANT_HEADER: f"Bearer {crypto.b64(grant)}",
        sealed_text.CONSUMER_HEADER: "cases",
    }
    url = f"{sealed_text.KEYS_PATH}/tk"
    asked = {"complaint_ids": [first, second, erased, str(uuid.uuid4())]}
    answer = p.intake.post(url, json=asked, headers=good)
    assert answer.status_code == 200, answer.text
    keys = answer.json()["keys"]
    assert sorted(keys) == sorted([first, second])
    one = p.intake.get(f"{url}/{first}", headers=good).json()["key"]
    assert keys[first] == one
    assert p.intake.post(f"{sealed_text.KEYS_PATH}/ndi", json=asked, headers=good).json() == {
        "keys": {}
    }
    for headers in ({}, p.headers("kazbek"), {**good, sealed_text.CONSUMER_HEADER: "search"}):
        refused = p.intake.post(url, json=asked, headers=headers)
        assert refused.status_code == 401 and "keys" not in refused.json()
    for ids in ([], [str(uuid.uuid4()) for _ in range(101)]):
        assert p.intake.post(url, json={"complaint_ids": ids}, headers=good).status_code == 422

    keys_of_cases = p.runtime("cases").text_keys
    assert isinstance(keys_of_cases, sealed_text.HttpTextKeys)
    events = [
        new_event(
            type="complaint.received",
            source="/test",
            subject=cid,
            tenant="tk",
            version=1,
            data={"complaint_id": cid, "sealed": {"fields": {}}},
        )  # fmt: skip
        for cid in (first, erased)
    ]
    with sealed_text.fetched_for(keys_of_cases, events):
        assert keys_of_cases.key_for("tk", first) == crypto.unb64(one)
        assert keys_of_cases.key_for("tk", erased) is None
    assert getattr(keys_of_cases._held, "keys", None) is None  # noqa: SLF001 - nothing kept


def test_search_takes_the_event_again_when_intake_does_not_answer(sqlite_platform):
    """Intake down is not the event's fault: nothing is dead-lettered, the text arrives later."""
    p = sqlite_platform
    runtime = p.runtime("search")
    working = runtime.text_keys

    class Down:
        def key_for(self, tenant: str, complaint_id: str) -> bytes | None:
            raise sealed_text.TextKeyUnavailable("intake is down (test)")

    runtime.text_keys = Down()
    cases = p.runtime("cases")
    cases_keys, cases.text_keys = cases.text_keys, Down()
    complaint_id = _submit(p)
    for _ in range(3):
        try:
            p.pump()
        except sealed_text.TextKeyUnavailable:
            pass
    assert _search(p, RARE) == []
    runtime.text_keys, cases.text_keys = working, cases_keys
    p.pump()
    assert _search(p, RARE) == [complaint_id]
    assert _case_crux(p, complaint_id) == CRUX
    dead = {dead_letter_topic(p.runtime("intake").settings.topic(a)) for a in ("complaint", "case")}
    assert [r for r in _bus_records(p) if r.topic in dead] == []
