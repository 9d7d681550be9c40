"""Schemathesis over the cases OpenAPI (in-process, SQLite): authenticated as a lawyer, a
coordinator and the tenant admin, with path ids sometimes naming existing cases and deadlines.
Every response must be no 5xx, a documented status, and match its documented schema."""

from __future__ import annotations

from cases_test_helpers import add_staff, open_case

from alac_kernel.testing.openapi_fuzz import fuzz_openapi

USERS = ("lena", "kazbek", "tamara")


def test_the_cases_api_answers_every_generated_request_as_documented(sqlite_platform):
    platform = sqlite_platform
    add_staff(platform, "lena", "almaty")
    cases = [open_case(platform, request_type=kind) for kind in ("case", "information_request")]
    deadline = platform.cases.post(
        f"/v1/cases/{cases[0]['id']}/deadlines",
        json={"due_on": "2099-01-05"},
        headers=platform.headers("lena"),
    )
    assert deadline.status_code == 201, deadline.text
    # a letter of support, so that the PDF download is fuzzed on an existing letter too
    lena = platform.headers("lena")
    consent = platform.cases.post(
        f"/v1/cases/{cases[0]['id']}/consents",
        json={"scopes": ["documents_to_authorities"], "version": cases[0]["version"]},
        headers=lena,
    )
    assert consent.status_code == 201, consent.text
    letter_body = {"language": "en", "authority": "Akimat", "legal_assessment": "l"}
    letter_body |= {
        "facts": "f",
        "request": "r",
        "version": int(consent.headers["ETag"].strip('"')),
    }
    letter = platform.cases.post(
        f"/v1/cases/{cases[0]['id']}/letters", json=letter_body, headers=lena
    )
    assert letter.status_code == 201, letter.text

    report = fuzz_openapi(
        platform.cases.app.openapi(),
        send=platform.cases.request,
        headers=[platform.headers(user) for user in USERS],
        path_values={
            "case_id": [c["id"] for c in cases],
            "deadline_id": [deadline.json()["id"]],
            "letter_id": [letter.json()["id"]],
            "code": ["first_contact", "detention_appeal"],
        },
        max_examples=12,
    )

    assert report.failures == [], "\n".join(report.failures)
    # the run reached the happy path, not only refusals
    assert report.calls > 100
    assert any(200 <= status < 300 for status in report.statuses)
    assert all(status < 500 for status in report.statuses)
