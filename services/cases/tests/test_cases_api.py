"""The cases service: one case per received complaint, case.opened through the outbox, and the
read API (ordering, cursor pagination, filters, office and tenant scoping, problem answers)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

from jsonschema import Draft202012Validator, FormatChecker
from sqlalchemy import select, update

from alac_cases.case.models import Case
from alac_kernel.db import session_scope
from alac_kernel.events import Event

REPO = Path(__file__).resolve().parents[3]
CASE_OPENED_SCHEMA = REPO / "contracts" / "events" / "case.opened" / "v1.schema.json"
PROBLEM_JSON = "application/problem+json"


# ------------------------------------------------------------------ helpers


def submit(platform, user: str, crux: str = "Требуют взятку за справку.", **fields) -> str:
    """A complaint received by `user`'s office: its complaint.received on the bus."""
    return platform.receive_complaint(user, crux=crux, **fields).subject


def outbox_rows(platform, service: str, event_type: str) -> list[dict]:
    runtime = platform.runtime(service)
    table = runtime.tables.outbox
    with session_scope(runtime.session_factory, all_tenants=True) as session:
        rows = session.execute(
            select(table).where(table.c.type == event_type).order_by(table.c.seq)
        ).mappings()
        return [dict(row) for row in rows]


def cases_in_db(platform) -> list[Case]:
    runtime = platform.runtime("cases")
    with session_scope(runtime.session_factory, all_tenants=True) as session:
        return list(session.execute(select(Case)).scalars())


def list_cases(platform, user: str, **params) -> dict:
    response = platform.cases.get("/v1/cases", params=params, headers=platform.headers(user))
    assert response.status_code == 200, response.text
    return response.json()


def case_for(platform, complaint_id: str, user: str = "lena") -> dict:
    items = list_cases(platform, user, limit=200)["items"]
    matching = [c for c in items if c["complaint_id"] == complaint_id]
    assert len(matching) == 1, items
    return matching[0]


def assert_problem(response, status: int, field: str | None = None) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body = response.json()
    assert body["status"] == status
    assert body["title"] and body["type"] and body["detail"]
    if field is not None:
        fields = [e["field"] for e in body.get("errors", [])]
        assert field in fields, body
        assert all(e["reason"] for e in body["errors"])
    return body


def without_instance(body: dict) -> dict:
    return {k: v for k, v in body.items() if k != "instance"}


# ------------------------------------------------------------------ opening cases


def test_each_complaint_opens_exactly_one_case_with_its_initial_status(platform):
    as_case = submit(platform, "vera", request_type="case", area="education")
    untyped = submit(platform, "vera")
    info = submit(platform, "vera", request_type="information_request")
    assert platform.pump() > 0

    cases = {c["complaint_id"]: c for c in list_cases(platform, "lena")["items"]}
    assert set(cases) == {as_case, untyped, info}
    assert cases[as_case]["status"] == "triage"
    assert cases[untyped]["status"] == "triage"
    assert cases[info]["status"] == "quick_answer"
    assert cases[as_case]["area"] == "education"
    assert cases[as_case]["office"] == "almaty"
    assert cases[as_case]["request_type"] == "case"
    assert cases[untyped]["request_type"] is None
    assert len(cases_in_db(platform)) == 3


def test_case_opened_is_emitted_through_the_outbox_with_the_correlation_id(platform):
    complaint_id = submit(
        platform, "vera", request_type="case", area="police", correlation_id="corr-case-opened-1"
    )
    platform.pump()

    opened = outbox_rows(platform, "cases", "case.opened")
    assert len(opened) == 1
    row = opened[0]
    assert row["state"] == "published"
    event = Event.from_json(row["payload"])
    case = case_for(platform, complaint_id)
    assert event.type == "case.opened"
    assert event.correlationid == "corr-case-opened-1"
    assert event.tenantid == "tk"
    assert event.subject == case["id"] == event.data["case_id"]
    assert event.aggregateversion == 1
    assert event.dataschema == "urn:alac:contracts:events:case.opened:v1"
    assert event.data["complaint_id"] == complaint_id
    assert event.data["status"] == "triage"
    assert event.data["office"] == "almaty"
    assert event.data["area"] == "police"

    validator = Draft202012Validator(
        json.loads(CASE_OPENED_SCHEMA.read_text(encoding="utf-8")), format_checker=FormatChecker()
    )
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(event.data)]
    assert errors == []


def test_the_same_complaint_received_twice_still_gives_one_case(platform):
    received = platform.receive_complaint("vera", request_type="case")
    complaint_id = received.subject
    platform.pump()
    first_case = case_for(platform, complaint_id)

    # 1. The very same envelope again (a redelivery).
    platform.publish(received)
    assert platform.pump() > 0

    # 2. A new envelope (new event id) about the same complaint.
    platform.publish(received.model_copy(update={"id": str(uuid.uuid4())}))
    assert platform.pump() > 0

    assert [c.complaint_id for c in cases_in_db(platform)] == [complaint_id]
    assert len(outbox_rows(platform, "cases", "case.opened")) == 1
    assert case_for(platform, complaint_id)["id"] == first_case["id"]


def test_a_historical_complaint_opens_no_case(platform):
    """complaint.received with `historical: true` (intake's import-file --historical): handled
    before the platform, so no case and no case.opened; the event is consumed all the same."""
    live = submit(platform, "vera", request_type="case")
    platform.pump()
    platform.receive_complaint("vera", request_type="case", historical=True)
    assert platform.pump() > 0
    assert [c.complaint_id for c in cases_in_db(platform)] == [live]
    assert len(outbox_rows(platform, "cases", "case.opened")) == 1


# ------------------------------------------------------------------ listing


def test_cases_are_listed_newest_first_and_paged_by_cursor_without_overlap(platform):
    ids = []
    for n in range(5):
        ids.append(submit(platform, "vera", crux=f"Жалоба номер {n}", request_type="case"))
        platform.pump()  # one at a time, so each case is opened after the previous one

    everything = list_cases(platform, "lena")
    assert [c["complaint_id"] for c in everything["items"]] == list(reversed(ids))
    assert everything["next_before"] is None
    opened = [c["opened_at"] for c in everything["items"]]
    assert opened == sorted(opened, reverse=True)

    seen: list[str] = []
    params: dict = {"limit": 2}
    pages = 0
    while True:
        page = list_cases(platform, "lena", **params)
        pages += 1
        assert len(page["items"]) <= 2
        seen += [c["complaint_id"] for c in page["items"]]
        if page["next_before"] is None:
            break
        assert page["next_before"] == page["items"][-1]["opened_at"]
        params = {"limit": 2, "before": page["next_before"], "before_id": page["next_before_id"]}
    assert pages == 3
    assert seen == list(reversed(ids))

    # The datetime cursor alone (as documented before the id tie-breaker) still pages.
    first = list_cases(platform, "lena", limit=2)
    second = list_cases(platform, "lena", limit=2, before=first["next_before"])
    assert [c["complaint_id"] for c in second["items"]] == list(reversed(ids))[2:4]


def test_cursor_pages_through_cases_opened_at_the_same_instant(platform):
    ids = [submit(platform, "vera", crux=f"Одновременно {n}") for n in range(5)]
    platform.pump()
    same = datetime(2025, 5, 1, 9, 30, tzinfo=UTC)
    runtime = platform.runtime("cases")
    with session_scope(runtime.session_factory, all_tenants=True) as session:
        session.execute(update(Case).values(opened_at=same))

    seen: list[str] = []
    params: dict = {"limit": 2}
    while True:
        page = list_cases(platform, "lena", **params)
        seen += [c["complaint_id"] for c in page["items"]]
        if page["next_before"] is None:
            break
        params = {"limit": 2, "before": page["next_before"], "before_id": page["next_before_id"]}
    assert sorted(seen) == sorted(ids)
    assert len(seen) == len(set(seen)) == 5


def test_cases_are_filtered_by_status(platform):
    triage = submit(platform, "vera", request_type="case")
    quick = submit(platform, "vera", request_type="information_request")
    platform.pump()

    quick_page = list_cases(platform, "lena", status="quick_answer")
    assert [c["complaint_id"] for c in quick_page["items"]] == [quick]
    triage_page = list_cases(platform, "lena", status="triage")
    assert [c["complaint_id"] for c in triage_page["items"]] == [triage]
    assert list_cases(platform, "lena", status="closed")["items"] == []


def test_limit_bounds_and_malformed_cursor_are_problems_naming_the_parameter(sqlite_platform):
    p = sqlite_platform
    h = p.headers("lena")
    for bad in ("0", "201", "-1", "ten"):
        response = p.cases.get("/v1/cases", params={"limit": bad}, headers=h)
        assert_problem(response, 422, "query.limit")
    for ok in ("1", "200"):
        assert p.cases.get("/v1/cases", params={"limit": ok}, headers=h).status_code == 200
    for bad in ("yesterday", "2025-13-45T00:00:00Z", "'; DROP TABLE cases; --"):
        response = p.cases.get("/v1/cases", params={"before": bad}, headers=h)
        assert_problem(response, 422, "query.before")
    # A cursor without a timezone cannot be compared with stored UTC instants.
    naive = p.cases.get("/v1/cases", params={"before": "2025-01-01T00:00:00"}, headers=h)
    assert_problem(naive, 422, "query.before")
    orphan = p.cases.get("/v1/cases", params={"before_id": str(uuid.uuid4())}, headers=h)
    assert_problem(orphan, 422, "query.before_id")
    too_long = p.cases.get("/v1/cases", params={"status": "x" * 33}, headers=h)
    assert_problem(too_long, 422, "query.status")


# ------------------------------------------------------------------ who sees what


def test_volunteers_see_their_office_and_lawyers_and_coordinators_their_tenant(platform):
    almaty = submit(platform, "vera", crux="Алматы: взятка в акимате")
    astana = submit(platform, "askar", crux="Астана: взятка в школе")
    shymkent = submit(platform, "nurlan", crux="Шымкент: взятка в больнице")
    platform.pump()

    def complaint_ids(user: str, **params) -> set[str]:
        return {c["complaint_id"] for c in list_cases(platform, user, **params)["items"]}

    assert complaint_ids("vera") == {almaty}
    assert complaint_ids("askar") == {astana}
    # A volunteer cannot widen their scope with the office filter.
    assert complaint_ids("askar", office="almaty") == {astana}
    for user in ("lena", "laura", "kazbek", "tamara"):
        assert complaint_ids(user) == {almaty, astana}, user
    assert complaint_ids("lena", office="astana") == {astana}
    assert complaint_ids("dana") == {shymkent}
    assert complaint_ids("nurlan") == {shymkent}

    almaty_case = case_for(platform, almaty)
    astana_case = case_for(platform, astana, user="laura")
    shymkent_case = case_for(platform, shymkent, user="dana")

    one = platform.cases.get(f"/v1/cases/{almaty_case['id']}", headers=platform.headers("vera"))
    assert one.status_code == 200
    assert one.json() == almaty_case
    laura = platform.cases.get(f"/v1/cases/{almaty_case['id']}", headers=platform.headers("laura"))
    assert laura.status_code == 200
    assert laura.json()["complaint_id"] == almaty

    unknown = assert_problem(
        platform.cases.get(f"/v1/cases/{uuid.uuid4()}", headers=platform.headers("askar")), 404
    )
    other_office = assert_problem(
        platform.cases.get(f"/v1/cases/{almaty_case['id']}", headers=platform.headers("askar")), 404
    )
    assert without_instance(other_office) == without_instance(unknown)
    assert almaty_case["crux"] not in json.dumps(other_office, ensure_ascii=False)

    for user, foreign in (("lena", shymkent_case), ("dana", astana_case), ("nurlan", almaty_case)):
        response = platform.cases.get(f"/v1/cases/{foreign['id']}", headers=platform.headers(user))
        body = assert_problem(response, 404)
        random_body = assert_problem(
            platform.cases.get(f"/v1/cases/{uuid.uuid4()}", headers=platform.headers(user)), 404
        )
        assert without_instance(body) == without_instance(random_body)
        assert foreign["crux"] not in response.text


def test_odd_case_ids_are_not_found_rather_than_errors(sqlite_platform):
    p = sqlite_platform
    for odd in ("x" * 300, "1 OR 1=1", "%00", "кейс"):
        response = p.cases.get(f"/v1/cases/{odd}", headers=p.headers("lena"))
        assert_problem(response, 404)


def test_roles_without_case_access_are_refused_and_anonymous_callers_unauthorised(sqlite_platform):
    p = sqlite_platform
    for path in ("/v1/cases", f"/v1/cases/{uuid.uuid4()}"):
        for user in ("anuar", "nadia"):
            body = assert_problem(p.cases.get(path, headers=p.headers(user)), 403)
            assert "lawyer" in body["required_roles"]
        response = p.cases.get(path)
        assert_problem(response, 401)
        assert response.headers["www-authenticate"].startswith("Bearer")
        bad_token = p.cases.get(path, headers={"Authorization": "Bearer not-a-jwt"})
        assert_problem(bad_token, 401)


def test_cases_filter_by_assignee_and_by_complaint(platform):
    """The "my cases" queue of the staff console, and finding the case of a complaint."""
    from cases_test_helpers import add_staff, open_case, post

    add_staff(platform, "lena", "almaty")
    mine = open_case(platform, request_type="case")
    other = open_case(platform, request_type="case")
    assigned = post(
        platform, f"/v1/cases/{mine['id']}/assignment", "kazbek",
        {"assignee": "lena", "version": mine["version"]},
    )  # fmt: skip
    assert assigned.status_code == 200, assigned.text
    assert [c["id"] for c in list_cases(platform, "lena", assignee="lena")["items"]] == [mine["id"]]
    assert list_cases(platform, "lena", assignee="nobody")["items"] == []
    found = list_cases(platform, "vera", complaint_id=other["complaint_id"])["items"]
    assert [c["id"] for c in found] == [other["id"]]
    # another tenant's lawyer finds nothing by the same complaint id
    assert list_cases(platform, "dana", complaint_id=other["complaint_id"])["items"] == []
