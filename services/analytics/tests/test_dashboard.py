"""The dashboard API (time series and breakdowns with filters, small cells hidden below
coordinator) and the Prometheus business metrics on /metrics."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families

T0 = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)  # a Monday
PERIOD = {"from": "2025-01-01", "to": "2025-12-31"}


@pytest.fixture
def data(analytics):
    for i in range(12):
        c = analytics.complaint(
            received_at=T0 + timedelta(days=3 * i),
            channel="hotline" if i < 9 else "email",
            area="education" if i % 2 else "police",
        )
        case = analytics.open_case(c, at=T0 + timedelta(days=3 * i, hours=2))
        if i < 4:
            analytics.case_event(
                "case.assigned",
                case,
                c,
                assignee="lena-id",
                assignee_role="lawyer",
                previous_assignee=None,
                assigned_at=T0 + timedelta(days=3 * i, hours=3),
            )
        if i == 0:
            analytics.case_event(
                "case.deadline_missed",
                case,
                c,
                deadline_id=case,
                rule="appeal_15_days",
                due_at=T0 + timedelta(days=15),
            )
        if i >= 10:
            analytics.close_case(
                case,
                c,
                at=T0 + timedelta(days=3 * i + 1),
                outcome="resolved",
                triaged_after=timedelta(hours=20),
            )
    analytics.complaint(received_at=T0, office="astana", channel="letter")
    analytics.consume()
    return analytics


def get(a, path, user="kazbek", **params):
    return a.client.get(f"/v1/dashboard/{path}", params=params, headers=a.headers(user))


def test_time_series_by_interval_with_filters(data):
    r = get(data, "timeseries", **PERIOD, interval="month")
    assert r.status_code == 200, r.text
    assert r.json()["points"] == [
        {"period": "2025-01", "count": 10},
        {"period": "2025-02", "count": 3},
    ]
    weekly = get(data, "timeseries", **PERIOD, interval="week", office="almaty").json()
    assert weekly["points"][:2] == [
        {"period": "2025-01-06", "count": 3},
        {"period": "2025-01-13", "count": 2},
    ]
    assert sum(p["count"] for p in weekly["points"]) == 12
    email = get(data, "timeseries", **PERIOD, dimension="channel", value="email").json()
    assert email["scope"]["filter"] == {"channel": "email"}
    assert sum(p["count"] for p in email["points"]) == 3


def test_breakdown_and_its_suppression(data):
    body = get(data, "breakdown", **PERIOD, dimension="channel").json()
    assert body["values"] == [
        {"value": "hotline", "count": 9},
        {"value": "email", "count": 3},
        {"value": "letter", "count": 1},
    ]
    assert body["suppressed"] == []
    lawyer = get(data, "breakdown", "lena", **PERIOD, dimension="channel").json()
    # email 3 and letter 1 are small; together 4 is still under 5, so hotline goes too.
    assert lawyer["values"] == [
        {"value": "hotline", "count": None},
        {"value": "email", "count": None},
        {"value": "letter", "count": None},
    ]
    assert lawyer["suppressed"] == ["email", "hotline", "letter"]


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("breakdown", {**PERIOD, "dimension": "name"}, "query.dimension"),
        ("breakdown", PERIOD, "query.dimension"),
        ("timeseries", {**PERIOD, "dimension": "channel"}, "query.value"),
        ("timeseries", {**PERIOD, "value": "email"}, "query.dimension"),
        ("timeseries", {**PERIOD, "interval": "year"}, "query.interval"),
        ("timeseries", {"from": "2025-02-01", "to": "2025-01-01"}, "query.to"),
        ("timeseries", {**PERIOD, "office": "Almaty!"}, "query.office"),
        # Past the supported days, date arithmetic would overflow: a 422, not a 500.
        ("timeseries", {"from": "9999-12-01", "to": "9999-12-31"}, "query.from"),
        ("breakdown", {"dimension": "area", "from": "2025-01-01", "to": "9999-12-31"}, "query.to"),
    ],
)
def test_bad_parameters(sqlite_analytics, path, params, field):
    r = get(sqlite_analytics, path, **params)
    assert r.status_code == 422, r.text
    assert field in [e["field"] for e in r.json()["errors"]]


def test_volunteers_get_no_dashboard(sqlite_analytics):
    assert get(sqlite_analytics, "breakdown", "vera", **PERIOD, dimension="area").status_code == 403


def test_business_metrics(data):
    text = data.client.get("/metrics").text
    samples = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value

    def value(name, **labels):
        return samples[(name, tuple(sorted(labels.items())))]

    assert (
        value("alac_complaints_received_total", tenant="tk", office="almaty", channel="hotline")
        == 9
    )
    # One letter in Astana is a small cell: left out, not published (issue 11).
    assert not any(
        name == "alac_complaints_received_total" and dict(labels).get("channel") == "letter"
        for name, labels in samples
    )
    assert value("alac_open_cases", tenant="tk", office="almaty") == 10
    # No staff member's id in any series: the backlog is assigned or not.
    assert value("alac_case_backlog", tenant="tk", office="almaty", assigned="yes") == 4
    assert value("alac_case_backlog", tenant="tk", office="almaty", assigned="no") == 6
    assert "lena-id" not in text
    assert value("alac_deadlines_missed_total", tenant="tk", office="almaty") == 1
    # Triage: 10 opened into triage and never left (not counted), 2 left after 4 hours: two
    # complaints are a small cell, so no quantile is published.
    assert not any(name == "alac_time_to_triage_hours" for name, _ in samples)
