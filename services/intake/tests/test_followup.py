"""Anonymous follow-up with the receipt code alone: status from case events, messages both
ways (kept apart from internal notes), wrong codes answered like unknown ones and rate-limited."""

from __future__ import annotations

import uuid

import pytest

from alac_kernel.db import session_scope
from alac_kernel.events import default_registry

URL = "/v1/complaints"
ANON = {"channel": "web_form", "crux": "Судья намекнул на «благодарность».", "anonymous": True}


@pytest.fixture(autouse=True)
def small_failure_budget(request):
    """Five wrong codes per address instead of ten, to keep the tests short."""
    for name in ("intake", "sqlite_intake"):
        if name in request.fixturenames:
            request.getfixturevalue(name).runtime.limits.receipt_failures.limit = 5


def submit(p):
    r = p.intake.post(URL, json=ANON, headers=p.headers("vera"))
    assert r.status_code == 201
    return r.json()["id"], r.json()["receipt_code"]


def test_status_follows_the_case_and_messages_go_both_ways(intake):
    p = intake
    cid, code = submit(p)
    status = p.intake.get(
        "/v1/follow-up/status", headers={"Receipt-Code": code.lower().replace("-", " ")}
    )
    assert status.status_code == 200
    assert status.json()["status"] == "received"
    p.open_case(cid)  # as cases does for a new complaint: a case in triage
    assert (
        p.intake.get("/v1/follow-up/status", headers={"Receipt-Code": code}).json()["status"]
        == "under_review"
    )

    mine = p.intake.post(
        "/v1/follow-up/messages", json={"body": "Есть аудиозапись."}, headers={"Receipt-Code": code}
    )
    assert mine.status_code == 201
    staff = p.intake.post(
        f"{URL}/{cid}/messages",
        json={"body": "Пришлите запись, пожалуйста."},
        headers=p.headers("lena"),
    )
    assert staff.status_code == 201
    seen = p.intake.get("/v1/follow-up/messages", headers={"Receipt-Code": code}).json()
    assert [(m["direction"], m["body"]) for m in seen] == [
        ("from_complainant", "Есть аудиозапись."), ("to_complainant", "Пришлите запись, пожалуйста."),
    ]  # fmt: skip
    assert "author" not in seen[1]  # staff identities are not shown to the complainant
    posted = p.events("complaint.message_posted")
    assert [e.data["direction"] for e in posted] == ["from_complainant", "to_complainant"]
    for e in posted:
        default_registry().validate(e)
        assert "аудиозапись" not in e.model_dump_json()
    # another tenant's staff cannot write to it
    assert (
        p.intake.post(
            f"{URL}/{cid}/messages", json={"body": "x"}, headers=p.headers("dana")
        ).status_code
        == 404
    )


def test_wrong_unknown_and_malformed_codes_get_the_same_answer_then_429(sqlite_intake):
    p = sqlite_intake
    _, code = submit(p)
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")
    unknown = "ZZZZZ" + code[5:]
    answers = [
        p.intake.get("/v1/follow-up/status", headers={"Receipt-Code": c})
        for c in (wrong, unknown, "nonsense")
    ]
    assert {a.status_code for a in answers} == {404}
    bodies = [{k: v for k, v in a.json().items() if k != "instance"} for a in answers]
    assert bodies[0] == bodies[1] == bodies[2]
    # two more failures from this address reach the limit of 5; then even the right code waits
    for _ in range(2):
        p.intake.get("/v1/follow-up/status", headers={"Receipt-Code": wrong})
    limited = p.intake.get("/v1/follow-up/status", headers={"Receipt-Code": code})
    assert limited.status_code == 429
    assert "retry-after" in limited.headers


def test_wrong_codes_from_strangers_never_lock_the_complainant_out(sqlite_intake):
    """Issue 11: ten wrong secrets on one receipt locator locked the real complainant out for
    15 minutes. Failures now count per client address only (the secret's 100 bits make
    guessing hopeless): a stranger's failures do not touch the complainant's budget."""
    p = sqlite_intake
    _, code = submit(p)
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")
    # The stranger comes from another address: a second intake app sees another peer.
    from fastapi.testclient import TestClient

    stranger = TestClient(p.app, client=("203.0.113.9", 5000))
    for _ in range(8):
        stranger.get("/v1/follow-up/status", headers={"Receipt-Code": wrong})
    assert stranger.get("/v1/follow-up/status", headers={"Receipt-Code": wrong}).status_code == 429
    ok = p.intake.get("/v1/follow-up/status", headers={"Receipt-Code": code})
    assert ok.status_code == 200, ok.text


def test_the_complainants_message_thread_is_limited(sqlite_intake):
    p = sqlite_intake
    _, code = submit(p)
    p.runtime.limits.complainant_messages.limit = 3
    sent = [
        p.intake.post(
            "/v1/follow-up/messages",
            json={"body": f"Сообщение {i}"},
            headers={"Receipt-Code": code},
        )
        for i in range(4)
    ]
    assert [r.status_code for r in sent] == [201, 201, 201, 429]
    assert int(sent[-1].headers["Retry-After"]) >= 1
    assert len(p.intake.get("/v1/follow-up/messages", headers={"Receipt-Code": code}).json()) == 3


def test_code_in_header_is_required_and_never_taken_from_the_url(sqlite_intake):
    p = sqlite_intake
    _, code = submit(p)
    r = p.intake.get(f"/v1/follow-up/status?receipt_code={code}")
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "header.Receipt-Code"


def test_late_case_event_does_not_roll_the_status_back(sqlite_intake):
    """case.closed (version 3) arrives before case.status_changed (version 2): the older event
    changes nothing."""
    from alac_intake.complaints.models import Complaint

    p = sqlite_intake
    cid, code = submit(p)
    case_id = str(uuid.uuid4())
    p.case_event("case.closed", case_id, cid, version=3, outcome="resolved",
                 closed_at="2026-01-01T00:00:00Z")  # fmt: skip
    p.case_event("case.status_changed", case_id, cid, version=2, from_status="triage",
                 to_status="in_action", reason="late", changed_at="2025-12-31T00:00:00Z")  # fmt: skip
    with session_scope(p.runtime.session_factory, tenant="tk") as s:
        assert s.get(Complaint, cid).case_status == "closed"
    assert (
        p.intake.get("/v1/follow-up/status", headers={"Receipt-Code": code}).json()["status"]
        == "closed"
    )


NAMED = {
    "channel": "hotline",
    "crux": "Акимат требует взятку за разрешение на киоск.",
    "contact": {"name": "Айгуль", "phone": "+77010000001"},
}


def test_the_complainant_answers_a_consent_request_and_the_update_carries_it(sqlite_intake):
    """The case asks for consent (case.status_changed to awaiting_consent, as cases sends it);
    the complainant answers with the receipt code; complaint.updated carries the answer
    (what cases makes of it: tests/integration/test_intake_with_cases_and_analytics.py)."""
    p = sqlite_intake
    r = p.intake.post(URL, json=NAMED, headers=p.headers("vera"))
    assert r.status_code == 201, r.text
    cid, code = r.json()["id"], r.json()["receipt_code"]
    case_id = p.open_case(cid)
    p.move_case(case_id, cid, "triage", "assessment")
    p.move_case(case_id, cid, "assessment", "awaiting_consent")
    status = p.intake.get("/v1/follow-up/status", headers={"Receipt-Code": code}).json()
    assert status["status"] == "awaiting_your_consent"
    assert status["anonymous"] is False
    assert status["consent"] == {
        "formal_action": None, "documents_to_authorities": None, "media": None
    }  # fmt: skip

    answer = p.intake.post(
        "/v1/follow-up/consent", json={"formal_action": True, "media": False},
        headers={"Receipt-Code": code},
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "formal_action": True, "documents_to_authorities": None, "media": False,
        "changed": ["formal_action", "media"],
    }  # fmt: skip
    (updated,) = p.events("complaint.updated")
    default_registry().validate(updated)
    assert updated.data["changed"] == {"consent_formal_action": True, "consent_media": False}
    assert updated.subject == cid and updated.aggregateversion == 2
    # the same answer again changes nothing and emits nothing
    again = p.intake.post(
        "/v1/follow-up/consent", json={"formal_action": True}, headers={"Receipt-Code": code}
    )
    assert again.json()["changed"] == [] and len(p.events("complaint.updated")) == 1
    status = p.intake.get("/v1/follow-up/status", headers={"Receipt-Code": code}).json()
    assert status["consent"] == {
        "formal_action": True, "documents_to_authorities": None, "media": False
    }  # fmt: skip


def test_consent_is_refused_in_plain_words_for_anonymous_complaints_and_empty_answers(
    sqlite_intake,
):
    p = sqlite_intake
    _, code = submit(p)
    refused = p.intake.post(
        "/v1/follow-up/consent", json={"formal_action": True},
        headers={"Receipt-Code": code, "Accept-Language": "ru"},
    )  # fmt: skip
    assert refused.status_code == 409
    assert refused.headers["content-type"].startswith("application/problem+json")
    body = refused.json()
    assert "анонимному" in body["detail"]
    assert body["errors"] == [{"field": "body", "reason": body["detail"]}]
    assert p.events("complaint.updated") == []

    empty = p.intake.post("/v1/follow-up/consent", json={}, headers={"Receipt-Code": code})
    assert empty.status_code == 422
    assert empty.json()["errors"][0]["field"] == "body"
    unknown = p.intake.post(
        "/v1/follow-up/consent", json={"formal_action": "maybe"}, headers={"Receipt-Code": code}
    )
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "body.formal_action"
    wrong = p.intake.post(
        "/v1/follow-up/consent", json={"media": True}, headers={"Receipt-Code": "AAAA-BBBB"}
    )
    assert wrong.status_code == 404


def test_unanswered_messages_queue(intake):
    """Complaints whose last message is the complainant's, the longest waiting first; an
    answer takes a complaint off the queue; volunteers see their office's, others none."""
    p = intake
    first_id, first_code = submit(p)
    second_id, second_code = submit(p)
    quiet_id, _ = submit(p)

    def write(code: str, body: str) -> None:
        r = p.intake.post(
            "/v1/follow-up/messages", json={"body": body}, headers={"Receipt-Code": code}
        )
        assert r.status_code == 201

    def queue(user: str) -> list:
        r = p.intake.get("/v1/messages/unanswered", headers=p.headers(user))
        assert r.status_code == 200, r.text
        return r.json()

    write(first_code, "Первое.")
    write(second_code, "Второе.")
    write(first_code, "Ещё одно.")
    waiting = queue("lena")
    assert [(w["complaint_id"], w["waiting"]) for w in waiting] == [(first_id, 2), (second_id, 1)]
    assert quiet_id not in {w["complaint_id"] for w in waiting}
    assert [w["complaint_id"] for w in queue("vera")] == [first_id, second_id]  # vera's office
    assert queue("askar") == []  # a volunteer of another office
    assert queue("dana") == []  # another tenant
    answered = p.intake.post(
        f"{URL}/{first_id}/messages", json={"body": "Ответили."}, headers=p.headers("lena")
    )
    assert answered.status_code == 201
    assert [w["complaint_id"] for w in queue("lena")] == [second_id]
    write(first_code, "Спасибо, а что дальше?")  # a new question puts it back, since then
    back = {w["complaint_id"]: w["waiting"] for w in queue("lena")}
    assert back == {second_id: 1, first_id: 1}
    assert p.intake.get("/v1/messages/unanswered", headers=p.headers("anuar")).status_code == 403
