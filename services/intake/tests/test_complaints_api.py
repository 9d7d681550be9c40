"""The intake API's "bad input and faults" rules: every refusal is a problem+json answer that
names the field, and a refused request writes nothing (no complaint, no outbox row, no
idempotency row). Idempotency, receipt codes and the complaint.received event too.

Tests that touch the database's behaviour run on SQLite and PostgreSQL (`intake`); pure
validation tests run on SQLite only (`sqlite_intake`) to keep the suite fast.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from alac_intake import receipts
from alac_intake.complaints.models import Complaint
from alac_intake.database import kernel_tables
from alac_intake.vault import service as vault
from alac_kernel.auth.dev_issuer import DevKey, mint_token
from alac_kernel.db import session_scope
from alac_kernel.events import default_registry
from alac_kernel.problems import PROBLEM_JSON
from alac_kernel.settings import Settings

URL = "/v1/complaints"
GOOD = {"channel": "hotline", "crux": "Инспектор требует деньги за справку."}
RECEIPT = re.compile(r"^[0-9A-HJKMNP-TV-Z]{5}(-[0-9A-HJKMNP-TV-Z]{5}){4}$")


# ------------------------------------------------------------------ helpers


def counts(intake) -> dict[str, int]:
    """Rows in the three tables a complaint request may write, over every tenant."""
    rt = intake.runtime
    with session_scope(rt.session_factory, all_tenants=True) as session:
        return {
            "complaints": session.execute(
                select(func.count()).select_from(Complaint.__table__)
            ).scalar_one(),
            "outbox": session.execute(
                select(func.count()).select_from(kernel_tables.outbox)
            ).scalar_one(),
            "idempotency": session.execute(
                select(func.count()).select_from(kernel_tables.idempotency)
            ).scalar_one(),
        }


NOTHING = {"complaints": 0, "outbox": 0, "idempotency": 0}


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    body = response.json()
    assert body["status"] == status
    assert body["title"] and body["type"].startswith("https://")
    assert isinstance(body["detail"], str) and body["detail"]
    return body


def fields(body: dict) -> dict[str, str]:
    return {e["field"]: e["reason"] for e in body.get("errors", [])}


# ------------------------------------------------------------------ malformed and invalid bodies


def test_malformed_json_is_400_naming_the_body(sqlite_intake):
    p = sqlite_intake
    r = p.intake.post(
        URL,
        content=b'{"channel": "hotline", "crux": ',
        headers=p.headers(
            "vera", **{"Content-Type": "application/json", "Idempotency-Key": "k-malformed"}
        ),
    )
    body = assert_problem(r, 400)
    assert body["errors"][0]["field"] == "body"
    assert "malformed JSON" in body["errors"][0]["reason"]
    assert counts(p) == NOTHING


@pytest.mark.parametrize(
    ("payload", "field", "reason"),
    [
        ({**GOOD, "complainant_name": "Иван"}, "body.complainant_name", "unknown field"),
        (
            {**GOOD, "complainant": {"phone": "+77010000000"}},
            "body.complainant.phone",
            "unknown field",
        ),
        ({"channel": "hotline"}, "body.crux", "field required"),
        ({"crux": "x"}, "body.channel", "field required"),
        ({**GOOD, "anonymous": "yes"}, "body.anonymous", None),
        ({**GOOD, "anonymous": 1}, "body.anonymous", None),
        ({"channel": "hotline", "crux": 5}, "body.crux", None),
        ({"channel": "hotline", "crux": "   "}, "body.crux", None),
        ({**GOOD, "channel": "carrier_pigeon"}, "body.channel", "unknown channel"),
        ({**GOOD, "area": "astrology"}, "body.area", "unknown area"),
        (
            {**GOOD, "received_at": "2999-01-01T10:00:00+05:00"},
            "body.received_at",
            "must not be in the future",
        ),
        (
            {**GOOD, "received_at": "2024-05-01T10:00:00"},
            "body.received_at",
            "must include a timezone",
        ),
        ({**GOOD, "received_at": "yesterday"}, "body.received_at", None),
        ({**GOOD, "office": "Almaty Office!"}, "body.office", None),
    ],
    ids=[
        "unknown-field",
        "unknown-nested-field",
        "missing-crux",
        "missing-channel",
        "anonymous-yes",
        "anonymous-1",
        "crux-int",
        "crux-blank",
        "unknown-channel",
        "unknown-area",
        "future-received-at",
        "naive-received-at",
        "garbage-received-at",
        "office-pattern",
    ],
)
def test_invalid_field_is_422_naming_the_field_and_writes_nothing(
    sqlite_intake, payload, field, reason
):
    p = sqlite_intake
    r = p.intake.post(
        URL, json=payload, headers=p.headers("vera", **{"Idempotency-Key": "k-invalid"})
    )
    body = assert_problem(r, 422)
    named = fields(body)
    assert field in named, body
    if reason is not None:
        assert named[field].startswith(reason), named[field]
    assert field in body["detail"]
    assert counts(p) == NOTHING


@pytest.mark.parametrize(
    ("payload", "field", "reason"),
    [
        ({**GOOD, "crux": "a\x00b"}, "body.crux", "must not contain NUL"),
        ({**GOOD, "help_requested": "\x00"}, "body.help_requested", "must not contain NUL"),
        (
            {**GOOD, "received_at": "0001-01-01T00:00:00-14:00"},
            "body.received_at",
            "must be after 1900-01-01",
        ),
        (
            {**GOOD, "received_at": "0001-01-01T00:00:00+14:00"},
            "body.received_at",
            "must be after 1900-01-01",
        ),
    ],
    ids=["nul-in-crux", "nul-in-help-requested", "received-at-year-1", "received-at-before-utc"],
)
def test_input_the_database_cannot_hold_is_422_not_500(intake, payload, field, reason):
    # On PostgreSQL these used to fail at COMMIT (NUL in text) or while converting to UTC
    # (OverflowError): a 500. Now each is a 422 naming the field, and nothing is written.
    p = intake
    r = p.intake.post(URL, json=payload, headers=p.headers("vera", **{"Idempotency-Key": "k-db"}))
    named = fields(assert_problem(r, 422))
    assert named.get(field, "").startswith(reason), named
    assert counts(p) == NOTHING


def test_complaint_id_with_nul_is_404_like_any_unknown_id(intake):
    r = intake.intake.get(f"{URL}/a%00b", headers=intake.headers("vera"))
    assert_problem(r, 404)


def test_received_at_just_now_with_offset_is_accepted(sqlite_intake):
    p = sqlite_intake
    when = (datetime.now(UTC) - timedelta(hours=2)).astimezone(UTC).isoformat()
    r = p.intake.post(URL, json={**GOOD, "received_at": when}, headers=p.headers("vera"))
    assert r.status_code == 201, r.text
    assert counts(p) == {"complaints": 1, "outbox": 1, "idempotency": 0}


# ------------------------------------------------------------------ body size


def _big_body(size: int) -> bytes:
    return json.dumps({"channel": "hotline", "crux": "a" * size}).encode()


def test_body_over_the_limit_is_413_by_content_length(sqlite_intake):
    p = sqlite_intake
    big = _big_body(Settings().max_body_bytes + 10)
    r = p.intake.post(
        URL, content=big, headers=p.headers("vera", **{"Content-Type": "application/json"})
    )
    body = assert_problem(r, 413)
    assert fields(body) == {"body": f"larger than {Settings().max_body_bytes} bytes"}
    assert counts(p) == NOTHING


def test_chunked_body_over_the_limit_is_413(sqlite_intake):
    """No Content-Length at all (chunked transfer): the limit is enforced while streaming."""
    p = sqlite_intake
    big = _big_body(Settings().max_body_bytes + 10)

    def chunks():
        for i in range(0, len(big), 64 * 1024):
            yield big[i : i + 64 * 1024]

    r = p.intake.post(
        URL, content=chunks(), headers=p.headers("vera", **{"Content-Type": "application/json"})
    )
    assert "content-length" not in r.request.headers
    assert r.request.headers.get("transfer-encoding") == "chunked"
    body = assert_problem(r, 413)
    assert fields(body)["body"].startswith("larger than")
    assert r.headers.get("x-correlation-id")
    assert counts(p) == NOTHING


def test_lying_small_content_length_with_big_body_is_413(sqlite_intake):
    p = sqlite_intake
    big = _big_body(Settings().max_body_bytes + 10)
    r = p.intake.post(
        URL,
        content=big,
        headers=p.headers("vera", **{"Content-Type": "application/json", "Content-Length": "40"}),
    )
    assert r.request.headers["content-length"] == "40"
    assert_problem(r, 413)
    assert counts(p) == NOTHING


def test_non_numeric_content_length_is_refused(sqlite_intake):
    p = sqlite_intake
    r = p.intake.post(
        URL,
        content=json.dumps(GOOD).encode(),
        headers=p.headers("vera", **{"Content-Type": "application/json", "Content-Length": "-1"}),
    )
    assert r.status_code in (400, 413)
    assert r.headers["content-type"] == PROBLEM_JSON
    assert counts(p) == NOTHING


# ------------------------------------------------------------------ authentication and roles


def test_missing_token_is_401_with_a_challenge(sqlite_intake):
    p = sqlite_intake
    r = p.intake.post(URL, json=GOOD)
    assert_problem(r, 401)
    assert r.headers["www-authenticate"].startswith("Bearer")
    assert counts(p) == NOTHING


def _claims(intake, username: str, **overrides) -> dict:
    dev = intake.issuer.dev
    claims = dev.user_claims(dev.users[username])
    claims.update(overrides)
    return claims


@pytest.mark.parametrize("case", ["expired", "forged", "wrong_audience", "unknown_key", "garbage"])
def test_bad_token_is_401_naming_the_reason(sqlite_intake, case):
    p = sqlite_intake
    dev = p.issuer.dev
    now = int(time.time())
    if case == "expired":
        token = dev.sign(dev.user_claims(dev.users["vera"], now=now - 3600))
        reason = "expired"
    elif case == "forged":
        # Same kid as the real signing key, signed by a key the issuer never had.
        token = mint_token(_claims(p, "vera"), DevKey.generate(), kid=dev.signing_key.kid)
        reason = "bad_signature"
    elif case == "wrong_audience":
        token = dev.sign(_claims(p, "vera", aud="another-api"))
        reason = "wrong_audience"
    elif case == "unknown_key":
        token = mint_token(_claims(p, "vera"), DevKey.generate())
        reason = "unknown_key"
    else:
        token = "not.a.jwt"
        reason = "malformed"
    r = p.intake.post(URL, json=GOOD, headers={"Authorization": f"Bearer {token}"})
    body = assert_problem(r, 401)
    assert body["reason"] == reason
    assert reason in r.headers["www-authenticate"]
    assert 'error="invalid_token"' in r.headers["www-authenticate"]
    assert counts(p) == NOTHING


def test_analyst_may_not_register_a_complaint(sqlite_intake):
    p = sqlite_intake
    r = p.intake.post(URL, json=GOOD, headers=p.headers("anuar"))
    body = assert_problem(r, 403)
    assert "volunteer" in body["required_roles"]
    assert "analyst" not in body["required_roles"]
    assert counts(p) == NOTHING


def test_volunteer_may_not_register_for_another_office(sqlite_intake):
    intake = sqlite_intake
    r = intake.intake.post(
        URL,
        json={**GOOD, "office": "astana"},
        headers=intake.headers("vera", **{"Idempotency-Key": "k-office"}),
    )
    body = assert_problem(r, 403)
    assert fields(body) == {"body.office": "not your office"}
    assert counts(intake) == NOTHING
    # A coordinator may register for another office of the same tenant.
    ok = intake.intake.post(
        URL, json={**GOOD, "office": "astana"}, headers=intake.headers("kazbek")
    )
    assert ok.status_code == 201, ok.text
    assert ok.json()["office"] == "astana"


# ------------------------------------------------------------------ tenancy on reads


def test_another_tenants_complaint_is_indistinguishable_from_an_unknown_id(intake):
    created = intake.intake.post(URL, json=GOOD, headers=intake.headers("vera"))
    assert created.status_code == 201, created.text
    cid = created.json()["id"]

    own = intake.intake.get(f"{URL}/{cid}", headers=intake.headers("lena"))
    assert own.status_code == 200, own.text
    assert own.json()["crux"] == GOOD["crux"]

    foreign = intake.intake.get(f"{URL}/{cid}", headers=intake.headers("dana"))
    unknown_id = str(uuid.uuid4())
    unknown = intake.intake.get(f"{URL}/{unknown_id}", headers=intake.headers("dana"))
    a, b = assert_problem(foreign, 404), assert_problem(unknown, 404)
    assert a.pop("instance") == f"{URL}/{cid}"
    assert b.pop("instance") == f"{URL}/{unknown_id}"
    assert a == b
    assert GOOD["crux"] not in foreign.text
    assert set(foreign.headers) - {"x-correlation-id"} == set(unknown.headers) - {
        "x-correlation-id"
    }
    assert foreign.headers["content-length"] == str(len(foreign.content))


# ------------------------------------------------------------------ idempotency


def test_idempotent_replay_returns_the_first_answer_and_writes_nothing_new(intake):
    headers = intake.headers("vera", **{"Idempotency-Key": "retry-1"})
    body = {**GOOD, "anonymous": True}
    first = intake.intake.post(URL, json=body, headers=headers)
    assert first.status_code == 201, first.text
    assert RECEIPT.match(first.json()["receipt_code"])
    assert counts(intake) == {"complaints": 1, "outbox": 1, "idempotency": 1}

    again = intake.intake.post(URL, json=body, headers=headers)
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["location"] == first.headers["location"] == f"{URL}/{first.json()['id']}"
    assert counts(intake) == {"complaints": 1, "outbox": 1, "idempotency": 1}

    # The same key with a different body is a client error, not a silent replay.
    other = intake.intake.post(URL, json={**body, "crux": "something else"}, headers=headers)
    problem = assert_problem(other, 422)
    assert "header.Idempotency-Key" in fields(problem)
    assert counts(intake) == {"complaints": 1, "outbox": 1, "idempotency": 1}

    # The stored row holds neither the key nor the receipt code in clear.
    code = first.json()["receipt_code"]
    rt = intake.runtime
    with session_scope(rt.session_factory, all_tenants=True) as session:
        rows = session.execute(select(kernel_tables.idempotency)).mappings().all()
    stored = json.dumps([dict(r) for r in rows], default=str)
    assert "retry-1" not in stored
    assert code not in stored
    assert code.replace("-", "") not in stored
    assert first.json()["id"] not in stored


@pytest.mark.parametrize("key", ["", "has space", "x" * 256, "a/b", "semi;colon"])
def test_invalid_idempotency_key_is_400(sqlite_intake, key):
    p = sqlite_intake
    r = p.intake.post(URL, json=GOOD, headers=p.headers("vera", **{"Idempotency-Key": key}))
    body = assert_problem(r, 400)
    assert fields(body) == {"header.Idempotency-Key": "invalid format"}
    assert counts(p) == NOTHING


def test_same_idempotency_key_in_another_tenant_is_independent(intake):
    key = {"Idempotency-Key": "shared-key-42"}
    tk = intake.intake.post(URL, json=GOOD, headers=intake.headers("vera", **key))
    ndi = intake.intake.post(URL, json=GOOD, headers=intake.headers("nurlan", **key))
    assert tk.status_code == ndi.status_code == 201, (tk.text, ndi.text)
    assert tk.json()["id"] != ndi.json()["id"]
    assert ndi.json()["office"] == "shymkent"
    assert counts(intake) == {"complaints": 2, "outbox": 2, "idempotency": 2}
    # And each tenant still replays its own answer.
    replay = intake.intake.post(URL, json=GOOD, headers=intake.headers("nurlan", **key))
    assert replay.json() == ndi.json()
    assert counts(intake) == {"complaints": 2, "outbox": 2, "idempotency": 2}


# ------------------------------------------------------------ anonymous complaints, receipt codes


def test_anonymous_complaint_stores_only_locator_and_keyed_hash(intake):
    r = intake.intake.post(URL, json={**GOOD, "anonymous": True}, headers=intake.headers("vera"))
    assert r.status_code == 201, r.text
    code = r.json()["receipt_code"]
    assert RECEIPT.match(code), code
    locator, secret = receipts.split(code)
    assert len(secret) == 20

    rt = intake.runtime
    with session_scope(rt.session_factory, all_tenants=True) as session:
        row = session.execute(select(Complaint.__table__)).mappings().one()
        outbox = session.execute(select(kernel_tables.outbox)).mappings().all()
    assert row["receipt_locator"] == locator
    # An HMAC under the tenant's receipt key (wrapped by the master key, outside the database).
    assert row["receipt_hash"].startswith("hmac-sha256$1$")
    with session_scope(rt.session_factory, all_tenants=True) as session:
        _, key = vault.receipt_key(session=session, keys=rt.master_keys, tenant=row["tenant_id"])
    assert receipts.verify_keyed(secret, row["receipt_hash"], key)
    assert not receipts.verify_keyed(secret[::-1], row["receipt_hash"], key)
    assert not receipts.verify_keyed(secret, row["receipt_hash"], bytes(32))
    everything = json.dumps([dict(row), *[dict(o) for o in outbox]], default=str)
    assert secret not in everything
    for group in code.split("-")[1:]:
        assert group not in json.dumps(dict(row), default=str).replace(row["receipt_hash"], "")
    assert row["anonymous"] is True


def test_named_complaint_on_the_phone_gets_a_receipt_code_that_follows_it_up(sqlite_intake):
    # Whatever the channel: the volunteer reads the code out on the hotline.
    p = sqlite_intake
    r = p.intake.post(
        URL, json={**GOOD, "channel": "hotline", "contact": {"phone": "+7 701 000 11 22"}},
        headers=p.headers("vera"),
    )  # fmt: skip
    assert r.status_code == 201
    code = r.json()["receipt_code"]
    assert RECEIPT.match(code)
    status = p.intake.get("/v1/follow-up/status", headers={"Receipt-Code": code})
    assert status.status_code == 200, status.text
    assert status.json()["status"] == "received"
    # Each complaint its own code.
    again = p.intake.post(URL, json=GOOD, headers=p.headers("vera")).json()["receipt_code"]
    assert RECEIPT.match(again) and again != code


# ------------------------------------------------------------------ the complaint.received event


def test_complaint_received_event_matches_its_contract_and_carries_the_correlation_id(intake):
    correlation = "req-abc.123_XYZ"
    payload = {
        **GOOD,
        "anonymous": True,
        "area": "police",
        "request_type": "case",
        "complainant": {
            "type": "individual",
            "sex": "female",
            "age_band": "age_26_35",
            "region": "almaty_city",
        },
    }
    r = intake.intake.post(
        URL, json=payload, headers=intake.headers("vera", **{"X-Correlation-ID": correlation})
    )
    assert r.status_code == 201, r.text
    assert r.headers["x-correlation-id"] == correlation

    [event] = intake.events()
    default_registry().validate(event)  # raises ContractViolation if it breaks the contract
    assert event.type == "complaint.received"
    assert event.correlationid == correlation
    assert event.tenantid == "tk"
    assert event.subject == event.data["complaint_id"] == r.json()["id"]
    assert event.partitionkey == event.subject

    schema = json.loads(
        (default_registry().root / "events" / "complaint.received" / "v1.schema.json").read_text()
    )
    assert set(event.data) <= set(schema["properties"])
    assert set(event.data["complainant"]) <= set(schema["properties"]["complainant"]["properties"])
    flat = json.dumps(event.data).lower()
    for personal in ("name", "phone", "email", "receipt"):
        assert f'"{personal}' not in flat
    assert r.json()["receipt_code"] not in json.dumps(event.to_dict())
    assert event.data["complainant"]["pseudonym"]
