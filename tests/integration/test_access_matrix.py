"""Every endpoint of every service's OpenAPI x every role (and anonymous, another tenant,
another office), in-process: each answer matches the permission matrix
(alac_kernel.testing.access.MATRIX), never a 5xx, never a record the caller may not see.
`make verify` runs the same probe over HTTP against the services as processes."""

from __future__ import annotations

from alac_kernel.auth.dev_issuer import DEMO_CLIENTS
from alac_kernel.testing.access import demo_callers, probe_access, seed_records


def test_every_endpoint_answers_every_role_as_the_matrix_says(sqlite_platform):
    p = sqlite_platform
    partner = next(c for c in DEMO_CLIENTS if c.client_id == "partner-ndi")

    def headers_of(username: str) -> dict[str, str]:
        if username == partner.client_id:
            token = p.issuer.dev.sign(p.issuer.dev.client_claims(partner))
            return {"Authorization": f"Bearer {token}"}
        return p.headers(username)

    def send(service, method, url, **kwargs):
        return p.clients[service].request(method, url, **kwargs)

    records = seed_records(send, headers_of, settle=p.pump, word="akimatmatrix")
    openapis = {name: client.get("/openapi.json").json() for name, client in p.clients.items()}
    report = probe_access(openapis, send, demo_callers(headers_of), records, "akimatmatrix")

    assert report.unlisted == []
    assert report.failures == [], "\n".join(report.failures[:40])
    # every operation of the four services, every caller, each record for reads of one
    assert report.operations >= 110
    assert report.tried >= report.operations * 12
