"""One complaint through the real machinery (outbox → log bus → consumers), on SQLite and
on PostgreSQL."""

from __future__ import annotations

import re


def test_complaint_opens_case_is_searchable_and_counted(platform):
    body = {
        "channel": "hotline",
        "request_type": "case",
        "area": "education",
        "crux": "Директор школы требует взятку за зачисление в первый класс.",
    }
    created = platform.intake.post("/v1/complaints", json=body, headers=platform.headers("vera"))
    assert created.status_code == 201, created.text
    complaint_id = created.json()["id"]
    # Every complaint gets a receipt code, named ones too (read out on the phone).
    assert re.fullmatch(
        r"[0-9A-HJKMNP-TV-Z]{5}(-[0-9A-HJKMNP-TV-Z]{5}){4}", created.json()["receipt_code"]
    )

    assert platform.pump() > 0

    cases = platform.cases.get("/v1/cases", headers=platform.headers("lena")).json()["items"]
    assert [c["complaint_id"] for c in cases] == [complaint_id]
    assert cases[0]["status"] == "triage"

    hits = platform.search.get(
        "/v1/search", params={"q": "взятку"}, headers=platform.headers("lena")
    ).json()
    assert [h["id"] for h in hits["items"]] == [complaint_id]
    assert hits["items"][0]["status"] == "triage"

    stats = platform.analytics.get("/v1/stats/summary", headers=platform.headers("kazbek")).json()
    assert stats["total"] == 1
    assert stats["by_status"] == {"triage": 1}
    assert stats["by_channel"] == {"hotline": 1}
    assert stats["by_area"] == {"education": 1}


def test_walking_skeleton_over_kafka(kafka_platform):
    """The same path with the Kafka backend: relays publish to the real broker, the consumer
    groups of cases, search and analytics read from it."""
    platform = kafka_platform
    created = platform.intake.post(
        "/v1/complaints",
        json={
            "channel": "email",
            "request_type": "information_request",
            "crux": "Bribe demanded at the akimat.",
        },
        headers=platform.headers("vera"),
    )
    assert created.status_code == 201, created.text
    complaint_id = created.json()["id"]
    platform.pump()

    cases = platform.cases.get("/v1/cases", headers=platform.headers("lena")).json()["items"]
    assert [(c["complaint_id"], c["status"]) for c in cases] == [(complaint_id, "quick_answer")]
    hits = platform.search.get(
        "/v1/search", params={"q": "akimat"}, headers=platform.headers("lena")
    ).json()
    assert [h["id"] for h in hits["items"]] == [complaint_id]
    stats = platform.analytics.get("/v1/stats/summary", headers=platform.headers("kazbek")).json()
    assert stats["by_status"] == {"quick_answer": 1}
