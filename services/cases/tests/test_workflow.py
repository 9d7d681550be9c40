"""The workflow: data-driven transitions, the quick-answer path, closing and reopening,
optimistic locking, assignment with history, the consent gate, actions and internal notes.
Runs on SQLite and PostgreSQL (the row lock and the version check matter on both)."""

from __future__ import annotations

from cases_test_helpers import add_staff, case_events, open_case, post, problem

from alac_cases.workflow.transitions import TRANSITIONS


def move(platform, case: dict, to: str, user: str = "lena", **extra):
    body = {"to_status": to, "reason": f"to {to}", "version": case["version"], **extra}
    return post(platform, f"/v1/cases/{case['id']}/transitions", user, body)


def test_a_case_goes_from_triage_to_an_outcome_and_back_with_every_event(platform):
    case = open_case(platform, request_type="case")
    assert case["status"] == "triage" and case["version"] == 1
    consents = f"/v1/cases/{case['id']}/consents"
    given = post(platform, consents, "lena", {"scopes": ["formal_action"], "version": 1})
    assert given.status_code == 201, given.text
    case["version"] = 2

    for to in ("assessment", "in_action", "awaiting_response"):
        response = move(platform, case, to)
        assert response.status_code == 200, response.text
        case = response.json()
        assert case["status"] == to
        assert response.headers["ETag"] == f'"{case["version"]}"'

    closed = move(platform, case, "closed", outcome="resolved")
    assert closed.status_code == 200, closed.text
    case = closed.json()
    assert case["status"] == "closed" and case["outcome"] == "resolved"

    reopened = move(platform, case, "assessment")
    assert reopened.status_code == 200, reopened.text
    case = reopened.json()
    assert case["outcome"] is None and case["closed_at"] is None

    events = case_events(platform, case["id"])
    assert [e.type for e in events] == [
        "case.opened",
        "case.consent_recorded",
        *["case.status_changed"] * 4,
        "case.closed",
        "case.status_changed",
        "case.reopened",
    ]
    # one aggregate version per event, counting per case, ending at the case's version
    assert [e.aggregateversion for e in events] == list(range(1, 10))
    assert case["version"] == 9
    assert events[6].data["outcome"] == "resolved"
    assert events[-1].data["reason"] == "to assessment"
    assert events[2].data["from_status"] == "triage"
    assert all(e.data["office"] == "almaty" for e in events)

    history = platform.cases.get(
        f"/v1/cases/{case['id']}/history", headers=platform.headers("lena")
    ).json()
    assert [(c["from_status"], c["to_status"]) for c in history["status_changes"]] == [
        ("triage", "assessment"),
        ("assessment", "in_action"),
        ("in_action", "awaiting_response"),
        ("awaiting_response", "closed"),
        ("closed", "assessment"),
    ]
    assert {c["actor_role"] for c in history["status_changes"]} == {"lawyer"}
    assert history["allowed_next"] == list(TRANSITIONS["assessment"])


def test_a_transition_not_allowed_answers_409_with_the_statuses_allowed_and_writes_nothing(
    platform,
):
    case = open_case(platform, request_type="case")
    body = problem(move(platform, case, "awaiting_response"), 409)
    assert body["current_status"] == "triage"
    assert body["allowed"] == ["assessment", "quick_answer", "closed"]
    # closing without an outcome, with an unknown one, an unknown status: 422 naming the field
    assert problem(move(platform, case, "closed"), 422)["errors"][0]["field"] == "body.outcome"
    assert problem(move(platform, case, "closed", outcome="won"), 422)["errors"][0]["field"] == (
        "body.outcome"
    )
    assert problem(move(platform, case, "archived"), 422)["errors"][0]["field"] == (
        "body.to_status"
    )
    assert [e.type for e in case_events(platform, case["id"])] == ["case.opened"]


def test_a_stale_or_missing_version_is_refused_and_if_match_works(platform):
    case = open_case(platform, request_type="case")
    path = f"/v1/cases/{case['id']}/transitions"
    ok = post(
        platform, path, "lena", {"to_status": "assessment", "reason": "r"}, **{"If-Match": '"1"'}
    )
    assert ok.status_code == 200, ok.text
    stale = post(
        platform,
        path,
        "lena",
        {"to_status": "closed", "reason": "r", "outcome": "rejected", "version": 1},
    )
    assert problem(stale, 409)["current_version"] == 2
    missing = post(
        platform, path, "lena", {"to_status": "closed", "reason": "r", "outcome": "rejected"}
    )
    assert problem(missing, 428)["errors"][0]["field"] == "body.version"
    bad_header = post(
        platform,
        path,
        "lena",
        {"to_status": "in_action", "reason": "r"},
        **{"If-Match": "yesterday"},
    )
    assert problem(bad_header, 422)["errors"][0]["field"] == "header.If-Match"
    current = platform.cases.get(f"/v1/cases/{case['id']}", headers=platform.headers("lena"))
    assert current.json()["status"] == "assessment" and current.json()["version"] == 2


def test_an_information_request_is_answered_and_closed_as_advice_given(platform):
    case = open_case(platform, request_type="information_request")
    assert case["status"] == "quick_answer"
    path = f"/v1/cases/{case['id']}/quick-answer"
    answered = post(platform, path, "vera", {"answer": "Обратитесь в акимат.", "version": 1})
    assert answered.status_code == 200, answered.text
    assert answered.json()["status"] == "closed"
    assert answered.json()["outcome"] == "advice_given"
    events = case_events(platform, case["id"])
    assert [e.type for e in events] == [
        "case.opened",
        "case.action_recorded",
        "case.status_changed",
        "case.closed",
    ]
    assert events[1].data["action_type"] == "advice"
    actions = platform.cases.get(
        f"/v1/cases/{case['id']}/actions", headers=platform.headers("lena")
    )
    assert [a["summary"] for a in actions.json()] == ["Обратитесь в акимат."]
    # a case in triage is not on the quick-answer path
    other = open_case(platform, request_type="case")
    refused = post(
        platform, f"/v1/cases/{other['id']}/quick-answer", "vera", {"answer": "x", "version": 1}
    )
    assert problem(refused, 409)["allowed"] == ["assessment", "quick_answer", "closed"]


def test_assignment_by_hand_and_to_the_least_loaded_lawyer_keeps_history(platform):
    add_staff(platform, "lena", "almaty")
    add_staff(platform, "lawyer-b", "almaty")
    add_staff(platform, "laura", "astana")
    first = open_case(platform, request_type="case")
    second = open_case(platform, request_type="case")

    by_hand = post(
        platform,
        f"/v1/cases/{first['id']}/assignment",
        "kazbek",
        {"assignee": "lena", "version": 1},
    )
    assert by_hand.status_code == 200, by_hand.text
    assert by_hand.json()["assignee"] == "lena"
    # lena has one open case now; lawyer-b none: the least-loaded is lawyer-b
    auto = post(
        platform,
        f"/v1/cases/{second['id']}/assignment",
        "kazbek",
        {"strategy": "least_loaded", "version": 1},
    )
    assert auto.status_code == 200, auto.text
    assert auto.json()["assignee"] == "lawyer-b"
    # reassignment keeps the history and names the previous assignee
    again = post(
        platform,
        f"/v1/cases/{first['id']}/assignment",
        "kazbek",
        {"assignee": "lawyer-b", "version": 2},
    )
    assert again.status_code == 200, again.text
    history = platform.cases.get(
        f"/v1/cases/{first['id']}/history", headers=platform.headers("lena")
    ).json()
    assert [(a["assignee"], a["previous_assignee"]) for a in history["assignments"]] == [
        ("lena", None),
        ("lawyer-b", "lena"),
    ]
    assigned = [e for e in case_events(platform, first["id"]) if e.type == "case.assigned"]
    assert [(e.data["assignee"], e.data["previous_assignee"]) for e in assigned] == [
        ("lena", None),
        ("lawyer-b", "lena"),
    ]
    assert assigned[0].data["assignee_role"] == "lawyer"
    # someone of another office, someone unknown: 422 naming the assignee, nothing written
    for who in ("laura", "nobody"):
        refused = post(
            platform,
            f"/v1/cases/{first['id']}/assignment",
            "kazbek",
            {"assignee": who, "version": 3},
        )
        assert problem(refused, 422)["errors"][0]["field"] == "body.assignee"
    assert len(case_events(platform, first["id"])) == 3


def test_triage_queue_lists_an_offices_cases_in_triage_oldest_first(platform):
    first = open_case(platform, request_type="case")
    second = open_case(platform, request_type="case")
    open_case(platform, request_type="information_request")
    astana = open_case(platform, user="askar", request_type="case")
    move(platform, second, "assessment")
    queue = platform.cases.get(
        "/v1/triage", params={"office": "almaty"}, headers=platform.headers("lena")
    ).json()
    assert [c["id"] for c in queue] == [first["id"]]
    theirs = platform.cases.get("/v1/triage", headers=platform.headers("askar")).json()
    assert [c["id"] for c in theirs] == [astana["id"]]
    # a volunteer asking for another office still gets their own queue
    forced = platform.cases.get(
        "/v1/triage", params={"office": "almaty"}, headers=platform.headers("askar")
    ).json()
    assert [c["id"] for c in forced] == [astana["id"]]


def test_no_action_on_the_clients_behalf_without_a_consent_that_covers_it(platform):
    case = open_case(platform, request_type="case")
    case = move(platform, case, "assessment").json()
    actions = f"/v1/cases/{case['id']}/actions"
    drafted = {"action_type": "complaint_drafted", "summary": "Жалоба в прокуратуру"}
    body = problem(post(platform, actions, "lena", {**drafted, "version": case["version"]}), 409)
    assert body["missing_consent"] == ["formal_action"]

    consents = f"/v1/cases/{case['id']}/consents"
    given = post(
        platform, consents, "lena", {"scopes": ["formal_action"], "version": case["version"]}
    )
    assert given.status_code == 201, given.text
    assert given.json()["version"] == 1
    version = case["version"] + 1
    ok = post(platform, actions, "lena", {**drafted, "version": version})
    assert ok.status_code == 201, ok.text
    assert ok.json()["consent_version"] == 1
    version += 1
    # media needs its own scope
    media = {"action_type": "other", "summary": "Interview", "involves": ["media"]}
    assert problem(post(platform, actions, "lena", {**media, "version": version}), 409)[
        "missing_consent"
    ] == ["media"]
    # withdrawn: nothing is covered any more
    withdrawn = post(platform, consents, "lena", {"withdrawn": True, "version": version})
    assert withdrawn.status_code == 201 and withdrawn.json()["scopes"] == []
    version += 1
    body = problem(post(platform, actions, "lena", {**drafted, "version": version}), 409)
    assert body["missing_consent"] == ["formal_action"] and "withdrawn" in body["detail"]
    # a meeting needs no consent
    meeting = post(
        platform,
        actions,
        "lena",
        {"action_type": "meeting", "summary": "Met client", "version": version},
    )
    assert meeting.status_code == 201, meeting.text

    events = case_events(platform, case["id"])
    recorded = [e.data for e in events if e.type == "case.consent_recorded"]
    assert [(d["consent_version"], d["scopes"], d["withdrawn"]) for d in recorded] == [
        (1, ["formal_action"], False),
        (2, [], True),
    ]
    assert [e.data["action_type"] for e in events if e.type == "case.action_recorded"] == [
        "complaint_drafted",
        "meeting",
    ]
    listed = platform.cases.get(consents, headers=platform.headers("lena")).json()
    assert [c["version"] for c in listed] == [1, 2]


def test_an_anonymous_complaint_allows_assessment_and_advice_only(platform):
    case = open_case(platform, request_type="case", anonymous=True)
    case = move(platform, case, "assessment").json()
    body = problem(move(platform, case, "in_action"), 409)
    assert "anonymous" in body["detail"] and body["allowed"] == ["closed"]
    actions = f"/v1/cases/{case['id']}/actions"
    refused = post(
        platform,
        actions,
        "lena",
        {"action_type": "complaint_drafted", "summary": "x", "version": case["version"]},
    )
    assert "anonymous" in problem(refused, 409)["detail"]
    advice = post(
        platform,
        actions,
        "lena",
        {"action_type": "advice", "summary": "Legal assessment given", "version": case["version"]},
    )
    assert advice.status_code == 201, advice.text


def test_internal_notes_stay_in_cases_and_never_travel_in_events(platform):
    case = open_case(platform, request_type="case")
    note = post(
        platform,
        f"/v1/cases/{case['id']}/notes",
        "lena",
        {"text": "Client seems afraid of retaliation"},
    )
    assert note.status_code == 201, note.text
    listed = platform.cases.get(
        f"/v1/cases/{case['id']}/notes", headers=platform.headers("vera")
    ).json()
    assert [n["text"] for n in listed] == ["Client seems afraid of retaliation"]
    assert all(b"retaliation" not in e.to_json() for e in case_events(platform, case["id"]))
    assert problem(post(platform, f"/v1/cases/{case['id']}/notes", "lena", {"text": ""}), 422)
