"""A case followed from complaint to outcome, once through the HTTP API (SQLite and PostgreSQL)
and once through `alac cases ...` (the CLI calling the same use cases, in-process)."""

from __future__ import annotations

import json

from cases_test_helpers import add_staff, case_events, open_case, post
from typer.testing import CliRunner

from alac_cases import cli

# the events of the path, in order (one per step)
EXPECTED_EVENTS = [
    "case.opened",
    "case.assigned",
    "case.status_changed",  # -> assessment
    "case.status_changed",  # -> awaiting_consent
    "case.consent_recorded",
    "case.status_changed",  # -> in_action
    "case.action_recorded",
    "case.status_changed",  # -> closed
    "case.closed",
]


def _check_followed_to_outcome(platform, case_id: str, complaint_id: str) -> None:
    events = case_events(platform, case_id)
    assert [e.type for e in events] == EXPECTED_EVENTS
    assert [e.aggregateversion for e in events] == list(range(1, len(EXPECTED_EVENTS) + 1))
    assert all(e.data["complaint_id"] == complaint_id for e in events)
    assert events[1].data["assignee"] == "lena"
    assert [e.data["to_status"] for e in events if e.type == "case.status_changed"] == [
        "assessment",
        "awaiting_consent",
        "in_action",
        "closed",
    ]
    assert events[4].data["scopes"] == ["formal_action"]
    assert events[6].data["action_type"] == "complaint_drafted"
    assert events[-1].data["outcome"] == "resolved"

    lena = platform.headers("lena")
    history = platform.cases.get(f"/v1/cases/{case_id}/history", headers=lena).json()
    assert [c["to_status"] for c in history["status_changes"]] == [
        "assessment",
        "awaiting_consent",
        "in_action",
        "closed",
    ]
    assert history["status_changes"][-1]["outcome"] == "resolved"
    assert [a["assignee"] for a in history["assignments"]] == ["lena"]
    actions = platform.cases.get(f"/v1/cases/{case_id}/actions", headers=lena).json()
    assert [a["action_type"] for a in actions] == ["complaint_drafted"]
    consents = platform.cases.get(f"/v1/cases/{case_id}/consents", headers=lena).json()
    assert [c["scopes"] for c in consents] == [["formal_action"]]
    case = platform.cases.get(f"/v1/cases/{case_id}", headers=lena).json()
    assert (case["status"], case["outcome"], case["assignee"]) == ("closed", "resolved", "lena")
    assert case["version"] == len(EXPECTED_EVENTS)


def test_a_case_is_followed_from_complaint_to_outcome_through_the_api(platform):
    add_staff(platform, "lena", "almaty")
    case = open_case(platform, request_type="case")  # submitted at intake, delivered by pump
    assert case["status"] == "triage"
    triage = platform.cases.get("/v1/triage", headers=platform.headers("kazbek")).json()
    assert case["id"] in [c["id"] for c in triage]
    path = f"/v1/cases/{case['id']}"

    def step(suffix: str, user: str, body: dict, status: int = 200) -> dict:
        response = post(platform, f"{path}/{suffix}", user, {**body, "version": step.version})
        assert response.status_code == status, response.text
        step.version = int(response.headers["ETag"].strip('"'))
        return response.json()

    step.version = case["version"]
    step("assignment", "kazbek", {"assignee": "lena"})
    step("transitions", "lena", {"to_status": "assessment", "reason": "in mandate"})
    step("transitions", "lena", {"to_status": "awaiting_consent", "reason": "needs a letter"})
    step("consents", "lena", {"scopes": ["formal_action"], "how_given": "in_person"}, 201)
    step("transitions", "lena", {"to_status": "in_action", "reason": "consent signed"})
    step("actions", "lena", {"action_type": "complaint_drafted", "summary": "to akimat"}, 201)
    closed = step(
        "transitions", "lena", {"to_status": "closed", "reason": "refund", "outcome": "resolved"}
    )
    assert (closed["status"], closed["outcome"]) == ("closed", "resolved")
    _check_followed_to_outcome(platform, case["id"], case["complaint_id"])


def test_a_case_is_followed_from_complaint_to_outcome_through_the_cli(sqlite_platform, monkeypatch):
    platform = sqlite_platform
    add_staff(platform, "lena", "almaty")
    case = open_case(platform, request_type="case")
    # the CLI works on the in-process service (its runtime and token verifier), as it does on
    # the server's database; the token is the caller's, as for the API
    monkeypatch.setattr(cli, "service_factory", cli.in_process(platform.cases.app))
    monkeypatch.delenv("ALAC_TOKEN", raising=False)  # --token below counts
    runner = CliRunner()
    lena = platform.issuer.token("lena")
    kazbek = platform.issuer.token("kazbek")

    def alac_cases(*args: str, token: str = lena, code: int = 0) -> dict | list:
        result = runner.invoke(cli.app, [*args, "--token", token])
        assert result.exit_code == code, (result.output, result.stderr)
        return json.loads(result.stdout) if code == 0 else result.stderr

    listed = alac_cases("list", "--status", "triage", token=kazbek)
    assert case["id"] in [c["id"] for c in listed["items"]]
    cid = case["id"]
    alac_cases("assign", cid, "--assignee", "lena", token=kazbek)
    alac_cases("transition", cid, "assessment", "--reason", "in mandate")
    # the CLI reports a refused transition with the problem's detail and the allowed statuses
    refused = alac_cases("transition", cid, "awaiting_response", "--reason", "x", code=1)
    assert "409" in refused and '"awaiting_consent"' in refused
    assert len(refused.strip().splitlines()) == 1  # one line, no trace
    # a role without the permission is refused as by the API (403), nothing written
    volunteer = platform.issuer.token("vera")
    forbidden = alac_cases("transition", cid, "closed", "--reason", "x", token=volunteer, code=1)
    assert forbidden.startswith("403") and "lawyer" in forbidden
    alac_cases("transition", cid, "awaiting_consent", "--reason", "needs a letter")
    # an action needing consent before it is given: 409 naming the missing consent
    missing = alac_cases("action", cid, "complaint_drafted", "--summary", "x", code=1)
    assert "missing_consent" in missing and "formal_action" in missing
    alac_cases("consent", cid, "--scope", "formal_action", "--how-given", "in_person")
    alac_cases("transition", cid, "in_action", "--reason", "consent signed")
    shown = alac_cases("show", cid)
    alac_cases(
        "action",
        cid,
        "complaint_drafted",
        "--summary",
        "to akimat",
        "--version",
        str(shown["version"]),
    )
    # a stale version is refused (409) and writes nothing
    stale = alac_cases(
        "close", cid, "--outcome", "resolved", "--reason", "r", "--version", "1", code=1
    )
    assert "409" in stale
    closed = alac_cases("close", cid, "--outcome", "resolved", "--reason", "refund")
    assert (closed["status"], closed["outcome"]) == ("closed", "resolved")
    followed = alac_cases("show", cid, "--history")
    assert followed["case"]["status"] == "closed"
    assert [c["to_status"] for c in followed["history"]["status_changes"]][-1] == "closed"
    _check_followed_to_outcome(platform, cid, case["complaint_id"])
