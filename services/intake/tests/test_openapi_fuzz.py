"""Schemathesis over intake's OpenAPI, against the in-process app (SQLite, real tokens), through
the kernel's shared `fuzz_openapi`: positive and negative data for every operation, with
path ids that sometimes exist (a complaint, its attachment) so the happy paths are reached.
Every response must be no 5xx and within the documented status codes, content types and
schemas. Bounded examples per operation and mode so the run stays short.

The partner operations and the failed complainant e-mails are fuzzed by tests of their own
(test_partners_fuzz.py, test_progress_failed_mail.py) as the callers who may use them (a
tenant admin, a registered partner) with ids that exist; here they would only be refused, so
they are left to those tests. The long-polling feed, which the partner fuzz leaves out, stays."""

from __future__ import annotations

import pytest
from test_partners_fuzz import PARTNER_PATHS

from alac_kernel.testing.openapi_fuzz import fuzz_openapi

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.mark.long
def test_intake_api_answers_within_its_schema(sqlite_intake):
    p = sqlite_intake
    # Generous rate limit: the fuzzer submits many web forms from one address.
    p.runtime.limits.web_form.limit = 10_000
    created = p.intake.post(
        "/v1/complaints", json={"channel": "hotline", "crux": "Исходная жалоба"},
        headers=p.headers("vera"),
    )  # fmt: skip
    complaint_id = created.json()["id"]
    attached = p.intake.post(
        f"/v1/complaints/{complaint_id}/attachments", content=PDF,
        headers=p.headers("vera", **{"Content-Type": "application/pdf"}),
    )  # fmt: skip
    assert attached.status_code == 201

    openapi = p.intake.get("/openapi.json").json()
    assert len(openapi["paths"]) >= 14  # the whole API, not an empty schema
    report = fuzz_openapi(
        openapi,
        send=lambda **kw: p.intake.request(**kw),
        # A coordinator and a volunteer of the office, a lawyer of another tenant, and nobody.
        headers=[p.headers("kazbek"), p.headers("vera"), p.headers("dana"), {}],
        path_values={
            "complaint_id": [complaint_id],
            "attachment_id": [attached.json()["id"]],
            "list_name": ["channels", "regions", "public_offices"],
        },
        max_examples=12,
        skip=_fuzzed_by_their_own_tests,
    )
    assert report.failures == [], "\n\n".join(report.failures)
    assert report.calls > 100
    # The happy paths were reached, not only refusals.
    assert report.statuses.get(200, 0) > 0 and report.statuses.get(201, 0) > 0


def _fuzzed_by_their_own_tests(method: str, path: str) -> bool:
    if method == "GET" and path == "/v1/feed":
        return False  # long polling, which the partner fuzz leaves out
    return path.startswith((*PARTNER_PATHS, "/v1/complainant-mail"))
