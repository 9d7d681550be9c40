"""Pattern alerts: the stated Poisson test, detection against each value's own baseline, the
alert.pattern_detected event through the outbox, and list / acknowledge / dismiss."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from math import exp, factorial

import pytest
from sqlalchemy import select

from alac_analytics.alerts.poisson import poisson_upper_tail
from alac_kernel.db import session_scope
from alac_kernel.events import Event
from alac_kernel.settings import Settings


@pytest.mark.parametrize(("k", "mean"), [(1, 1.0), (5, 0.5), (12, 2.0), (3, 7.5), (40, 30.0)])
def test_the_upper_tail_matches_one_minus_the_cdf(k, mean):
    cdf = sum(exp(-mean) * mean**i / factorial(i) for i in range(k))
    assert poisson_upper_tail(k, mean) == pytest.approx(1 - cdf, rel=1e-9, abs=1e-15)


def test_edge_cases_of_the_tail():
    assert poisson_upper_tail(0, 3.0) == 1.0
    assert poisson_upper_tail(3, 0.0) == 0.0
    assert 0 < poisson_upper_tail(60, 2.0) < 1e-40  # tiny but not rounded to 0


WINDOW_END = date(2025, 9, 1)


@pytest.fixture
def schools(sqlite_analytics):
    """Six months with 2 school and 3 police complaints a month, then a month with 12 school
    complaints (and the usual 3 police)."""
    analytics = sqlite_analytics
    start = datetime(2025, 2, 5, 10, tzinfo=UTC)
    for month in range(6):
        for i in range(5):
            body = "school" if i < 2 else "police"
            analytics.complaint(
                received_at=start + timedelta(days=30 * month + i),
                respondent_body_type=body,
                area="education",
            )
    window = datetime(2025, 8, 3, 10, tzinfo=UTC)
    for i in range(15):
        analytics.complaint(
            received_at=window + timedelta(days=i % 27),
            respondent_body_type="school" if i < 12 else "police",
        )
    analytics.consume()
    return analytics


def fill(analytics):
    start = datetime(2025, 2, 5, 10, tzinfo=UTC)
    for month in range(6):
        for i in range(2):
            analytics.complaint(
                received_at=start + timedelta(days=30 * month + i), respondent_body_type="school"
            )
    for i in range(12):
        analytics.complaint(
            received_at=datetime(2025, 8, 3, 10, tzinfo=UTC) + timedelta(days=i),
            respondent_body_type="school",
        )
    analytics.consume()


def test_detection_on_both_databases(analytics):
    fill(analytics)
    (alert,) = detect(analytics).json()
    assert (alert["count"], alert["baseline"]) == (12, 2.0)
    assert detect(analytics).json() == []


def test_the_complaints_behind_an_alert_for_the_office_level_only(analytics):
    """The list is the alert's window and value, counted as the alert counted them; a
    coordinator and a tenant admin get it, an analyst (counts only) and a lawyer do not, and
    another tenant's alert is a 404."""
    start = datetime(2025, 2, 5, 10, tzinfo=UTC)
    for month in range(6):
        for i in range(2):
            analytics.complaint(
                received_at=start + timedelta(days=30 * month + i), respondent_body_type="school"
            )
    behind = [
        analytics.complaint(
            received_at=datetime(2025, 8, 2, 0, tzinfo=UTC) + timedelta(days=i, hours=i),
            respondent_body_type="school",
            channel="email" if i % 2 else "hotline",
        )
        for i in range(12)
    ]
    analytics.open_case(behind[0], at=datetime(2025, 8, 3, tzinfo=UTC))
    # Just outside the window (its end is exclusive), another value, another tenant.
    analytics.complaint(
        received_at=datetime(2025, 9, 1, 0, tzinfo=UTC), respondent_body_type="school"
    )
    analytics.complaint(received_at=datetime(2025, 8, 5, tzinfo=UTC), respondent_body_type="police")
    analytics.complaint(
        received_at=datetime(2025, 8, 5, tzinfo=UTC),
        respondent_body_type="school",
        tenant="ndi",
        office="shymkent",
    )
    analytics.consume()
    (alert,) = detect(analytics).json()
    url = f"/v1/alerts/{alert['id']}/complaints"

    r = analytics.client.get(url, headers=analytics.headers("kazbek"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["count"], body["total"], body["truncated"]) == (12, 12, False)
    assert [c["complaint_id"] for c in body["complaints"]] == behind  # oldest first
    first = body["complaints"][0]
    assert first["received_on"] == "2025-08-02" and first["office"] == "almaty"
    assert first["case_id"] and first["status"] == "triage"
    assert {c["channel"] for c in body["complaints"]} == {"hotline", "email"}
    assert "crux" not in r.text and "pseudonym" not in r.text

    assert analytics.client.get(url, headers=analytics.headers("tamara")).status_code == 200
    page = analytics.client.get(url, params={"limit": 5}, headers=analytics.headers("kazbek"))
    assert [c["complaint_id"] for c in page.json()["complaints"]] == behind[:5]
    assert page.json()["truncated"] is True

    refused = analytics.client.get(url, headers=analytics.headers("anuar"))
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert "analysts see counts" in refused.json()["detail"]
    assert analytics.client.get(url, headers=analytics.headers("lena")).status_code == 403
    assert analytics.client.get(url, headers=analytics.headers("dana")).status_code == 403
    missing = analytics.client.get(
        "/v1/alerts/nope/complaints", headers=analytics.headers("kazbek")
    )
    assert missing.status_code == 404
    bad = analytics.client.get(url, params={"limit": 0}, headers=analytics.headers("kazbek"))
    assert bad.status_code == 422
    assert "query.limit" in [e["field"] for e in bad.json()["errors"]]


def test_another_tenants_alert_lists_no_complaints(schools):
    """The tenant comes from the token: the same id read in another tenant is missing."""
    (alert,) = detect(schools).json()
    from alac_analytics.alerts import service
    from alac_kernel.auth.principal import Principal
    from alac_kernel.errors import NotFound

    other = Principal(
        subject="x", username=None, tenant="ndi", office=None,
        roles=frozenset({"coordinator"}), client_id=None, token_id=None,
    )  # fmt: skip
    with pytest.raises(NotFound):
        service.complaints_of_alert(
            session_factory=schools.runtime.session_factory,
            principal=other,
            alert_id=alert["id"],
            limit=10,
        )


def detect(a, user="kazbek", **body):
    return a.client.post(
        "/v1/alerts/detect", json={"window_end": str(WINDOW_END), **body}, headers=a.headers(user)
    )


def outbox_events(a) -> list[Event]:
    table = a.runtime.tables.outbox
    with session_scope(a.runtime.session_factory, all_tenants=True) as session:
        rows = session.execute(
            select(table.c.payload).where(table.c.type == "alert.pattern_detected")
        ).scalars()
        return [Event.from_json(r) for r in rows]


def test_a_concentration_about_one_body_type_raises_one_alert(schools):
    r = detect(schools)
    assert r.status_code == 200, r.text
    (alert,) = r.json()
    expected_p = poisson_upper_tail(12, 2.0)
    assert {
        k: alert[k]
        for k in (
            "dimension",
            "value",
            "count",
            "baseline",
            "method",
            "status",
            "window_start",
            "window_end",
        )
    } == {
        "dimension": "respondent_body_type",
        "value": "school",
        "count": 12,
        "baseline": 2.0,
        "method": "poisson_upper_tail",
        "status": "open",
        "window_start": "2025-08-02",
        "window_end": "2025-09-01",
    }
    assert alert["p_value"] == pytest.approx(expected_p) and expected_p < 0.001
    # The area (education) was 2/month in history too, but the window's school complaints
    # carry no area: 0 education in the window, nothing to flag. Police stayed at 3.

    (event,) = outbox_events(schools)
    schools.runtime.contracts.validate(event)
    assert event.subject == alert["id"] and event.tenantid == "tk"
    assert event.data["count"] == 12 and event.data["p_value"] == pytest.approx(expected_p)
    assert "complaint_id" not in json.dumps(event.data)

    # Running again for the same window raises nothing new.
    assert detect(schools).json() == []
    assert len(outbox_events(schools)) == 1


def test_list_acknowledge_dismiss(schools):
    (alert,) = detect(schools).json()
    h = schools.headers
    listed = schools.client.get("/v1/alerts", headers=h("anuar")).json()
    assert [a["id"] for a in listed] == [alert["id"]]
    url = f"/v1/alerts/{alert['id']}"
    r = schools.client.post(
        f"{url}/acknowledge", json={"note": "Письмо в акимат готовим."}, headers=h("kazbek")
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "acknowledged" and r.json()["note"] == "Письмо в акимат готовим."
    assert r.json()["handled_by"]
    again = schools.client.post(f"{url}/dismiss", json={}, headers=h("kazbek"))
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")
    assert (
        schools.client.get("/v1/alerts", params={"status": "open"}, headers=h("kazbek")).json()
        == []
    )
    assert (
        len(
            schools.client.get(
                "/v1/alerts", params={"status": "acknowledged"}, headers=h("kazbek")
            ).json()
        )
        == 1
    )
    # Another tenant's alert is a 404, like a missing one; roles below are 403.
    assert schools.client.post(f"{url}/dismiss", json={}, headers=h("dana")).status_code == 403
    missing = schools.client.post("/v1/alerts/nope/dismiss", json={}, headers=h("kazbek"))
    assert missing.status_code == 404
    assert schools.client.get("/v1/alerts", headers=h("lena")).status_code == 403


def test_another_tenant_sees_a_404(schools):
    (alert,) = detect(schools).json()
    schools.complaint(received_at=datetime(2025, 8, 3, tzinfo=UTC), tenant="ndi", office="shymkent")
    schools.consume()
    # The demo users of ndi hold no alert role, so the tenant filter is checked directly.
    from alac_analytics.alerts import service
    from alac_kernel.errors import NotFound

    with session_scope(schools.runtime.session_factory, tenant="ndi") as session:
        with pytest.raises(NotFound) as raised:
            service.get(session=session, alert_id=alert["id"])
    assert raised.value.status == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"window_days": 3}, "body.window_days"),
        ({"alpha": 0}, "body.alpha"),
        ({"window_end": "2025-02-30"}, "body.window_end"),
        ({"window_end": "0001-02-01"}, "body.window_end"),  # its baseline would precede year 1
        ({"min_count": "5"}, "body.min_count"),
        ({"threshold": 1}, "body.threshold"),
    ],
)
def test_bad_detection_parameters(sqlite_analytics, body, field):
    r = detect(sqlite_analytics, **body)
    assert r.status_code == 422, r.text
    assert field in [e["field"] for e in r.json()["errors"]]


def test_the_cli_detects(schools, monkeypatch, tmp_path):
    from typer.testing import CliRunner

    from alac_cli.main import app

    if schools.runtime.database_url.startswith("postgresql"):
        monkeypatch.setenv("ALAC_DATABASE_URL", schools.runtime.database_url)
    monkeypatch.setenv("ALAC_DATA_DIR", str(tmp_path))
    args = ["analytics", "detect-patterns", "--tenant", "tk", "--window-end", str(WINDOW_END)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "respondent_body_type=school: 12 vs baseline 2.0" in result.output
    assert len(outbox_events(schools)) == 1
    assert "no unusual concentration" in CliRunner().invoke(app, args).output


def test_the_worker_runs_detection_on_a_schedule_from_the_setting(monkeypatch, tmp_path):
    from alac_analytics.app import build_runtime, detect_patterns

    monkeypatch.setenv("ALAC_ANALYTICS_ALERT_INTERVAL_S", "45")
    runtime = build_runtime(Settings(data_dir=tmp_path, run_workers=False))
    try:
        (task,) = runtime.periodic
        assert (task.name, task.interval_s, task.run) == ("pattern-alerts", 45.0, detect_patterns)
    finally:
        runtime.close()
    monkeypatch.delenv("ALAC_ANALYTICS_ALERT_INTERVAL_S")
    runtime = build_runtime(Settings(data_dir=tmp_path, run_workers=False))
    try:
        assert runtime.periodic[0].interval_s == 300.0  # the default: every five minutes
    finally:
        runtime.close()


def test_one_scheduled_pass_detects_and_emits_once(schools):
    from alac_analytics.app import detect_patterns

    # The window ends (exclusive) on the day of `now`, like the CLI without --window-end.
    now = datetime(WINDOW_END.year, WINDOW_END.month, WINDOW_END.day, 3, tzinfo=UTC)
    result = detect_patterns(schools.runtime, now=now)
    assert result.tenants == 1
    assert [(a.dimension, a.value, a.count) for a in result.alerts] == [
        ("respondent_body_type", "school", 12)
    ]
    (event,) = outbox_events(schools)
    assert event.data["alert_id"] == result.alerts[0].id
    assert event.data["window_end"] == str(WINDOW_END)
    # The next tick finds the same concentration already alerted: no second alert, no event.
    assert detect_patterns(schools.runtime, now=now).alerts == []
    assert len(outbox_events(schools)) == 1
    listed = schools.client.get("/v1/alerts", headers=schools.headers("kazbek")).json()
    assert [a["value"] for a in listed] == ["school"]
