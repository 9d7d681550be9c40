"""The Prometheus engine on the real Prometheus (Debian's package): it scrapes what it is told
to, reports a target that does not answer, loads the alert rules, and `up` is idempotent."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from prometheus_client import CollectorRegistry, Counter, start_http_server

from alac_cli.engines import prometheus
from alac_cli.engines.base import free_port, port_open
from alac_kernel.testing.processes import wait_for

pytestmark = pytest.mark.prometheus


@pytest.fixture
def exporter() -> str:
    """A real /metrics endpoint (prometheus_client's own HTTP server) on a free port."""
    registry = CollectorRegistry()
    Counter("alac_probe", "scraped by the test", registry=registry).inc(3)
    port = free_port()
    server, thread = start_http_server(port, addr="127.0.0.1", registry=registry)
    yield f"127.0.0.1:{port}"
    server.shutdown()
    thread.join(5)


def _targets(url: str) -> dict[str, str]:
    active = httpx.get(f"{url}/api/v1/targets", timeout=5).json()["data"]["activeTargets"]
    return {t["labels"]["job"]: t["health"] for t in active}


def test_run_scrapes_the_targets_and_loads_the_alert_rules(tmp_path: Path, exporter: str) -> None:
    silent = f"127.0.0.1:{free_port()}"  # nothing listens there
    with prometheus.run(tmp_path, targets={"intake": exporter, "cases": silent}) as endpoint:
        health = wait_for(
            lambda: (
                (h := _targets(endpoint.url)).get("intake") == "up"
                and h.get("cases") == "down"
                and h
            ),
            30,
            "the first scrape of both targets",
        )
        assert health == {"intake": "up", "cases": "down"}
        probe = httpx.get(
            f"{endpoint.url}/api/v1/query", params={"query": 'alac_probe_total{job="intake"}'}
        ).json()["data"]["result"]
        assert probe[0]["value"][1] == "3"
        groups = httpx.get(f"{endpoint.url}/api/v1/rules").json()["data"]["groups"]
        names = {rule["name"] for group in groups for rule in group["rules"]}
        assert {"AlacServiceDown", "AlacOutboxBacklog", "AlacDeadLetters"} <= names
        port = int(endpoint.url.rsplit(":", 1)[1])
        assert endpoint.settings == {}
    assert not port_open(port), "run() stops Prometheus on exit"


def test_up_is_idempotent_and_down_stops_it(
    tmp_path: Path, exporter: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()
    monkeypatch.setenv("ALAC_PROMETHEUS_PORT", str(port))
    first = prometheus.up(tmp_path, targets={"intake": exporter})
    try:
        pid = (tmp_path / "prometheus" / "prometheus.pid").read_text()
        # A second `up` with other targets reloads the running server instead of starting one.
        second = prometheus.up(tmp_path, targets={"search": exporter})
        assert second.url == first.url == f"http://127.0.0.1:{port}"
        assert (tmp_path / "prometheus" / "prometheus.pid").read_text() == pid
        wait_for(lambda: set(_targets(first.url)) == {"search"}, 30, "the reloaded targets")
        assert f"127.0.0.1:{port}" in prometheus.status(tmp_path)
    finally:
        prometheus.down(tmp_path)
    assert not port_open(port)
    assert prometheus.status(tmp_path).endswith("stopped")
