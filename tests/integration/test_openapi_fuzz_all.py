"""Schemathesis over every service's OpenAPI (in-process, SQLite) with a token of every role
and none: no 5xx, every answer a documented status and content type matching its schema,
every error a problem+json. A bounded number of examples per operation (the suite's short
version); `make verify` runs the same over HTTP with more (`--fuzz-examples`)."""

from __future__ import annotations

import pytest

from alac_kernel.auth.dev_issuer import DEMO_CLIENTS
from alac_kernel.testing.access import DEMO_CALLERS, seed_records
from alac_kernel.testing.openapi_fuzz import fuzz_openapi

pytestmark = pytest.mark.timeout(900)


def test_every_service_answers_generated_requests_of_every_role_as_documented(sqlite_platform):
    p = sqlite_platform
    partner = next(c for c in DEMO_CLIENTS if c.client_id == "partner-ndi")

    def headers_of(username: str) -> dict[str, str]:
        if username == partner.client_id:
            return {
                "Authorization": f"Bearer {p.issuer.dev.sign(p.issuer.dev.client_claims(partner))}"
            }
        return p.headers(username)

    def send(service, method, url, **kwargs):
        return p.clients[service].request(method, url, **kwargs)

    records = seed_records(send, headers_of, settle=p.pump, word="fuzzall")
    headers = [headers_of(username) for _, username, *_ in DEMO_CALLERS] + [{}]
    path_values = {
        name: [r.path_values[name] for r in records] for name in ("complaint_id", "case_id")
    }
    calls, statuses, failures = 0, set(), []
    for name, client in p.clients.items():
        report = fuzz_openapi(
            client.app.openapi(),
            send=client.request,
            headers=headers,
            path_values=path_values,
            max_examples=3,
        )
        calls += report.calls
        statuses |= set(report.statuses)
        failures += [f"{name}: {line}" for line in report.failures]

    assert failures == [], "\n".join(failures[:30])
    assert calls > 300
    assert any(200 <= s < 300 for s in statuses) and {401, 403} <= statuses
