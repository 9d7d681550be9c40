"""GET /v1/cases/by-complaint/{complaint_id}: the case of a complaint, scoped and audited like
GET /v1/cases/{case_id}, so a client (the web front end, the bench) need not list cases."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from alac_cases.audit.models import AuditEntry
from alac_kernel.db import session_scope

URL = "/v1/cases/by-complaint/{}"
PROBLEM_JSON = "application/problem+json"


def submit(platform, user: str, crux: str = "Требуют взятку за справку.") -> str:
    """A complaint received by `user`'s office: its complaint.received on the bus."""
    return platform.receive_complaint(user, crux=crux).subject


def case_for(platform, complaint_id: str) -> dict:
    listed = platform.cases.get(
        "/v1/cases", params={"limit": 200}, headers=platform.headers("lena")
    )
    matching = [c for c in listed.json()["items"] if c["complaint_id"] == complaint_id]
    assert len(matching) == 1, listed.text
    return matching[0]


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    return response.json()


def without_instance(body: dict) -> dict:
    return {k: v for k, v in body.items() if k != "instance"}


def test_the_case_of_a_complaint_for_who_may_read_it_and_404_for_others(platform):
    almaty = submit(platform, "vera", crux="Алматы: взятка в акимате")
    astana = submit(platform, "askar", crux="Астана: взятка в школе")
    # Not yet consumed by cases: no case yet, a plain 404.
    assert_problem(platform.cases.get(URL.format(almaty), headers=platform.headers("lena")), 404)
    platform.pump()

    expected = case_for(platform, almaty)
    for user in ("vera", "lena", "kazbek", "tamara", "laura"):  # office volunteer, tenant staff
        found = platform.cases.get(URL.format(almaty), headers=platform.headers(user))
        assert found.status_code == 200, (user, found.text)
        assert found.json() == expected
        assert found.headers["ETag"] == f'"{expected["version"]}"'

    unknown = assert_problem(
        platform.cases.get(URL.format(uuid.uuid4()), headers=platform.headers("askar")), 404
    )
    # Another office's volunteer and another tenant's staff: the same 404 as an unknown id.
    for user, complaint in (("askar", almaty), ("dana", almaty), ("nurlan", astana)):
        response = platform.cases.get(URL.format(complaint), headers=platform.headers(user))
        body = assert_problem(response, 404)
        assert without_instance(body) == without_instance(unknown)
        assert "взятка" not in response.text
    # Roles without case.read: refused like the other case routes.
    analyst = platform.cases.get(URL.format(almaty), headers=platform.headers("anuar"))
    assert analyst.status_code in (403, 404), analyst.text
    assert "взятка" not in analyst.text
    assert platform.cases.get(URL.format(almaty)).status_code == 401


def test_a_read_by_complaint_id_is_audited_like_a_case_read(sqlite_platform):
    p = sqlite_platform
    complaint = submit(p, "vera")
    p.pump()
    case_id = p.cases.get(URL.format(complaint), headers=p.headers("lena")).json()["id"]
    rt = p.runtime("cases")
    with session_scope(rt.session_factory, all_tenants=True) as session:
        actors = (
            session.execute(
                select(AuditEntry.actor).where(
                    AuditEntry.case_id == case_id, AuditEntry.what == "case.read"
                )
            )
            .scalars()
            .all()
        )
    assert len(actors) == 1 and actors[0]


def test_odd_complaint_ids_are_not_found_rather_than_errors(sqlite_platform):
    p = sqlite_platform
    for odd in ("1 OR 1=1", "%00", "кейс"):
        assert_problem(p.cases.get(URL.format(odd), headers=p.headers("lena")), 404)
    too_long = p.cases.get(URL.format("x" * 300), headers=p.headers("lena"))
    assert_problem(too_long, 422)


def test_the_route_is_documented(sqlite_platform):
    spec = sqlite_platform.cases.get("/openapi.json").json()
    route = spec["paths"]["/v1/cases/by-complaint/{complaint_id}"]["get"]
    assert route["summary"] == "The case of a complaint"
    assert {"200", "404"} <= set(route["responses"])
