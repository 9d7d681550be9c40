"""Channels without a staff login: the public web form (rate-limited, tenant and office from
the public_offices list) and partner systems with client-credentials tokens."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import text

from alac_kernel.auth.dev_issuer import DEMO_CLIENTS

PUBLIC = "/v1/public/complaints"
RECEIPT = re.compile(r"^[0-9A-HJKMNP-TV-Z]{5}(-[0-9A-HJKMNP-TV-Z]{5}){4}$")
FORM = {"tenant": "tk", "office": "astana", "crux": "Акимат требует деньги за справку."}


def _rows(intake, sql: str) -> list:
    engine = intake.runtime.engine
    with engine.connect() as conn:
        return conn.execute(text(sql)).mappings().all()


def test_web_form_without_login_registers_a_web_complaint_with_a_receipt(sqlite_intake):
    p = sqlite_intake
    r = p.intake.post(PUBLIC, json={**FORM, "anonymous": True})
    assert r.status_code == 201, r.text
    body = r.json()
    assert RECEIPT.match(body["receipt_code"]) and body["office"] == "astana"
    row = _rows(p, f"select * from complaints where id = '{body['id']}'")[0]
    assert (row["tenant_id"], row["channel"], row["registered_by"]) == (
        "tk",
        "web_form",
        "web-form",
    )
    # tk's staff see it; ndi's staff get the same 404 as for a missing one.
    assert (
        p.intake.get(f"/v1/complaints/{body['id']}", headers=p.headers("kazbek")).status_code == 200
    )
    assert (
        p.intake.get(f"/v1/complaints/{body['id']}", headers=p.headers("dana")).status_code == 404
    )


def test_web_form_contact_goes_to_the_vault(sqlite_intake):
    p = sqlite_intake
    r = p.intake.post(PUBLIC, json={**FORM, "contact": {"email": "a@example.kz"}})
    assert r.status_code == 201, r.text
    contact = p.intake.get(f"/v1/complaints/{r.json()['id']}/contact", headers=p.headers("kazbek"))
    assert contact.json()["email"] == "a@example.kz"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**FORM, "tenant": "nope"}, "body.tenant"),  # no such centre
        ({**FORM, "office": "shymkent"}, "body.office"),  # another centre's office
        ({**FORM, "office": "nowhere"}, "body.office"),
        ({**FORM, "channel": "hotline"}, "body.channel"),  # the channel is not the caller's
        ({k: v for k, v in FORM.items() if k != "office"}, "body.office"),
        ({**FORM, "anonymous": True, "contact": {"name": "A"}}, "body.contact"),
    ],
    ids=[
        "unknown-tenant",
        "other-tenants-office",
        "unknown-office",
        "channel",
        "no-office",
        "anon-contact",
    ],
)
def test_web_form_bad_input_is_422_naming_the_field_and_stores_nothing(sqlite_intake, body, field):
    p = sqlite_intake
    r = p.intake.post(PUBLIC, json=body, headers={"Accept-Language": "ru"})
    assert r.status_code == 422, r.text
    assert field in [e["field"] for e in r.json()["errors"]]
    assert _rows(p, "select count(*) as n from complaints")[0]["n"] == 0


def test_web_form_is_rate_limited_per_client_address(sqlite_intake):
    p = sqlite_intake
    p.runtime.limits.web_form.limit = 2
    for _ in range(2):
        assert p.intake.post(PUBLIC, json=FORM).status_code == 201
    r = p.intake.post(PUBLIC, json=FORM)
    assert r.status_code == 429
    assert r.headers["content-type"].startswith("application/problem+json")
    assert int(r.headers["Retry-After"]) >= 1
    assert _rows(p, "select count(*) as n from complaints")[0]["n"] == 2


def test_a_forged_x_forwarded_for_does_not_reset_the_web_form_limit(sqlite_intake):
    """Issue 11: the limiter trusted X-Forwarded-For from any client."""
    p = sqlite_intake
    p.runtime.limits.web_form.limit = 2
    for _ in range(2):
        assert p.intake.post(PUBLIC, json=FORM).status_code == 201
    forged = p.intake.post(PUBLIC, json=FORM, headers={"X-Forwarded-For": "198.51.100.7"})
    assert forged.status_code == 429
    assert _rows(p, "select count(*) as n from complaints")[0]["n"] == 2


def test_behind_a_trusted_proxy_the_forwarded_client_counts(sqlite_intake):
    p = sqlite_intake
    runtime = p.runtime
    runtime.limits.web_form.limit = 1
    runtime.settings.trusted_proxies = "testclient"  # the TestClient's peer is our "proxy"
    first = p.intake.post(PUBLIC, json=FORM, headers={"X-Forwarded-For": "198.51.100.7"})
    second = p.intake.post(PUBLIC, json=FORM, headers={"X-Forwarded-For": "198.51.100.8"})
    again = p.intake.post(PUBLIC, json=FORM, headers={"X-Forwarded-For": "198.51.100.7"})
    assert [first.status_code, second.status_code, again.status_code] == [201, 201, 429]


def test_replicas_share_one_web_form_budget(tmp_path):
    """Issue 11: each process counted on its own, so replicas multiplied the limit. Two intake
    apps on one database (as two replicas) now share the count."""
    from fastapi.testclient import TestClient

    from alac_cli.services import service_module
    from alac_kernel.settings import Settings
    from alac_kernel.testing.harness import TEST_ISSUER, InProcessIssuer

    issuer = InProcessIssuer(tmp_path / "keys")
    settings = Settings(data_dir=tmp_path, run_workers=False, auth_issuer=TEST_ISSUER)
    apps = [service_module("intake").create_app(settings, issuer.verifier()) for _ in range(2)]
    apps[0].state.runtime.migrate()
    for app in apps:
        app.state.runtime.limits.web_form.limit = 2
    with TestClient(apps[0]) as one, TestClient(apps[1]) as two:
        assert one.post(PUBLIC, json=FORM).status_code == 201
        assert two.post(PUBLIC, json=FORM).status_code == 201
        assert one.post(PUBLIC, json=FORM).status_code == 429
        assert two.post(PUBLIC, json=FORM).status_code == 429


def _partner_headers(p) -> dict[str, str]:
    # A real client_credentials grant at the in-process issuer's token endpoint.
    client = next(c for c in DEMO_CLIENTS if c.client_id == "partner-ndi")
    r = p.issuer.client.post(
        f"{p.issuer.issuer}/protocol/openid-connect/token",
        data={"grant_type": "client_credentials", "client_id": client.client_id,
              "client_secret": client.secret},
    )  # fmt: skip
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_partner_system_registers_in_its_tenant_with_channel_partner_api(sqlite_intake):
    p = sqlite_intake
    body = {"channel": "hotline", "crux": "Партнёр передаёт жалобу.", "office": "shymkent"}
    r = p.intake.post("/v1/complaints", json=body, headers=_partner_headers(p))
    assert r.status_code == 201, r.text
    row = _rows(p, f"select * from complaints where id = '{r.json()['id']}'")[0]
    assert (row["tenant_id"], row["office"], row["channel"]) == ("ndi", "shymkent", "partner_api")
    assert row["registered_by"] != ""
    assert RECEIPT.match(r.json()["receipt_code"])


@pytest.mark.parametrize(
    ("office", "field"),
    [(None, "body.office"), ("almaty", "body.office")],
    ids=["none", "tk-office"],
)
def test_partner_must_name_an_office_of_its_own_tenant(sqlite_intake, office, field):
    p = sqlite_intake
    body = {"channel": "hotline", "crux": "x", **({"office": office} if office else {})}
    r = p.intake.post("/v1/complaints", json=body, headers=_partner_headers(p))
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == field
    assert _rows(p, "select count(*) as n from complaints")[0]["n"] == 0


def test_web_form_crux_without_visible_text_is_422_not_500(sqlite_intake):
    # Found by the schemathesis run: an unassigned code point passed the form's own model.
    p = sqlite_intake
    r = p.intake.post(
        PUBLIC, json={**FORM, "crux": "\U00048d32"}, headers={"Accept-Language": "ru"}
    )
    assert r.status_code == 422, r.text
    assert r.json()["errors"] == [{"field": "body.crux", "reason": "должно содержать текст"}]
    assert _rows(p, "select count(*) as n from complaints")[0]["n"] == 0
