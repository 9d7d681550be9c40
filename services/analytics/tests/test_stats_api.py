"""Analytics' summary: counts by status, channel and area for the caller's tenant, filters,
roles, and exactly-once counting whatever the order and number of deliveries."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select, update

from alac_kernel.bus import OutgoingRecord, Record
from alac_kernel.db import session_scope
from alac_kernel.events import Event
from alac_kernel.outbox import record_headers

PROBLEM_JSON = "application/problem+json"


# ------------------------------------------------------------------ helpers


def submit(platform, user: str, **fields) -> str:
    body = {"channel": "hotline", "crux": "Требуют взятку.", **fields}
    response = platform.intake.post("/v1/complaints", json=body, headers=platform.headers(user))
    assert response.status_code == 201, response.text
    return response.json()["id"]


def summary(platform, user: str, **params) -> dict:
    response = platform.analytics.get(
        "/v1/stats/summary", params=params, headers=platform.headers(user)
    )
    assert response.status_code == 200, response.text
    body = response.json()
    if body["suppression"] is None:
        assert body["total"] == sum(body["by_status"].values())
        assert body["total"] == sum(body["by_channel"].values()) == sum(body["by_area"].values())
    return body


def relay(platform, service: str) -> int:
    (found,) = [r for r in platform.pump.relays if r.service == service]
    return found.run_once()


def consumer(platform, service: str):
    # the service's consumer of complaint and case events (not its tenant-registry group)
    (found,) = [c for c in platform.pump.consumers if c.group == service]
    return found


def outbox(platform, service: str, event_type: str) -> list[dict]:
    runtime = platform.runtime(service)
    table = runtime.tables.outbox
    with session_scope(runtime.session_factory, all_tenants=True) as session:
        rows = session.execute(select(table).where(table.c.type == event_type)).mappings()
        return [dict(r) for r in rows]


def republish_outbox(platform, service: str) -> None:
    """Mark every event of `service` unpublished, so the relay sends the same envelopes again."""
    runtime = platform.runtime(service)
    table = runtime.tables.outbox
    with session_scope(runtime.session_factory, all_tenants=True) as session:
        assert session.execute(update(table).values(state="pending")).rowcount > 0


def assert_problem(response, status: int, field: str | None = None) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body = response.json()
    assert body["status"] == status
    if field is not None:
        assert field in [e["field"] for e in body["errors"]], body
        assert all(e["reason"] for e in body["errors"])
    return body


@pytest.fixture
def seeded(platform):
    """Three tk complaints (two offices) and one ndi complaint, all processed."""
    submit(platform, "vera", request_type="case", area="education")
    submit(platform, "vera", channel="walk_in", request_type="information_request")
    submit(platform, "askar", channel="email", request_type="case", area="police")
    submit(platform, "nurlan", channel="letter", request_type="case", area="healthcare")
    platform.pump()
    return platform


# ------------------------------------------------------------------ counts


def test_summary_counts_the_tenants_complaints_by_status_channel_and_area(seeded):
    body = summary(seeded, "kazbek")
    assert body["tenant"] == "tk"
    assert body["office"] is None
    assert body["total"] == 3
    assert body["by_status"] == {"triage": 2, "quick_answer": 1}
    assert body["by_channel"] == {"hotline": 1, "walk_in": 1, "email": 1}
    assert body["by_area"] == {"education": 1, "police": 1, "unspecified": 1}

    # Dana is a lawyer, below the office level: ndi's one complaint is a small cell.
    ndi = summary(seeded, "dana")
    assert ndi["tenant"] == "ndi"
    assert ndi["total"] is None and ndi["suppression"]["threshold"] == 5
    assert ndi["by_channel"] == {"letter": None}
    assert ndi["by_area"] == {"healthcare": None}


def test_the_office_filter(seeded):
    almaty = summary(seeded, "kazbek", office="almaty")
    assert almaty["office"] == "almaty"
    assert almaty["total"] == 2
    assert almaty["by_channel"] == {"hotline": 1, "walk_in": 1}
    astana = summary(seeded, "kazbek", office="astana")
    assert astana["total"] == 1
    assert astana["by_area"] == {"police": 1}
    # Another tenant's office is just empty.
    assert summary(seeded, "kazbek", office="shymkent")["total"] == 0
    assert summary(seeded, "dana", office="almaty")["total"] == 0


def test_roles(seeded):
    for user in ("kazbek", "tamara"):
        assert summary(seeded, user)["total"] == 3, user
    for user in ("lena", "anuar"):  # below the office level: 3 is a small cell
        body = summary(seeded, user)
        assert body["total"] is None and body["suppression"]["threshold"] == 5, user
    for user in ("vera", "askar", "nurlan"):
        body = assert_problem(
            seeded.analytics.get("/v1/stats/summary", headers=seeded.headers(user)), 403
        )
        assert "analyst" in body["required_roles"]
    anonymous = seeded.analytics.get("/v1/stats/summary")
    assert_problem(anonymous, 401)
    assert anonymous.headers["www-authenticate"].startswith("Bearer")


def test_a_complaint_without_a_case_yet_counts_as_received(platform):
    submit(platform, "vera", area="housing")
    relay(platform, "intake")
    consumer(platform, "analytics").run_once()  # the case has not been opened yet
    body = summary(platform, "kazbek")
    assert body["by_status"] == {"received": 1}
    platform.pump()
    assert summary(platform, "kazbek")["by_status"] == {"triage": 1}


# ------------------------------------------------------------------ period


def test_the_period_filter_uses_the_date_received(platform):
    submit(platform, "vera", received_at="2024-03-10T09:00:00+05:00", area="education")
    submit(platform, "vera", received_at="2024-06-15T12:00:00+00:00", area="police")
    submit(platform, "vera", received_at="2025-01-20T08:30:00+05:00", area="housing")
    submit(platform, "nurlan", received_at="2024-05-01T10:00:00+05:00", area="healthcare")
    platform.pump()

    year_2024 = summary(
        platform, "kazbek", **{"from": "2024-01-01T00:00:00Z", "to": "2025-01-01T00:00:00Z"}
    )
    assert year_2024["total"] == 2
    assert year_2024["by_area"] == {"education": 1, "police": 1}
    assert year_2024["period_from"].startswith("2024-01-01T00:00:00")

    # `from` is inclusive, `to` exclusive, both compared as instants (offsets honoured).
    assert summary(platform, "kazbek", **{"from": "2024-06-15T12:00:00Z"})["total"] == 2
    assert summary(platform, "kazbek", **{"from": "2024-06-15T17:00:00+05:00"})["total"] == 2
    assert summary(platform, "kazbek", to="2024-06-15T12:00:00Z")["by_area"] == {"education": 1}
    assert summary(platform, "kazbek", to="2024-03-10T04:00:00Z")["total"] == 0
    assert summary(platform, "kazbek", to="2024-03-10T04:00:01Z")["total"] == 1
    assert summary(platform, "kazbek", **{"from": "2025-01-20T03:30:00Z"})["by_area"] == {
        "housing": 1
    }
    assert summary(platform, "kazbek", **{"from": "2026-01-01T00:00:00Z"})["total"] == 0
    assert summary(platform, "dana", **{"from": "2024-01-01T00:00:00Z"})["total"] is None  # small


@pytest.mark.parametrize("name", ["from", "to"])
@pytest.mark.parametrize(
    "value",
    [
        "last week",
        "2024-02-30T00:00:00Z",
        "2024-01-01T00:00:00",
        "2024-01-01",
        "1e309",
        "0001-01-01T00:00:00+14:00",  # before year 1 in UTC: would overflow
        "9999-12-31T23:59:59-14:00",
    ],
)
def test_a_malformed_or_naive_period_bound_is_a_422_naming_it(sqlite_platform, name, value):
    p = sqlite_platform
    response = p.analytics.get(
        "/v1/stats/summary", params={name: value}, headers=p.headers("kazbek")
    )
    assert_problem(response, 422, f"query.{name}")


# ------------------------------------------------------------------ exactly once


def test_redelivered_events_are_counted_once(platform):
    submit(platform, "vera", request_type="case", area="education")
    submit(platform, "vera", request_type="information_request")
    platform.pump()
    before = summary(platform, "kazbek")
    assert before["total"] == 2

    # The same envelopes again, from both producers.
    republish_outbox(platform, "intake")
    republish_outbox(platform, "cases")
    assert platform.pump() > 0
    assert summary(platform, "kazbek") == before

    # A fresh envelope (new event id) for a version already applied changes nothing either.
    for service, event_type in (("intake", "complaint.received"), ("cases", "case.opened")):
        for row in outbox(platform, service, event_type):
            copy = Event.from_json(row["payload"]).model_copy(update={"id": str(uuid.uuid4())})
            platform.runtime(service).bus.publish(
                [
                    OutgoingRecord(
                        topic=row["topic"],
                        key=row["aggregateid"],
                        value=copy.to_json(),
                        headers=record_headers(copy),
                    )
                ]
            )
    assert platform.pump() > 0
    assert summary(platform, "kazbek") == before


def test_a_case_opened_before_its_complaint_counts_the_complaint_once_it_arrives(platform):
    submit(platform, "vera", request_type="case", area="judicial_system")
    relay(platform, "intake")
    consumer(platform, "cases").run_once()
    relay(platform, "cases")

    counter = consumer(platform, "analytics")
    (row,) = outbox(platform, "cases", "case.opened")
    payload = row["payload"].encode()
    record = Record(topic=row["topic"], partition=0, offset=0, key=None, value=payload)
    assert counter.handle(record) == "applied"
    empty = summary(platform, "kazbek")
    assert empty["total"] == 0
    assert empty["by_status"] == {}

    platform.pump()  # complaint.received arrives (and case.opened again, a duplicate)
    body = summary(platform, "kazbek")
    assert body["total"] == 1
    assert body["by_status"] == {"triage": 1}
    assert body["by_area"] == {"judicial_system": 1}
    assert counter.handle(record) == "duplicate"

    republish_outbox(platform, "intake")
    platform.pump()
    assert summary(platform, "kazbek") == body


def test_small_cells_never_reach_lawyers_and_analysts_however_narrow_the_window(platform):
    """Issue 11: counts of 1 were shown to analysts and lawyers, and a one-microsecond window
    around one complaint's received time gave its status, channel and area."""
    for area, n in (("education", 6), ("housing", 5)):
        for _ in range(n):
            submit(platform, "vera", request_type="case", area=area)
    lone = submit(platform, "vera", channel="email", request_type="case", area="police")
    platform.pump()
    received = platform.intake.get(
        f"/v1/complaints/{lone}", headers=platform.headers("kazbek")
    ).json()["received_at"]
    from datetime import datetime, timedelta

    at = datetime.fromisoformat(received)
    window = {"from": at.isoformat(), "to": (at + timedelta(microseconds=1)).isoformat()}
    for user in ("lena", "anuar"):
        narrow = summary(platform, user, **window)
        assert narrow["total"] is None
        assert set(narrow["by_channel"].values()) == {None}
        assert set(narrow["by_area"].values()) == {None}
        assert set(narrow["by_status"].values()) == {None}
        whole = summary(platform, user)
        assert whole["total"] == 12 and whole["by_area"]["education"] == 6
        # police (1) is hidden, and so is a second cell, or 12 - 6 - 5 would give it back
        assert whole["by_area"]["police"] is None and whole["by_area"]["housing"] is None
        assert whole["by_channel"] == {"hotline": None, "email": None}
        assert whole["by_status"] == {"triage": 12}
    exact = summary(platform, "kazbek", **window)
    assert exact["total"] == 1 and exact["by_channel"] == {"email": 1}
