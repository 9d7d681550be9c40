"""The search API over the real platform: complaints become searchable, case status follows,
tenant and office scoping, query validation (never a 500), events out of order."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from alac_kernel.bus import Record
from alac_kernel.db import session_scope

PROBLEM_JSON = "application/problem+json"


# ------------------------------------------------------------------ helpers


def submit(platform, user: str, crux: str, **fields) -> str:
    body = {"channel": "hotline", "crux": crux, **fields}
    response = platform.intake.post("/v1/complaints", json=body, headers=platform.headers(user))
    assert response.status_code == 201, response.text
    return response.json()["id"]


def search(platform, user: str, q: str, **params) -> list[dict]:
    response = platform.search.get(
        "/v1/search", params={"q": q, **params}, headers=platform.headers(user)
    )
    assert response.status_code == 200, response.text
    assert response.json()["query"] == q
    return response.json()["items"]


def ids(hits: list[dict]) -> set[str]:
    return {h["id"] for h in hits}


def relay(platform, service: str) -> int:
    (found,) = [r for r in platform.pump.relays if r.service == service]
    return found.run_once()


def consumer(platform, service: str):
    (found,) = [c for c in platform.pump.consumers if c.service == service]
    return found


def outbox_payload(platform, service: str, event_type: str) -> tuple[str, bytes]:
    runtime = platform.runtime(service)
    table = runtime.tables.outbox
    with session_scope(runtime.session_factory, all_tenants=True) as session:
        row = session.execute(
            select(table.c.topic, table.c.payload).where(table.c.type == event_type)
        ).one()
    return row.topic, row.payload.encode()


def assert_problem(response, status: int, field: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body = response.json()
    assert body["status"] == status
    assert body["title"] and body["type"] and body["detail"]
    assert [e["field"] for e in body["errors"]] == [field], body
    assert all(e["reason"] for e in body["errors"])
    return body


# ------------------------------------------------------------------ finding complaints


def test_a_word_finds_the_complaint_and_its_case_status_follows(platform):
    complaint_id = submit(
        platform,
        "vera",
        "Директор школы требует взятку за зачисление.",
        request_type="case",
        area="education",
    )
    other = submit(platform, "vera", "Соседи шумят по ночам.")

    # Only intake's relay and search's consumer: the case does not exist yet.
    assert relay(platform, "intake") == 2
    consumer(platform, "search").run_once()
    (hit,) = search(platform, "lena", "взятку")
    assert hit["id"] == complaint_id
    assert hit["status"] == "received"
    assert hit["case_id"] is None
    assert hit["office"] == "almaty"
    assert hit["channel"] == "hotline"
    assert hit["area"] == "education"
    assert "<mark>взятку</mark>" in hit["snippet"]

    platform.pump()
    cases = platform.cases.get("/v1/cases", headers=platform.headers("lena")).json()["items"]
    case_id = next(c["id"] for c in cases if c["complaint_id"] == complaint_id)
    (hit,) = search(platform, "lena", "взятку")
    assert hit["status"] == "triage"
    assert hit["case_id"] == case_id
    # Every word is required.
    assert search(platform, "lena", "взятку соседи") == []
    assert ids(search(platform, "lena", "шумят ночам")) == {other}


def test_another_tenant_never_sees_the_complaint(platform):
    tk = submit(platform, "vera", "Инспектор вымогает взятку у предпринимателя.")
    ndi = submit(platform, "nurlan", "Врач требует деньги за операцию.")
    platform.pump()

    assert ids(search(platform, "lena", "взятку")) == {tk}
    assert search(platform, "dana", "взятку") == []
    assert search(platform, "nurlan", "взятку") == []
    assert ids(search(platform, "dana", "операцию")) == {ndi}
    assert search(platform, "lena", "операцию") == []
    assert search(platform, "kazbek", "операцию") == []


def test_volunteers_search_their_office_only(platform):
    almaty = submit(platform, "vera", "Акимат требует взятку за землю.")
    astana = submit(platform, "askar", "Полиция требует взятку за протокол.")
    platform.pump()

    assert ids(search(platform, "vera", "взятку")) == {almaty}
    assert ids(search(platform, "askar", "взятку")) == {astana}
    for user in ("lena", "laura", "kazbek", "tamara"):
        assert ids(search(platform, user, "взятку")) == {almaty, astana}, user


def test_case_opened_before_complaint_received_still_gives_the_right_document(platform):
    crux = "Судья затягивает исполнение решения."
    complaint_id = submit(platform, "vera", crux, request_type="case")
    # Let the case be opened and case.opened published, without search seeing anything.
    relay(platform, "intake")
    consumer(platform, "cases").run_once()
    relay(platform, "cases")

    searcher = consumer(platform, "search")
    topic, payload = outbox_payload(platform, "cases", "case.opened")
    record = Record(topic=topic, partition=0, offset=0, key=None, value=payload)
    assert searcher.handle(record) == "applied"
    assert search(platform, "lena", "судья") == []  # nothing to find before the complaint

    platform.pump()  # delivers complaint.received, and case.opened once more
    (hit,) = search(platform, "lena", "судья исполнение")
    assert hit["id"] == complaint_id
    assert hit["status"] == "triage"
    assert hit["case_id"] is not None
    assert hit["office"] == "almaty"
    assert searcher.handle(record) == "duplicate"


def test_cyrillic_is_case_insensitive_and_kazakh_letters_are_word_characters(platform):
    russian = submit(platform, "vera", "Чиновник потребовал взятку за разрешение.")
    kazakh_words = {
        "қ": "тамақ",
        "ә": "мәселе",
        "ө": "көмек",
        "ү": "түсінік",
        "ұ": "тұрғын",
        "і": "біз",
        "ң": "әкімдіктің",
        "ғ": "бағдарлама",
        "һ": "шаһар",
    }
    kazakh = submit(platform, "askar", " ".join(kazakh_words.values()) + ".")
    platform.pump()

    assert ids(search(platform, "lena", "ВЗЯТКУ")) == {russian}
    assert ids(search(platform, "lena", "Взятку Разрешение")) == {russian}
    for letter, word in kazakh_words.items():
        assert ids(search(platform, "lena", word)) == {kazakh}, word
        assert ids(search(platform, "lena", word.upper())) == {kazakh}, word.upper()
        # Were the letter a separator, the part before it would be a word of its own.
        fragment = word[: word.index(letter)]
        assert fragment and search(platform, "lena", fragment) == [], (letter, fragment)
    assert search(platform, "lena", "ТАМАҚ ВЗЯТКУ") == []


# ------------------------------------------------------------------ bad queries


@pytest.mark.parametrize("q", ["", " "])
def test_an_empty_query_is_a_problem_naming_q(sqlite_platform, q):
    response = sqlite_platform.search.get(
        "/v1/search", params={"q": q}, headers=sqlite_platform.headers("lena")
    )
    assert response.status_code in (400, 422)
    assert_problem(response, response.status_code, "query.q")


def test_a_missing_query_is_a_problem_naming_q(sqlite_platform):
    response = sqlite_platform.search.get("/v1/search", headers=sqlite_platform.headers("lena"))
    assert_problem(response, 422, "query.q")


@pytest.mark.parametrize("q", ['"', "?!.,;", "()", "*", "-", ":", "___", "\u0301", "«»—…"])
def test_a_query_of_punctuation_only_is_a_400_naming_q(sqlite_platform, q):
    response = sqlite_platform.search.get(
        "/v1/search", params={"q": q}, headers=sqlite_platform.headers("lena")
    )
    body = assert_problem(response, 400, "query.q")
    assert "no words" in body["errors"][0]["reason"]


def test_fts5_operators_are_searched_as_words_never_run(sqlite_platform):
    p = sqlite_platform
    complaint_id = submit(p, "vera", "Требуют взятку в школе номер 5.")
    p.pump()
    injections = [
        '"',
        'взятку"',
        '"взятку',
        'взятку" OR "школе',
        "NEAR(взятку школе)",
        "NEAR(",
        "взятку NEAR/2 школе",
        "взят*",
        "*",
        "взятку OR больнице",
        "взятку AND NOT школе",
        "-школе взятку",
        "crux:взятку",
        "tenant_id:tk",
        "{crux tenant_id}:взятку",
        "(взятку",
        "взятку)",
        "((()))",
        "^взятку",
        "взятку + школе",
        "'; DROP TABLE documents; --",
        "\x00взятку",
    ]
    for q in injections:
        response = p.search.get("/v1/search", params={"q": q}, headers=p.headers("lena"))
        assert response.status_code in (200, 400), (q, response.status_code, response.text)
        if response.status_code == 400:
            assert_problem(response, 400, "query.q")
    # Operators are plain words that must be present, so they narrow instead of widening.
    assert search(p, "lena", "взятку OR больнице") == []
    assert search(p, "lena", "взят*") == []  # no prefix query
    assert search(p, "lena", "crux:взятку") == []  # no column filter
    assert search(p, "lena", "NEAR(взятку школе)") == []
    # Punctuation around real words is ignored.
    assert ids(search(p, "lena", '"взятку" (школе) -номер- 5*')) == {complaint_id}
    assert ids(search(p, "lena", "взятку")) == {complaint_id}


def test_long_and_wordy_queries_are_refused(sqlite_platform):
    p = sqlite_platform
    h = p.headers("lena")
    too_long = p.search.get("/v1/search", params={"q": "взятка " * 80}, headers=h)
    assert_problem(too_long, 422, "query.q")
    just_fits = p.search.get("/v1/search", params={"q": "а" * 500}, headers=h)
    assert just_fits.status_code == 200
    wordy = p.search.get("/v1/search", params={"q": " ".join(["слово"] * 33)}, headers=h)
    assert_problem(wordy, 400, "query.q")
    for bad in ("0", "101", "many"):
        response = p.search.get("/v1/search", params={"q": "взятка", "limit": bad}, headers=h)
        assert_problem(response, 422, "query.limit")


def test_search_needs_a_staff_role_and_a_token(sqlite_platform):
    p = sqlite_platform
    for user in ("anuar", "nadia"):
        response = p.search.get("/v1/search", params={"q": "взятка"}, headers=p.headers(user))
        assert response.status_code == 403
        assert response.headers["content-type"].startswith(PROBLEM_JSON)
    response = p.search.get("/v1/search", params={"q": "взятка"})
    assert response.status_code == 401
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
