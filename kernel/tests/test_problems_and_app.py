"""The service application shell: health and readiness, metrics, correlation ids, and
problem+json for everything that goes wrong, including the unexpected."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient

from alac_intake.app import build_runtime
from alac_kernel.app import create_service_app
from alac_kernel.problems import PROBLEM_JSON, Problem
from alac_kernel.settings import Settings
from alac_kernel.testing.harness import TEST_ISSUER, InProcessIssuer
from alac_kernel.testing.postgres import admin_url

SECRET_DETAIL = "db password is hunter2"
boom = APIRouter()


@boom.get("/boom")
def explode() -> dict:
    raise RuntimeError(SECRET_DETAIL)


@boom.get("/conflict")
def conflict() -> dict:
    raise Problem(409, "The complaint changed meanwhile.", current_version=3)


def _app(tmp: Path, **settings):
    issuer = InProcessIssuer(tmp / "keys")
    runtime = build_runtime(
        Settings(data_dir=tmp, run_workers=False, auth_issuer=TEST_ISSUER, **settings)
    )
    runtime.migrate()
    return create_service_app(
        runtime, title="t", description="t", routers=[boom], verifier=issuer.verifier()
    )


@pytest.fixture
def client(tmp_path: Path):
    with TestClient(_app(tmp_path), raise_server_exceptions=False) as c:
        yield c


def test_healthz_and_readyz(client):
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "service": "intake"}
    r = client.get("/readyz")
    assert r.status_code == 200, r.text
    assert r.json()["checks"] == {"database": "ok", "bus": "ok"}


@pytest.mark.postgres
def test_readyz_is_503_naming_the_bus_when_its_database_does_not_exist(tmp_path: Path):
    from sqlalchemy.engine import make_url

    missing = make_url(admin_url()).set(database=f"alac_missing_{uuid.uuid4().hex[:8]}")
    app = _app(tmp_path, bus_url=missing.render_as_string(hide_password=False))
    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/readyz")
        assert r.status_code == 503, r.text
        body = r.json()
        assert body["status"] == "unavailable"
        assert body["checks"]["database"] == "ok"
        assert body["checks"]["bus"].startswith("unreachable")
        assert c.get("/healthz").status_code == 200  # alive, just not ready


def test_readyz_is_503_when_the_bus_file_cannot_be_opened(tmp_path: Path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the bus directory should be")
    app = _app(tmp_path, bus_url=f"sqlite:///{blocker / 'bus.db'}")
    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/readyz")
        assert r.status_code == 503, r.text
        assert r.json()["checks"]["bus"].startswith("unreachable")
        assert r.json()["checks"]["database"] == "ok"


def test_metrics_after_a_complaint_went_through(sqlite_platform):
    p = sqlite_platform
    r = p.intake.post(
        "/v1/complaints", json={"channel": "hotline", "crux": "x"}, headers=p.headers("vera")
    )
    assert r.status_code == 201
    p.pump()
    text = p.intake.get("/metrics").text
    lines = text.splitlines()

    def has(prefix: str, *labels: str) -> bool:
        return any(line.startswith(prefix) and all(lab in line for lab in labels) for line in lines)

    assert has(
        "alac_http_requests_total{", 'route="/v1/complaints"', 'status="201"', 'service="intake"'
    )
    assert has("alac_events_published_total{", 'type="complaint.received"', 'service="intake"')
    assert has("alac_outbox_backlog{", 'service="intake"')
    assert has("alac_events_consumed_total{", 'type="complaint.received"', 'outcome="applied"')
    assert "alac_http_request_duration_seconds_bucket" in text


def test_correlation_id_is_echoed_and_garbage_is_replaced(client):
    r = client.get("/healthz", headers={"X-Correlation-ID": "abc-123.def_4"})
    assert r.headers["x-correlation-id"] == "abc-123.def_4"
    for garbage in ("has spaces in it", "x" * 200, "<script>", ""):
        r = client.get("/healthz", headers={"X-Correlation-ID": garbage})
        replaced = r.headers["x-correlation-id"]
        assert replaced != garbage
        assert uuid.UUID(replaced)
    fresh = {client.get("/healthz").headers["x-correlation-id"] for _ in range(2)}
    assert len(fresh) == 2


def test_unexpected_exception_is_a_500_problem_without_a_stack_trace(client, caplog):
    r = client.get("/boom", headers={"X-Correlation-ID": "trace-me-1"})
    assert r.status_code == 500
    assert r.headers["content-type"] == PROBLEM_JSON
    body = r.json()
    assert body["status"] == 500
    assert body["title"] == "Internal server error"
    assert SECRET_DETAIL not in r.text
    assert "Traceback" not in r.text and "RuntimeError" not in r.text and ".py" not in r.text
    # The correlation id is what support asks for; it must come back even on a 500.
    assert r.headers["x-correlation-id"] == "trace-me-1"
    assert any(SECRET_DETAIL in (rec.exc_text or "") or rec.exc_info for rec in caplog.records)


def test_server_errors_are_counted_from_zero(client):
    """The 5xx series exists at 0 before any error (the operations dashboard's error share
    reads 0, not "no data"), and a 500 counts in it."""
    from prometheus_client import REGISTRY

    service = {"service": client.app.state.runtime.name}
    client.get("/healthz")  # the app (and its middleware) is built on the first request
    before = REGISTRY.get_sample_value("alac_http_server_errors_total", service)
    assert before is not None
    assert client.get("/conflict").status_code == 409
    assert REGISTRY.get_sample_value("alac_http_server_errors_total", service) == before
    assert client.get("/boom").status_code == 500
    assert REGISTRY.get_sample_value("alac_http_server_errors_total", service) == before + 1
    assert (
        f'alac_http_server_errors_total{{service="{service["service"]}"}}'
        in client.get("/metrics").text
    )


def test_problem_raised_in_a_route_keeps_its_extensions(client):
    r = client.get("/conflict")
    assert r.status_code == 409
    assert r.headers["content-type"] == PROBLEM_JSON
    assert r.json() == {
        "type": "https://alac.example.org/problems/conflict",
        "title": "Conflict",
        "status": 409,
        "detail": "The complaint changed meanwhile.",
        "instance": "/conflict",
        "current_version": 3,
    }


def test_unknown_route_and_wrong_method_are_problems(client):
    r = client.get("/no/such/thing")
    assert r.status_code == 404
    assert r.headers["content-type"] == PROBLEM_JSON
    r = client.delete("/healthz")
    assert r.status_code == 405
    assert r.headers["content-type"] == PROBLEM_JSON
    assert r.json()["status"] == 405
