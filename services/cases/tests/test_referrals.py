"""Referrals to a partner tenant: consent-gated (referral; share_contact for contact details),
`case.referred` carries only what the consent and the caller allow, a referral action is
recorded, the case can then close as referred; bad targets answer 422 and write nothing."""

from __future__ import annotations

from cases_test_helpers import case_events, open_case, post, problem


def current(platform, case: dict) -> dict:
    return platform.cases.get(f"/v1/cases/{case['id']}", headers=platform.headers("lena")).json()


def consent(platform, case: dict, scopes: list[str]) -> dict:
    body = {"scopes": scopes, "version": current(platform, case)["version"]}
    response = post(platform, f"/v1/cases/{case['id']}/consents", "lena", body)
    assert response.status_code in (200, 201), response.text
    return current(platform, case)


def test_a_referral_shares_only_what_the_consent_allows(platform):
    platform.onboard_demo_tenants()  # names and partners from the registry
    case = open_case(platform, request_type="case", area=None)
    url = f"/v1/cases/{case['id']}/referrals"

    def refer(body: dict):
        return post(platform, url, "lena", {"version": current(platform, case)["version"], **body})

    assert problem(refer({"to_tenant": "ndi"}), 409)["missing_consent"] == ["referral"]
    case = consent(platform, case, ["referral"])
    # Contact details need share_contact too.
    answer = problem(refer({"to_tenant": "ndi", "share": ["contact"]}), 409)
    assert answer["missing_consent"] == ["share_contact"]
    same = problem(refer({"to_tenant": "tk"}), 422)
    assert same["errors"][0]["field"] == "body.to_tenant"
    unknown = problem(refer({"to_tenant": "nowhere"}), 422)
    assert unknown["errors"][0]["field"] == "body.to_tenant"
    assert platform.cases.get(url, headers=platform.headers("lena")).json() == []

    made = refer({"to_tenant": "ndi", "share": ["crux"]})
    assert made.status_code == 201, made.text
    referral = made.json()
    referred = [e for e in case_events(platform, case["id"]) if e.type == "case.referred"]
    assert len(referred) == 1
    shared = referred[0].data["shared"]
    assert shared == {
        "channel": "hotline",
        "anonymous": False,
        "crux": "Требуют взятку за справку.",
        "share_contact": False,
    }
    assert referred[0].data["to_tenant"] == "ndi"
    assert referred[0].data["consent_version"] == referral["consent_version"] == 1
    actions = platform.cases.get(
        f"/v1/cases/{case['id']}/actions", headers=platform.headers("lena")
    ).json()
    assert [(a["action_type"], a["to_tenant"]) for a in actions] == [("referral", "ndi")]

    # With share_contact the receiver is told to ask intake; the details never travel.
    consent(platform, case, ["referral", "share_contact"])
    second = refer({"to_tenant": "ndi", "share": ["contact"]})
    assert second.status_code == 201, second.text
    assert second.json()["shared"] == {
        "channel": "hotline",
        "anonymous": False,
        "share_contact": True,
    }

    # Closing as referred.
    version = current(platform, case)["version"]
    for to in ("assessment", "closed"):
        body = {"to_status": to, "reason": "referred to ndi", "version": version}
        if to == "closed":
            body["outcome"] = "referred"
        moved = post(platform, f"/v1/cases/{case['id']}/transitions", "lena", body)
        assert moved.status_code == 200, moved.text
        version = moved.json()["version"]
    assert moved.json()["outcome"] == "referred"
    # the other tenant cannot see it
    problem(platform.cases.get(url, headers=platform.headers("dana")), 404)
