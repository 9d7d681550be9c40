"""Domain errors become problem+json in one place; the version rule is the same everywhere."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from alac_kernel import versions
from alac_kernel.errors import (
    BadInput,
    Conflict,
    DomainError,
    Forbidden,
    InvalidFields,
    NotFound,
    PreconditionFailed,
    StaleVersion,
    TooManyRequests,
    VersionRequired,
)
from alac_kernel.problems import PROBLEM_JSON, install_problem_handlers


def _client(error: DomainError) -> TestClient:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/refuse")
    def refuse() -> None:
        raise error

    return TestClient(app)


@pytest.mark.parametrize(
    ("error", "status", "title"),
    [
        (NotFound("case"), 404, "Not found"),
        (Forbidden("a volunteer sees only their office"), 403, "Forbidden"),
        (Conflict("the case is closed"), 409, "Conflict"),
        (InvalidFields.one("body.crux", "too short"), 422, "Invalid request"),
        (VersionRequired("send the version"), 428, "Precondition required"),
        (PreconditionFailed("the proposal is at version 4"), 412, "Precondition failed"),
    ],
)
def test_each_domain_error_has_one_status_and_title(error, status, title):
    answer = _client(error).get("/refuse")
    assert answer.status_code == status
    assert answer.headers["content-type"] == PROBLEM_JSON
    body = answer.json()
    assert body["status"] == status
    assert body["title"] == title
    assert body["detail"] == str(error)
    assert body["instance"] == "/refuse"


def test_field_errors_name_the_field_and_reason():
    body = _client(InvalidFields.one("body.outcome", "required when closing")).get("/refuse").json()
    assert body["errors"] == [{"field": "body.outcome", "reason": "required when closing"}]
    assert body["detail"] == "body.outcome: required when closing"


def test_detail_follows_the_callers_language():
    error = Forbidden("not yours", translations={"ru": "не ваше", "kk": "сіздікі емес"})
    client = _client(error)
    assert client.get("/refuse", headers={"Accept-Language": "ru"}).json()["detail"] == "не ваше"
    assert client.get("/refuse", headers={"Accept-Language": "kk"}).json()["detail"] == (
        "сіздікі емес"
    )
    assert client.get("/refuse", headers={"Accept-Language": "de"}).json()["detail"] == "not yours"


def test_stale_version_says_the_current_version():
    body = _client(StaleVersion("case", expected=3, current=5)).get("/refuse").json()
    assert body["status"] == 409
    assert body["title"] == "Stale case version"
    assert body["current_version"] == 5
    assert "version 3" in body["detail"] and "version 5" in body["detail"]


def test_too_many_requests_says_when_to_retry():
    answer = _client(TooManyRequests("slow down", retry_after=7)).get("/refuse")
    assert answer.status_code == 429
    assert answer.headers["retry-after"] == "7"


@pytest.mark.parametrize(("header", "version"), [('"3"', 3), ("3", 3), ('W/"12"', 12)])
def test_if_match_accepts_the_etag_forms(header, version):
    assert versions.expected_version(what="case", if_match=header) == version


@pytest.mark.parametrize("header", ['"abc"', '"1234567890"', "", '"-1"'])
def test_a_malformed_if_match_is_a_field_error(header):
    with pytest.raises(InvalidFields) as refused:
        versions.expected_version(what="complaint", if_match=header)
    assert refused.value.errors[0]["field"] == "header.If-Match"
    assert refused.value.status == 422


def test_header_and_body_version_must_agree():
    with pytest.raises(InvalidFields) as refused:
        versions.expected_version(what="case", if_match='"3"', body_version=4)
    assert refused.value.errors[0]["field"] == "body.version"
    assert versions.expected_version(what="case", if_match=None, body_version=4) == 4


def test_a_missing_version_names_the_field_the_api_accepts():
    with pytest.raises(VersionRequired) as header_only:
        versions.expected_version(what="complaint", if_match=None, body_field=None)
    assert header_only.value.errors[0]["field"] == "header.If-Match"
    with pytest.raises(VersionRequired) as either:
        versions.expected_version(what="case", if_match=None)
    assert either.value.errors[0]["field"] == "body.version"


def test_check_version_refuses_a_stale_one():
    versions.check_version("case", expected=2, current=2)
    with pytest.raises(StaleVersion):
        versions.check_version("case", expected=2, current=3)
    assert versions.etag(7) == '"7"'


def test_bad_input_is_a_400_whose_detail_is_the_reason():
    answer = _client(BadInput.one("query.cursor", "the cursor was not issued here")).get("/refuse")
    assert answer.status_code == 400
    body = answer.json()
    assert body["title"] == "Bad request"
    assert body["detail"] == "the cursor was not issued here"
    assert body["errors"] == [{"field": "query.cursor", "reason": "the cursor was not issued here"}]


def test_problem_responses_document_each_status_once():
    from alac_kernel.problems import PROBLEM_SCHEMA, problem_responses

    plain = problem_responses(401, 403, (404, "No such alert in your tenant"))
    assert plain == {
        401: {"description": "Missing or invalid access token", "content": {PROBLEM_JSON: {}}},
        403: {"description": "Role not allowed", "content": {PROBLEM_JSON: {}}},
        404: {"description": "No such alert in your tenant", "content": {PROBLEM_JSON: {}}},
    }
    typed = problem_responses(409, with_schema=True)
    assert typed[409]["content"][PROBLEM_JSON] == {"schema": PROBLEM_SCHEMA}
    # Each route gets its own dicts: FastAPI may change one without touching the others.
    assert problem_responses(401)[401] is not problem_responses(401)[401]


def test_documented_problems_appear_in_the_openapi_document():
    from alac_kernel.problems import problem_responses

    app = FastAPI()

    @app.get("/thing", responses=problem_responses(401, (404, "No such thing")))
    def thing() -> dict[str, str]:
        return {}

    documented = app.openapi()["paths"]["/thing"]["get"]["responses"]
    assert documented["404"]["description"] == "No such thing"
    assert PROBLEM_JSON in documented["401"]["content"]
