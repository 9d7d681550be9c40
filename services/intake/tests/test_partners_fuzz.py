"""Schemathesis over the partner operations of intake's OpenAPI (the general intake fuzz test
covers the rest): as a tenant admin, as a registered partner, as another tenant's partner, as
staff and as nobody, every answer is no 5xx and within the documented codes and schemas."""

from __future__ import annotations

import pytest

from alac_intake.partners.identity import DevIssuerPartnerClients
from alac_intake.partners.webhooks import WebhookPolicy
from alac_kernel.auth.dev_issuer import DEMO_CLIENTS
from alac_kernel.testing.openapi_fuzz import fuzz_openapi

PARTNER_PATHS = ("/v1/partners", "/v1/partner/", "/v1/webhooks", "/v1/feed")


def _token(p, client_id: str, secret: str) -> dict[str, str]:
    r = p.issuer.client.post(
        f"{p.issuer.issuer}/protocol/openid-connect/token",
        data={"grant_type": "client_credentials"},
        auth=(client_id, secret),
    )
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


@pytest.mark.long
def test_partner_api_answers_within_its_schema(sqlite_intake):
    p = sqlite_intake
    runtime = p.runtime
    runtime.partner_clients = DevIssuerPartnerClients(p.issuer.issuer, 60, http=p.issuer.client)
    # No DNS here: every host "resolves" to a public address, so valid URLs are accepted.
    runtime.webhook_policy = WebhookPolicy(
        resolve=lambda host, port, type: [(2, 1, 6, "", ("93.184.215.14", port))]
    )
    made = p.intake.post(
        "/v1/partners", json={"client_id": "fuzz-partner", "name": "Fuzz"},
        headers=p.headers("tamara"),
    ).json()  # fmt: skip
    partner = _token(p, "fuzz-partner", made["client_secret"])
    demo = next(c for c in DEMO_CLIENTS if c.client_id == "partner-ndi")
    other = _token(p, demo.client_id, demo.secret)
    complaint = p.intake.post(
        "/v1/complaints", json={"channel": "hotline", "crux": "x", "office": "almaty"},
        headers=partner,
    ).json()["id"]  # fmt: skip
    sub = p.intake.post(
        "/v1/webhooks",
        json={
            "url": "https://partner.example.org/h",
            "event_types": ["partner.complaint_received"],
        },
        headers=partner,
    ).json()["id"]

    openapi = p.intake.get("/openapi.json").json()
    report = fuzz_openapi(
        openapi,
        send=lambda **kw: p.intake.request(**kw),
        headers=[p.headers("tamara"), partner, other, p.headers("vera"), {}],
        path_values={
            "partner_id": [made["id"]],
            "subscription_id": [sub],
            "complaint_id": [complaint],
        },
        max_examples=10,
        skip=lambda method, path: (
            not (path.startswith(PARTNER_PATHS) or path == "/v1/complaints/{complaint_id}")
            or (method == "GET" and path == "/v1/feed")
        ),  # long polling: covered in test_partners
    )
    assert report.failures == [], "\n\n".join(report.failures)
    assert report.calls > 100
    assert report.statuses.get(200, 0) > 0 and report.statuses.get(201, 0) > 0
