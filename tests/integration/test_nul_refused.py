"""NUL characters never reach a database (issue 11, "Bad input reaches the database"): on
PostgreSQL each of these answered 500; the kernel's RefuseNulMiddleware now answers 422 naming
the field, in every service, and nothing is written."""

from __future__ import annotations

import pytest

PROBLEM = "application/problem+json"


def _refused(response, field: str) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert field in [e["field"] for e in response.json()["errors"]]


def test_cases_staff_subject_with_nul(platform):
    p = platform
    r = p.cases.post(
        "/v1/staff",
        json={"subject": "lena\x00", "office": "almaty", "role": "lawyer"},
        headers=p.headers("tamara"),
    )
    _refused(r, "body.subject")
    staff = p.cases.get("/v1/staff", headers=p.headers("tamara")).json()
    assert all("\x00" not in s["subject"] for s in staff)


def test_cases_deadline_rule_description_with_nul(platform):
    p = platform
    r = p.cases.put(
        "/v1/deadline-rules/appeal_x",
        json={"days": 10, "day_kind": "working", "warn_days": 2, "description": "a\x00b"},
        headers=p.headers("tamara"),
    )
    _refused(r, "body.description")
    rules = p.cases.get("/v1/deadline-rules", headers=p.headers("lena")).json()
    assert "appeal_x" not in {rule["code"] for rule in rules}


def test_analytics_proposal_with_nul(platform):
    p = platform
    r = p.analytics.post(
        "/v1/proposals",
        json={"section": "legislation", "text": "Закон\x00", "proposed_on": "2009-02-01"},
        headers=p.headers("kazbek"),
    )
    _refused(r, "body.text")
    assert p.analytics.get("/v1/proposals", headers=p.headers("kazbek")).json() == []


@pytest.mark.parametrize(
    ("service", "path", "user"),
    [("cases", "/v1/cases", "kazbek"), ("analytics", "/v1/stats/summary", "kazbek")],
)
def test_office_query_with_nul(platform, service, path, user):
    p = platform
    r = getattr(p, service).get(path, params={"office": "a\x00b"}, headers=p.headers(user))
    _refused(r, "query.office")


def test_nul_in_a_path_segment(platform):
    p = platform
    r = p.cases.get("/v1/cases/a%00b", headers=p.headers("lena"))
    assert r.status_code == 404 and r.headers["content-type"].startswith(PROBLEM)


def test_text_without_nul_still_passes(platform):
    p = platform
    r = p.analytics.post(
        "/v1/proposals",
        json={
            "section": "legislation",
            "text": "Literal \\u0000 is text",
            "proposed_on": "2009-02-01",
        },
        headers=p.headers("kazbek"),
    )
    assert r.status_code == 201, r.text
    assert r.json()["text"] == "Literal \\u0000 is text"
