"""Partner systems on the embedded provider: a tenant admin registers one (an OAuth client at
the development issuer, client credentials, secret shown once, rotation with a grace period);
it reads the complaints it submitted and nothing else; its events come in order from the feed
(signed cursors, long polling) and as signed webhooks to a real HTTPS receiver on loopback.
The Keycloak side of registration is in tests/keycloak/test_keycloak_partners.py."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import threading
import time
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import text
from standardwebhooks.webhooks import Webhook

from alac_intake.handlers import WEBHOOK_SAFETY_NET_S, deliver_webhooks
from alac_intake.partners import webhooks
from alac_intake.partners.identity import DevIssuerPartnerClients
from alac_intake.partners.webhooks import DueWebhooks, WebhookPolicy, deliver_due
from alac_kernel.auth.dev_issuer import DEMO_CLIENTS
from alac_kernel.runtime import run_woken
from alac_kernel.testing.https_receiver import HttpsReceiver

COMPLAINT = {"channel": "hotline", "crux": "Партнёр передаёт жалобу.", "office": "almaty"}


# ------------------------------------------------------------------ helpers


def _reaching_the_issuer(intake):
    """The intake service reaches the in-process issuer's admin interface."""
    intake.runtime.partner_clients = DevIssuerPartnerClients(
        intake.issuer.issuer, grace_s=3600, http=intake.issuer.client
    )
    return intake


@pytest.fixture
def p(sqlite_intake):
    return _reaching_the_issuer(sqlite_intake)


@pytest.fixture
def both(intake):
    """The same on SQLite and on PostgreSQL."""
    return _reaching_the_issuer(intake)


def token_grant(p, client_id: str, secret: str) -> httpx.Response:
    return p.issuer.client.post(
        f"{p.issuer.issuer}/protocol/openid-connect/token",
        data={"grant_type": "client_credentials"},
        auth=(client_id, secret),
    )


def bearer(p, client_id: str, secret: str) -> dict[str, str]:
    r = token_grant(p, client_id, secret)
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def register(p, client_id: str, admin: str = "tamara") -> dict:
    r = p.intake.post(
        "/v1/partners",
        json={"client_id": client_id, "name": f"Partner {client_id}"},
        headers=p.headers(admin),
    )
    assert r.status_code == 201, r.text
    return r.json()


def submit(p, headers, **extra) -> str:
    r = p.intake.post("/v1/complaints", json={**COMPLAINT, **extra}, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()["id"]


def demo_partner(p) -> dict[str, str]:
    client = next(c for c in DEMO_CLIENTS if c.client_id == "partner-ndi")
    return bearer(p, client.client_id, client.secret)


def policy_for(receiver: HttpsReceiver, **overrides) -> WebhookPolicy:
    values = {"allow_loopback": True, "ca_file": str(receiver.ca_file), "backoff_s": 0.0,
              "timeout_s": 5.0, **overrides}  # fmt: skip
    return WebhookPolicy(**values)


def deliver(p, policy: WebhookPolicy) -> int:
    rt = p.runtime
    return deliver_due(rt.session_factory, rt.master_keys, rt.contracts, policy)


@pytest.fixture
def receiver(tmp_path):
    made = HttpsReceiver(tmp_path / "receiver")
    yield made
    made.close()


# ------------------------------------------------------------------ registration


def test_tenant_admin_registers_a_partner_whose_secret_gets_a_token_of_its_tenant(p):
    body = register(p, "aktobe-watch")
    assert body["client_secret"] and body["token_url"].endswith("/protocol/openid-connect/token")
    assert body["origin"] == "registered"
    token = token_grant(p, "aktobe-watch", body["client_secret"]).json()["access_token"]
    principal = p.issuer.verifier().verify(token)
    assert (principal.tenant, principal.client_id) == ("tk", "aktobe-watch")
    assert principal.has_any("partner")
    assert not principal.has_any("volunteer", "lawyer", "coordinator", "tenant-admin")
    # The secret is shown once: never in a later read or listing.
    listed = p.intake.get("/v1/partners", headers=p.headers("tamara")).json()
    assert [x["client_id"] for x in listed] == ["aktobe-watch"]
    assert body["client_secret"] not in json.dumps(listed)
    one = p.intake.get(f"/v1/partners/{body['id']}", headers=p.headers("tamara")).json()
    assert "client_secret" not in one
    # Nor in the issuer's file (a digest only).
    stored = (p.issuer.app.state.dev_issuer.registry.path).read_text()
    assert body["client_secret"] not in stored


def test_only_a_tenant_admin_registers_and_bad_input_names_the_field(p):
    r = p.intake.post(
        "/v1/partners", json={"client_id": "x-partner", "name": "X"}, headers=p.headers("lena")
    )
    assert r.status_code == 403
    r = p.intake.post(
        "/v1/partners", json={"client_id": "Bad Id!", "name": "X"}, headers=p.headers("tamara")
    )
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["errors"][0]["field"] == "body.client_id"
    register(p, "dup-partner")
    r = p.intake.post(
        "/v1/partners", json={"client_id": "dup-partner", "name": "X"}, headers=p.headers("tamara")
    )
    assert r.status_code == 409 and r.json()["errors"][0]["field"] == "body.client_id"
    # A demo client's id is taken at the provider: 409, nothing recorded.
    r = p.intake.post(
        "/v1/partners", json={"client_id": "partner-ndi", "name": "X"}, headers=p.headers("tamara")
    )
    assert r.status_code == 409
    assert len(p.intake.get("/v1/partners", headers=p.headers("tamara")).json()) == 1


def test_provider_unreachable_answers_503_with_retry_after_and_records_nothing(p):
    runtime = p.runtime
    runtime.partner_clients = DevIssuerPartnerClients(
        "http://127.0.0.1:9/realms/alac-dev", grace_s=60
    )  # nothing listens on the discard port
    r = p.intake.post(
        "/v1/partners",
        json={"client_id": "later-partner", "name": "X"},
        headers=p.headers("tamara"),
    )
    assert r.status_code == 503 and r.headers["retry-after"] == "30"
    assert r.headers["content-type"] == "application/problem+json"
    assert p.intake.get("/v1/partners", headers=p.headers("tamara")).json() == []


def test_secret_rotation_keeps_the_previous_secret_for_the_grace_period_only(p):
    first = register(p, "rotating-partner")
    r = p.intake.post(f"/v1/partners/{first['id']}/secret", headers=p.headers("tamara"))
    assert r.status_code == 200, r.text
    second = r.json()
    assert second["client_secret"] != first["client_secret"]
    assert second["previous_secret_valid_for_s"] == 3600
    # Both work during the grace period: the partner switches without a failed request.
    assert token_grant(p, "rotating-partner", first["client_secret"]).status_code == 200
    assert token_grant(p, "rotating-partner", second["client_secret"]).status_code == 200
    # After the grace period only the new one.
    registry = p.issuer.app.state.dev_issuer.registry
    real_time = time.time
    try:
        time.time = lambda: real_time() + 3601  # type: ignore[assignment]
        assert token_grant(p, "rotating-partner", first["client_secret"]).status_code == 401
        assert token_grant(p, "rotating-partner", second["client_secret"]).status_code == 200
    finally:
        time.time = real_time  # type: ignore[assignment]
    assert registry.get("rotating-partner") is not None


def test_revoked_partner_gets_no_token(p):
    body = register(p, "gone-partner")
    r = p.intake.delete(f"/v1/partners/{body['id']}", headers=p.headers("tamara"))
    assert r.status_code == 204
    assert token_grant(p, "gone-partner", body["client_secret"]).status_code == 401
    one = p.intake.get(f"/v1/partners/{body['id']}", headers=p.headers("tamara")).json()
    assert one["active"] is False


# ------------------------------------------------------------------ its own complaints only


def test_partner_reads_its_own_complaints_and_gets_404_for_any_other(both):
    p = both
    a = register(p, "partner-a")
    b = register(p, "partner-b")
    ha = bearer(p, "partner-a", a["client_secret"])
    hb = bearer(p, "partner-b", b["client_secret"])
    mine = submit(p, ha)
    theirs = submit(p, hb)
    staff = submit(p, p.headers("vera"))
    other_tenant = submit(p, demo_partner(p), office="shymkent")

    r = p.intake.get(f"/v1/complaints/{mine}", headers=ha)
    assert r.status_code == 200, r.text
    assert r.json() == {
        "id": mine,
        "office": "almaty",
        "received_at": r.json()["received_at"],
        "status": "received",
    }  # no text, no profile, nothing staff added
    for other in (theirs, staff, other_tenant, "00000000-0000-4000-8000-000000000000"):
        r = p.intake.get(f"/v1/complaints/{other}", headers=ha)
        assert r.status_code == 404, (other, r.text)
        assert r.headers["content-type"] == "application/problem+json"
    assert [c["id"] for c in p.intake.get("/v1/partner/complaints", headers=ha).json()] == [mine]
    # Everything else stays closed to a partner, as before.
    assert p.intake.get(f"/v1/complaints/{mine}/contact", headers=ha).status_code == 403
    assert p.intake.get("/v1/partners", headers=ha).status_code == 403


def test_partner_sees_the_status_the_complainant_sees(p):
    a = register(p, "status-partner")
    ha = bearer(p, "status-partner", a["client_secret"])
    mine = submit(p, ha)
    p.open_case(mine)  # cases opens the case in triage; intake learns it
    assert p.intake.get(f"/v1/complaints/{mine}", headers=ha).json()["status"] == "under_review"


# ------------------------------------------------------------------ the feed


def feed(p, headers, **params) -> dict:
    r = p.intake.get("/v1/feed", params=params, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def test_feed_is_ordered_replayable_and_resumable_from_any_cursor(both):
    p = both
    a = register(p, "feed-partner")
    ha = bearer(p, "feed-partner", a["client_secret"])
    first, second = submit(p, ha), submit(p, ha)
    p.open_case(first)
    p.open_case(second)
    page = feed(p, ha)
    types = [(e["type"], e["data"]["complaint_id"]) for e in page["events"]]
    assert types[:2] == [
        ("partner.complaint_received", first),
        ("partner.complaint_received", second),
    ]
    assert sorted(types[2:]) == sorted(
        [("partner.case_status_changed", first), ("partner.case_status_changed", second)]
    )
    assert [e["aggregateversion"] for e in page["events"]] == [1, 2, 3, 4]
    for event in page["events"]:
        assert event["subject"] == a["id"] and event["tenantid"] == "tk"
        # No free text, no personal data: the crux the partner sent is not echoed anywhere.
        assert "Партнёр" not in json.dumps(event, ensure_ascii=False)
    # Resumable from any cursor: a cursor after the first event gives the other three.
    one = feed(p, ha, limit=1)
    assert [e["id"] for e in one["events"]] == [page["events"][0]["id"]]
    rest = feed(p, ha, after=one["next"])
    assert [e["id"] for e in rest["events"]] == [e["id"] for e in page["events"][1:]]
    # Replayable: from the beginning again, the same events.
    assert feed(p, ha)["events"] == page["events"]
    # At the end: an empty page and a cursor to wait on.
    end = feed(p, ha, after=page["next"])
    assert end["events"] == [] and end["next"]


def test_feed_cursor_edited_or_of_another_partner_is_400_naming_the_parameter(p):
    a, b = register(p, "cursor-a"), register(p, "cursor-b")
    ha, hb = bearer(p, "cursor-a", a["client_secret"]), bearer(p, "cursor-b", b["client_secret"])
    submit(p, ha)
    cursor = feed(p, ha)["next"]
    for bad, headers in ((cursor[:-2] + "xx", ha), (cursor, hb), ("garbage", ha)):
        r = p.intake.get("/v1/feed", params={"after": bad}, headers=headers)
        assert r.status_code == 400, r.text
        assert r.json()["errors"][0]["field"] == "query.after"
    r = p.intake.get("/v1/feed", params={"wait": 31}, headers=ha)
    assert r.status_code == 422


def test_feed_is_per_partner_and_per_tenant(p):
    a, b = register(p, "iso-a"), register(p, "iso-b")
    ha, hb = bearer(p, "iso-a", a["client_secret"]), bearer(p, "iso-b", b["client_secret"])
    submit(p, ha)
    submit(p, demo_partner(p), office="shymkent")
    assert len(feed(p, ha)["events"]) == 1
    assert feed(p, hb)["events"] == []
    ndi = feed(p, demo_partner(p))["events"]
    assert [e["tenantid"] for e in ndi] == ["ndi"]
    # Staff have no feed.
    assert p.intake.get("/v1/feed", headers=p.headers("tamara")).status_code == 403


def test_long_poll_answers_when_an_event_arrives(p):
    a = register(p, "poll-partner")
    ha = bearer(p, "poll-partner", a["client_secret"])
    cursor = feed(p, ha)["next"]
    answer: dict = {}

    def wait() -> None:
        answer["page"] = feed(p, ha, after=cursor, wait=20)

    waiter = threading.Thread(target=wait)
    waiter.start()
    time.sleep(0.5)
    assert "page" not in answer  # still waiting: nothing happened yet
    submitted = submit(p, ha)
    waiter.join(timeout=20)
    assert [e["data"]["complaint_id"] for e in answer["page"]["events"]] == [submitted]


def test_long_poll_with_nothing_new_answers_an_empty_page_after_wait(p):
    a = register(p, "quiet-partner")
    ha = bearer(p, "quiet-partner", a["client_secret"])
    page = feed(p, ha, wait=0.5)
    assert page["events"] == [] and page["next"]


# ------------------------------------------------------------------ webhooks


def subscribe(p, headers, url: str, types=("partner.complaint_received",)) -> dict:
    r = p.intake.post(
        "/v1/webhooks", json={"url": url, "event_types": list(types)}, headers=headers
    )
    assert r.status_code == 201, r.text
    return r.json()


@pytest.fixture
def loopback_allowed(p, receiver):
    p.runtime.webhook_policy = policy_for(receiver)
    return receiver


def test_webhook_is_delivered_signed_to_a_real_https_receiver(p, loopback_allowed):
    receiver = loopback_allowed
    a = register(p, "hook-partner")
    ha = bearer(p, "hook-partner", a["client_secret"])
    sub = subscribe(p, ha, receiver.url)
    assert sub["secret"].startswith("whsec_")
    complaint = submit(p, ha)
    before = delivered_count(p)
    # The worker's own pass (the intake worker runs it when woken), with its settings.
    assert deliver_webhooks(p.runtime) == 1
    [got] = receiver.received
    # Verified with the Standard Webhooks library, as a receiver would.
    payload = Webhook(sub["secret"]).verify(got.body, got.headers)
    assert payload["type"] == "partner.complaint_received"
    assert payload["data"]["complaint_id"] == complaint
    assert got.headers["webhook-id"] == payload["id"]
    # And by hand, per the specification: v1,<base64 HMAC-SHA256 of "id.timestamp.body">.
    key = base64.b64decode(sub["secret"].removeprefix("whsec_"))
    signed = f"{got.headers['webhook-id']}.{got.headers['webhook-timestamp']}.".encode() + got.body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    assert got.headers["webhook-signature"] == f"v1,{expected}"
    # A tampered body fails verification.
    with pytest.raises(Exception, match="signature"):
        Webhook(sub["secret"]).verify(got.body.replace(b"received", b"RECEIVED"), got.headers)
    log = p.intake.get(f"/v1/webhooks/{sub['id']}/deliveries", headers=ha).json()
    assert [(x["outcome"], x["status_code"], x["attempt"]) for x in log] == [("delivered", 200, 1)]
    # Counted for Prometheus (intake's /metrics).
    assert delivered_count(p) == before + 1
    # Nothing left to send.
    assert deliver(p, policy_for(receiver)) == 0


def test_the_intake_worker_delivers_when_a_delivery_is_queued_not_on_a_timer(p, loopback_allowed):
    receiver = loopback_allowed
    task = {t.name: t for t in p.runtime.periodic}["webhooks"]
    assert task.run is deliver_webhooks and task.wake is not None
    assert task.interval_s == WEBHOOK_SAFETY_NET_S == 60.0  # a look for a missed ring only
    wakes = task.wake(p.runtime)
    passes: list[int] = []
    stop = threading.Event()

    def one_pass() -> None:
        passes.append(deliver_webhooks(p.runtime))

    # The worker's loop with a safety net of an hour: only the doorbell can wake it in time.
    worker = threading.Thread(
        target=run_woken, args=("webhooks", one_pass, wakes, stop, 3600.0), daemon=True
    )
    worker.start()
    try:
        a = register(p, "prompt-partner")
        ha = bearer(p, "prompt-partner", a["client_secret"])
        subscribe(p, ha, receiver.url)
        complaint = submit(p, ha)
        deadline = time.monotonic() + 30
        # Until the worker's pass has recorded the delivery, not only until the receiver has
        # it: on a loaded machine the row is still leased in between.
        while sum(passes) < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [json.loads(r.body)["data"]["complaint_id"] for r in receiver.received] == [
            complaint
        ]
        assert wakes.next_due_in_s() is None  # nothing waits: the worker sleeps
    finally:
        stop.set()
        wakes.doorbell.ring_local()
        worker.join(timeout=10)
    assert not worker.is_alive()
    assert passes[0] == 0 and sum(passes) == 1  # started idle; one pass delivered it


def test_the_worker_sleeps_until_a_retry_falls_due_and_a_disabled_subscription_waits(
    p, loopback_allowed
):
    receiver = loopback_allowed
    receiver.answers = [500]
    a = register(p, "backoff-partner")
    ha = bearer(p, "backoff-partner", a["client_secret"])
    sub = subscribe(p, ha, receiver.url)
    wakes = DueWebhooks(p.runtime.read_session_factory)
    assert wakes.next_due_in_s() is None
    rung = wakes.doorbell.generation
    submit(p, ha)
    assert wakes.doorbell.generation != rung  # queuing a delivery rings
    assert wakes.next_due_in_s() == 0.0
    assert deliver(p, policy_for(receiver, backoff_s=120.0)) == 1  # answered 500
    assert 0 < wakes.next_due_in_s() <= 120  # asleep until the retry
    disabled = p.intake.patch(f"/v1/webhooks/{sub['id']}", json={"status": "disabled"}, headers=ha)
    assert disabled.status_code == 200, disabled.text
    assert wakes.next_due_in_s() is None  # its deliveries wait for it to be enabled
    rung = wakes.doorbell.generation
    enabled = p.intake.patch(f"/v1/webhooks/{sub['id']}", json={"status": "active"}, headers=ha)
    assert enabled.status_code == 200, enabled.text
    assert wakes.doorbell.generation != rung  # enabling rings
    assert 0 < wakes.next_due_in_s() <= 120


def test_signature_matches_the_standard_webhooks_test_vector():
    # The specification's published example (standard-webhooks, spec/standard-webhooks.md).
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    at = datetime.fromtimestamp(1614265330, UTC)
    headers = webhooks.signed_headers(
        secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", '{"test": 2432232314}', at
    )
    assert headers["webhook-signature"] == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    assert headers["webhook-timestamp"] == "1614265330"


def test_failed_delivery_is_retried_with_exponential_backoff(p, loopback_allowed):
    receiver = loopback_allowed
    receiver.answers = [500, 503]
    a = register(p, "retry-partner")
    ha = bearer(p, "retry-partner", a["client_secret"])
    sub = subscribe(p, ha, receiver.url)
    submit(p, ha)
    policy = policy_for(receiver, backoff_s=60.0)
    assert deliver(p, policy) == 1
    assert deliver(p, policy) == 0  # not due yet: the next attempt waits 60 s
    rows = _deliveries(p)
    assert rows[0]["attempts"] == 1 and rows[0]["state"] == "pending"
    first_wait = rows[0]["next_attempt_at"]
    _make_due(p)
    assert deliver(p, policy) == 1
    second_wait = _deliveries(p)[0]["next_attempt_at"]
    _make_due(p)
    assert deliver(p, policy) == 1
    assert policy.backoff(1) == 60 and policy.backoff(2) == 120 and policy.backoff(3) == 240
    assert first_wait and second_wait
    log = p.intake.get(f"/v1/webhooks/{sub['id']}/deliveries", headers=ha).json()
    assert [(x["attempt"], x["outcome"], x["status_code"]) for x in reversed(log)] == [
        (1, "retry", 500),
        (2, "retry", 503),
        (3, "delivered", 200),
    ]
    # Every attempt of one event carries the same webhook-id (receivers dedupe by it).
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 1


def test_timeout_is_logged_and_retried(p, loopback_allowed):
    receiver = loopback_allowed
    receiver.delay_s = 1.5
    a = register(p, "slow-partner")
    ha = bearer(p, "slow-partner", a["client_secret"])
    sub = subscribe(p, ha, receiver.url)
    submit(p, ha)
    assert deliver(p, policy_for(receiver, timeout_s=0.5)) == 1
    receiver.delay_s = 0
    _make_due(p)
    assert deliver(p, policy_for(receiver)) == 1
    log = p.intake.get(f"/v1/webhooks/{sub['id']}/deliveries", headers=ha).json()
    assert [(x["outcome"], x["error"]) for x in reversed(log)] == [
        ("retry", "timeout"),
        ("delivered", None),
    ]


def test_repeated_failure_disables_the_subscription_emits_an_event_and_replay_resends(
    both, receiver
):
    p = both
    p.runtime.webhook_policy = policy_for(receiver)
    receiver.answers = [500] * 3
    a = register(p, "flaky-partner")
    ha = bearer(p, "flaky-partner", a["client_secret"])
    sub = subscribe(p, ha, receiver.url)
    watcher = subscribe(p, ha, receiver.url, types=("partner.webhook_disabled",))
    first = submit(p, ha)
    policy = policy_for(receiver, disable_after=3)
    for _ in range(3):
        _make_due(p)
        deliver(p, policy)
    state = p.intake.get(f"/v1/webhooks/{sub['id']}", headers=ha).json()
    assert state["status"] == "disabled" and state["consecutive_failures"] == 3
    events = feed(p, ha)["events"]
    assert events[-1]["type"] == "partner.webhook_disabled"
    assert events[-1]["data"]["subscription_id"] == sub["id"]
    assert events[-1]["data"]["last_error"] == "HTTP 500"
    # The watcher subscription got that event; the disabled one gets nothing while disabled.
    receiver.received.clear()
    second = submit(p, ha)
    _make_due(p)
    deliver(p, policy)
    assert [json.loads(r.body)["type"] for r in receiver.received] == ["partner.webhook_disabled"]
    assert watcher["id"] != sub["id"]
    # Enabled again: what waited goes out (the first complaint's delivery and the second's).
    receiver.received.clear()
    r = p.intake.patch(f"/v1/webhooks/{sub['id']}", json={"status": "active"}, headers=ha)
    assert r.status_code == 200 and r.json()["status"] == "active"
    _make_due(p)
    deliver(p, policy)
    got = [json.loads(x.body)["data"]["complaint_id"] for x in receiver.received]
    assert got == [first, second]
    # Manual replay from any point: after the first event's cursor, only the second again.
    cursor_after_first = feed(p, ha, limit=1)["next"]
    receiver.received.clear()
    r = p.intake.post(f"/v1/webhooks/{sub['id']}/replay", json={"after": cursor_after_first},
                      headers=ha)  # fmt: skip
    assert r.status_code == 202 and r.json() == {"queued": 1}
    deliver(p, policy)
    assert [json.loads(x.body)["data"]["complaint_id"] for x in receiver.received] == [second]
    # From the beginning: both.
    receiver.received.clear()
    r = p.intake.post(f"/v1/webhooks/{sub['id']}/replay", json={"after": None}, headers=ha)
    assert r.json() == {"queued": 2}
    deliver(p, policy)
    assert len(receiver.received) == 2


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://partner.example.org/hook", "https"),
        ("https://127.0.0.1/hook", "non-public"),
        ("https://10.1.2.3/hook", "non-public"),
        ("https://192.168.0.10/hook", "non-public"),
        ("https://169.254.169.254/latest", "non-public"),
        ("https://[::1]/hook", "non-public"),
        ("https://[fe80::1]/hook", "non-public"),
        ("https://user:pw@partner.example.org/hook", "credentials"),
        ("https://no-such-host.invalid/hook", "does not resolve"),
    ],
)
def test_webhook_url_rules_refuse_with_the_field_named(p, url, reason):
    p.runtime.webhook_policy = WebhookPolicy()  # production rules
    headers = demo_partner(p)
    r = p.intake.post(
        "/v1/webhooks", json={"url": url, "event_types": ["partner.complaint_received"]},
        headers=headers,
    )  # fmt: skip
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == "body.url"
    assert reason in r.json()["errors"][0]["reason"]


def test_url_rule_accepts_a_public_address_and_unknown_event_types_are_refused(p):
    # A resolver stub stands in for DNS (no network here): the rule reads what it answers.
    policy = WebhookPolicy(
        resolve=lambda host, port, type: [(2, 1, 6, "", ("93.184.215.14", port))]
    )
    webhooks.check_url("https://partner.example.org/hook", policy)
    p.runtime.webhook_policy = policy
    r = p.intake.post(
        "/v1/webhooks", json={"url": "https://partner.example.org/h", "event_types": ["case.opened"]},
        headers=demo_partner(p),
    )  # fmt: skip
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body.event_types"


def test_loopback_setting_is_refused_in_production(monkeypatch):
    monkeypatch.setenv("ALAC_WEBHOOK_ALLOW_LOOPBACK", "1")
    with pytest.raises(ValueError, match="production"):
        WebhookPolicy.from_env(production=True)
    assert WebhookPolicy.from_env(production=False).allow_loopback is True


def test_webhook_secret_is_sealed_at_rest(p, loopback_allowed):
    sub = subscribe(p, demo_partner(p), loopback_allowed.url)
    with p.runtime.engine.connect() as conn:
        stored = conn.execute(text("select secret_sealed from webhook_subscriptions")).scalar()
    assert sub["secret"] not in stored and sub["secret"].removeprefix("whsec_") not in stored


# ------------------------------------------------------------------ helpers (database)


def delivered_count(p) -> float:
    metrics = p.intake.get("/metrics").text
    found = re.search(r'^alac_webhook_attempts_total\{outcome="delivered"\} (\S+)$', metrics, re.M)
    return float(found.group(1)) if found else 0.0


def _deliveries(p) -> list:
    with p.runtime.engine.connect() as conn:
        return (
            conn.execute(text("select * from webhook_deliveries order by created_at"))
            .mappings()
            .all()
        )


def _make_due(p) -> None:
    with p.runtime.engine.begin() as conn:
        conn.execute(text("update webhook_deliveries set next_attempt_at = '2000-01-01 00:00:00'"))
