"""Meetings, authority responses and court stages are actions with their own fields: stored,
returned, required where the stage means nothing without them, refused on other types."""

from __future__ import annotations

from cases_test_helpers import case_events, open_case, post, problem


def test_court_stages_authority_responses_and_meetings_keep_their_fields(sqlite_platform):
    platform = sqlite_platform
    case = open_case(platform, request_type="case")
    url = f"/v1/cases/{case['id']}/actions"
    version = case["version"]

    def record(body: dict):
        return post(platform, url, "lena", {"summary": "s", "version": version, **body})

    court = {
        "court_instance": "appeal",
        "court": "Алматинский городской суд",
        "hearing_date": "2026-02-10",
        "decision": "Постановление отменено",
    }
    bad = [
        ({"action_type": "court_stage"}, "body.court_stage"),
        ({"action_type": "authority_response"}, "body.authority_response"),
        ({"action_type": "advice", "court_stage": court}, "body.court_stage"),
        ({"action_type": "court_stage", "court_stage": {**court, "hearing_date": "10.02"}}, "hearing_date"),
        ({"action_type": "court_stage", "court_stage": {**court, "court_instance": "x"}}, "court_instance"),
    ]  # fmt: skip
    for body, field in bad:
        answer = problem(record(body), 422)
        assert any(field in e["field"] for e in answer["errors"]), (body, answer)

    made = record({"action_type": "court_stage", "court_stage": court})
    assert made.status_code == 201, made.text
    assert made.json()["details"] == court
    version = int(made.headers["ETag"].strip('"'))
    response = {"authority": "Akimat", "received_on": "2026-01-20", "decision": "refused"}
    made = record({"action_type": "authority_response", "authority_response": response})
    assert made.status_code == 201, made.text
    version = int(made.headers["ETag"].strip('"'))
    made = record({"action_type": "meeting", "meeting": {"with_whom": "client"}})
    assert made.status_code == 201, made.text

    listed = platform.cases.get(url, headers=platform.headers("lena")).json()
    assert {a["action_type"]: a["details"] for a in listed} == {
        "court_stage": court,
        "authority_response": response,
        "meeting": {"with_whom": "client", "place": None},
    }
    recorded = [e for e in case_events(platform, case["id"]) if e.type == "case.action_recorded"]
    assert len(recorded) == 3 and all("details" not in e.data for e in recorded)
