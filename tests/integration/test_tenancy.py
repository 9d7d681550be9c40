"""Tenant isolation across every read endpoint of every service: with complaints in two
tenants, a caller never sees the other tenant's data, and the other tenant's ids answer 404
with exactly the body a random id gets."""

from __future__ import annotations

import json
import uuid

import pytest

PROBLEM_JSON = "application/problem+json"
# The same word in both tenants' complaints, so a leak in search would show.
SHARED_WORD = "взятку"

TENANTS = {
    # tenant: (volunteer who submits, staff readers)
    "tk": ("vera", ("vera", "lena", "kazbek", "tamara")),
    "ndi": ("nurlan", ("nurlan", "dana")),
}
OTHER = {"tk": "ndi", "ndi": "tk"}


def _submit(platform, user: str, crux: str) -> dict:
    body = {"channel": "hotline", "request_type": "case", "area": "education", "crux": crux}
    response = platform.intake.post("/v1/complaints", json=body, headers=platform.headers(user))
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
def world(platform):
    """One complaint (and its case) per tenant; returns ids and texts per tenant."""
    data = {}
    for tenant, (volunteer, _) in TENANTS.items():
        marker = f"марка{uuid.uuid4().hex[:8]}"
        crux = f"Секретарь {marker} требует {SHARED_WORD} за справку."
        complaint = _submit(platform, volunteer, crux)
        data[tenant] = {"complaint_id": complaint["id"], "crux": crux, "marker": marker}
    platform.pump()
    for tenant, (_, readers) in TENANTS.items():
        listed = platform.cases.get("/v1/cases", headers=platform.headers(readers[-1]))
        items = listed.json()["items"]
        assert [c["complaint_id"] for c in items] == [data[tenant]["complaint_id"]]
        data[tenant]["case_id"] = items[0]["id"]
    return platform, data


def _assert_no_leak(text: str, data: dict, tenant: str) -> None:
    other = data[OTHER[tenant]]
    for marker in (other["complaint_id"], other["case_id"], other["marker"]):
        assert marker not in text


def _without_instance(body: dict) -> dict:
    return {k: v for k, v in body.items() if k != "instance"}


def _readers():
    return [(tenant, user) for tenant, (_, readers) in TENANTS.items() for user in readers]


def test_lists_and_searches_show_only_the_callers_tenant(world):
    platform, data = world
    for tenant, user in _readers():
        own = data[tenant]
        h = platform.headers(user)

        cases = platform.cases.get("/v1/cases", params={"limit": 200}, headers=h)
        assert cases.status_code == 200
        assert [c["complaint_id"] for c in cases.json()["items"]] == [own["complaint_id"]], user
        _assert_no_leak(cases.text, data, tenant)
        # Naming the other tenant's office gives nothing of theirs.
        other_office = "shymkent" if tenant == "tk" else "almaty"
        filtered = platform.cases.get("/v1/cases", params={"office": other_office}, headers=h)
        assert filtered.status_code == 200
        _assert_no_leak(filtered.text, data, tenant)

        hits = platform.search.get("/v1/search", params={"q": SHARED_WORD}, headers=h)
        assert hits.status_code == 200
        assert [hit["id"] for hit in hits.json()["items"]] == [own["complaint_id"]], user
        _assert_no_leak(hits.text, data, tenant)
        # The other tenant's own unique word finds nothing; ours finds ours.
        theirs = platform.search.get(
            "/v1/search", params={"q": data[OTHER[tenant]]["marker"]}, headers=h
        )
        assert theirs.status_code == 200
        assert theirs.json()["items"] == []
        ours = platform.search.get("/v1/search", params={"q": own["marker"]}, headers=h)
        assert [hit["id"] for hit in ours.json()["items"]] == [own["complaint_id"]]


def test_statistics_count_only_the_callers_tenant(world):
    platform, _ = world
    for tenant in TENANTS:
        for reader in {"tk": ("lena", "kazbek", "tamara", "anuar"), "ndi": ("dana",)}[tenant]:
            h = platform.headers(reader)
            response = platform.analytics.get("/v1/stats/summary", headers=h)
            assert response.status_code == 200
            body = response.json()
            assert body["tenant"] == tenant
            if reader in ("kazbek", "tamara"):  # office level: exact counts
                assert body["total"] == 1, reader
                assert body["by_status"] == {"triage": 1}
            else:  # below it, one complaint is a small cell (and never the other tenant's)
                assert body["total"] is None and body["by_status"] == {"triage": None}, reader
            other_office = "shymkent" if tenant == "tk" else "almaty"
            filtered = platform.analytics.get(
                "/v1/stats/summary", params={"office": other_office}, headers=h
            )
            assert filtered.json()["total"] == 0


def test_the_other_tenants_ids_answer_exactly_like_unknown_ids(world):
    platform, data = world
    for tenant, user in _readers():
        _check_ids(platform, data, tenant, user)


def _check_ids(platform, data: dict, tenant: str, user: str) -> None:
    own = data[tenant]
    other = data[OTHER[tenant]]
    h = platform.headers(user)

    endpoints = [
        (platform.intake, "/v1/complaints/{}", own["complaint_id"], other["complaint_id"]),
        (platform.cases, "/v1/cases/{}", own["case_id"], other["case_id"]),
    ]
    for client, template, own_id, other_id in endpoints:
        mine = client.get(template.format(own_id), headers=h)
        assert mine.status_code == 200, (template, mine.text)
        assert own["crux"] in mine.text

        foreign = client.get(template.format(other_id), headers=h)
        unknown = client.get(template.format(uuid.uuid4()), headers=h)
        for response in (foreign, unknown):
            assert response.status_code == 404, (template, response.text)
            assert response.headers["content-type"].startswith(PROBLEM_JSON)
        assert _without_instance(foreign.json()) == _without_instance(unknown.json())
        assert set(foreign.headers) - {"content-length"} == set(unknown.headers) - {
            "content-length"
        }
        assert other["marker"] not in json.dumps(foreign.json(), ensure_ascii=False)
