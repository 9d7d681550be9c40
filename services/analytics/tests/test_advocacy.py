"""The advocacy tracker: proposals linked to areas, alerts and complaints, their results, and
the report "proposals and adopted changes" laid out as in seeds/000 §4.2."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest

HOTLINE = {
    "section": "legal_literacy",
    "text": "Establishment of the single state hotline for people who faced corruption.",
    "result": "adopted",
    "detail": "The Agency established the single hotline 144.",
    "document": "Action plan under the State program on fight against corruption",
    "proposed_on": "2008-06-01",
    "result_on": "2009-01-15",
    "areas": ["not_corruption_related"],
}
CONTRACT = {
    "section": "legislation",
    "text": "A unique model contract for students of universities of all ownership forms.",
    "result": "not_adopted",
    "detail": "The Ministry of Education chooses not to respond to specific proposals.",
    "proposed_on": "2008-09-01",
    "areas": ["education"],
}


def post(a, body, user="kazbek"):
    return a.client.post("/v1/proposals", json=body, headers=a.headers(user))


def test_proposals_and_the_report(analytics):
    complaint = analytics.complaint(received_at=datetime(2008, 8, 1, tzinfo=UTC), area="education")
    analytics.consume()
    r = post(analytics, HOTLINE)
    assert r.status_code == 201, r.text
    hotline = r.json()
    assert hotline["version"] == 1 and hotline["areas"] == ["not_corruption_related"]
    r = post(analytics, {**CONTRACT, "complaint_ids": [complaint]})
    assert r.status_code == 201, r.text
    contract = r.json()
    r = post(
        analytics,
        {
            "section": "public_oversight",
            "text": "A public council on rule of law.",
            "proposed_on": "2009-02-01",
        },
    )
    council = r.json()
    assert council["result"] == "in_progress"

    h = analytics.headers
    # The council was created: the result changes, with optimistic concurrency.
    url = f"/v1/proposals/{council['id']}"
    stale = analytics.client.patch(
        url, json={"result": "adopted"}, headers=h("kazbek", **{"If-Match": '"7"'})
    )
    assert stale.status_code == 412
    r = analytics.client.patch(
        url,
        json={"result": "adopted", "document": "Decree of Akim", "result_on": "2009-05-01"},
        headers=h("kazbek", **{"If-Match": '"1"'}),
    )
    assert r.status_code == 200, r.text
    assert r.json()["result"] == "adopted" and r.json()["version"] == 2

    listed = analytics.client.get(
        "/v1/proposals", params={"area": "education"}, headers=h("lena")
    ).json()
    assert [p["id"] for p in listed] == [contract["id"]]
    assert listed[0]["complaint_ids"] == [complaint]

    report = analytics.client.get("/v1/reports/proposals", headers=h("anuar")).json()
    assert report["n"] == 3 and report["adopted"] == 2 and report["adoption_rate"] == 66.7
    assert [s["section"] for s in report["sections"]] == [
        "legal_literacy",
        "legislation",
        "public_oversight",
    ]
    legislation = report["sections"][1]
    assert legislation["results"] == {"NOT ADOPTED": 1}
    (row,) = legislation["proposals"]
    assert row["result"] == "NOT ADOPTED"
    assert row["motivated_by"] == {"complaints": 1, "alerts": 0}
    period = analytics.client.get(
        "/v1/reports/proposals",
        params={"from": "2008-07-01", "to": "2008-12-31"},
        headers=h("kazbek"),
    ).json()
    assert period["n"] == 1 and period["scope"]["from"] == "2008-07-01"

    text = analytics.client.get(
        "/v1/reports/proposals", params={"format": "csv"}, headers=h("kazbek")
    ).text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["result"] for r in rows] == ["ADOPTED", "NOT ADOPTED", "ADOPTED"]
    assert rows[2]["document"] == "Decree of Akim"


def test_links_and_tenants(sqlite_analytics):
    analytics = sqlite_analytics
    other = analytics.complaint(
        received_at=datetime(2008, 8, 1, tzinfo=UTC), tenant="ndi", office="shymkent"
    )
    analytics.consume()
    # Another tenant's complaint is unknown here, exactly like a missing one.
    for ids in ([other], ["00000000-0000-4000-8000-000000000000"]):
        r = post(analytics, {**CONTRACT, "complaint_ids": ids})
        assert r.status_code == 422
        assert r.json()["errors"][0]["field"] == "body.complaint_ids"
    r = post(analytics, {**CONTRACT, "alert_ids": ["nope"]})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body.alert_ids"
    created = post(analytics, CONTRACT).json()
    assert (
        analytics.client.get(
            f"/v1/proposals/{created['id']}", headers=analytics.headers("dana")
        ).status_code
        == 404
    )
    assert (
        analytics.client.get(
            "/v1/proposals/missing", headers=analytics.headers("kazbek")
        ).status_code
        == 404
    )
    assert (
        len(analytics.client.get("/v1/proposals", headers=analytics.headers("kazbek")).json()) == 1
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**CONTRACT, "result": "ADOPTED"}, "body.result"),
        ({**CONTRACT, "section": "sports"}, "body.section"),
        ({**CONTRACT, "text": ""}, "body.text"),
        ({k: v for k, v in CONTRACT.items() if k != "proposed_on"}, "body.proposed_on"),
        ({**CONTRACT, "result_on": "2008-01-01"}, "body"),
        ({**CONTRACT, "areas": ["Education!"]}, "body.areas.0"),
        ({**CONTRACT, "owner": "x"}, "body.owner"),
    ],
)
def test_bad_proposals_are_refused_and_write_nothing(sqlite_analytics, body, field):
    a = sqlite_analytics
    r = post(a, body)
    assert r.status_code == 422, r.text
    assert field in [e["field"] for e in r.json()["errors"]]
    assert a.client.get("/v1/proposals", headers=a.headers("kazbek")).json() == []


def test_roles(sqlite_analytics):
    a = sqlite_analytics
    for user in ("lena", "anuar", "vera"):
        assert post(a, CONTRACT, user).status_code == 403, user
    assert post(a, CONTRACT, "tamara").status_code == 201
    assert a.client.get("/v1/proposals", headers=a.headers("vera")).status_code == 403


def test_proposal_texts_that_look_like_formulas_are_neutralised_in_the_csv(sqlite_analytics):
    """Issue 11: a text starting with =, +, - or @ went verbatim into the CSV export, where a
    spreadsheet runs it as a formula."""
    a = sqlite_analytics
    texts = ['=HYPERLINK("http://example.invalid","x")', "+1+1", "-2+3", "@SUM(A1)"]
    for text in texts:
        r = post(a, {"section": "legislation", "text": text, "proposed_on": "2009-02-01"})
        assert r.status_code == 201, r.text
    r = a.client.get("/v1/reports/proposals", params={"format": "csv"}, headers=a.headers("kazbek"))
    assert r.status_code == 200, r.text
    cells = {row[1] for row in csv.reader(io.StringIO(r.text))}
    assert {f"'{t}" for t in texts} <= cells
    assert not any(c.startswith(("=", "+", "-", "@")) for c in cells)
