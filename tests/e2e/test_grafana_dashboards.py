"""The Grafana dashboards of deploy/grafana, checked against a real Prometheus (Debian's
package, as `alac engines` runs it) scraping a running platform (`alac up`, real processes):
after some ordinary work (complaints with contact details, a contact shown to a lawyer, cases
triaged, a refused request), every query of every panel returns data. Grafana itself does not
run here; the provisioning files are checked for what Grafana reads from them."""

from __future__ import annotations

import json
import signal
import subprocess
from pathlib import Path

import httpx
import pytest
import yaml

from alac_cli.engines import prometheus as prometheus_engine
from alac_cli.supervisor import Layout
from alac_kernel.testing.processes import env_for, free_port_base, start, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.prometheus, pytest.mark.timeout(600)]

GRAFANA = Path(__file__).resolve().parents[2] / "deploy" / "grafana"
DASHBOARDS = sorted((GRAFANA / "dashboards").glob("*.json"))
# Grafana's $__rate_interval is at least four scrape intervals; Prometheus gets a fixed one.
RATE_INTERVAL = "1m"


def panels() -> list[tuple[str, str, str]]:
    """(dashboard, panel title, query) for every target of every panel."""
    out = []
    for path in DASHBOARDS:
        board = json.loads(path.read_text())
        for panel in board["panels"]:
            for target in panel["targets"]:
                out.append((board["title"], panel["title"], target["expr"]))
    return out


def test_the_provisioning_names_the_data_source_every_panel_uses() -> None:
    sources = yaml.safe_load(
        (GRAFANA / "provisioning" / "datasources" / "prometheus.yml").read_text()
    )
    (source,) = sources["datasources"]
    assert source["type"] == "prometheus" and source["url"] == "${ALAC_PROMETHEUS_URL}"
    providers = yaml.safe_load((GRAFANA / "provisioning" / "dashboards" / "alac.yml").read_text())
    assert providers["providers"][0]["options"]["path"] == "/var/lib/grafana/dashboards"
    assert {p.stem for p in DASHBOARDS} == {
        "alac-services", "alac-events", "alac-security", "alac-business",
    }  # fmt: skip
    uids = set()
    for path in DASHBOARDS:
        board = json.loads(path.read_text())
        assert board["uid"] == path.stem and board["uid"] not in uids
        uids.add(board["uid"])
        ids = [p["id"] for p in board["panels"]]
        assert len(ids) == len(set(ids))
        for panel in board["panels"]:
            assert panel["datasource"]["uid"] == source["uid"]
            assert panel["targets"] and all(t["datasource"]["uid"] == source["uid"]
                                            for t in panel["targets"])  # fmt: skip
    titles = " ".join(title for _, title, _ in panels()).lower()
    for topic in ("requests", "errors", "latency", "outbox", "consumer lag", "dead letters",
                  "vault", "audit", "complaints", "open cases", "deadlines", "triage"):  # fmt: skip
        assert topic in titles, topic


def test_no_panel_borrows_another_metric_to_have_data() -> None:
    """A panel's query answers from its own metric: no `or <another metric> * 0` fallback,
    which would return "data" (zeros) even if the panel's own metric were never emitted.
    Counters that are usually 0 (5xx, dead letters, publish failures) are emitted at 0 from
    the start instead (alac_kernel.observability.metrics)."""
    borrowed = [(board, title) for board, title, expr in panels()
                if " or " in expr or "* 0" in expr]  # fmt: skip
    assert borrowed == []


def _token(issuer: str, user: str) -> str:
    answer = httpx.post(
        f"{issuer}/protocol/openid-connect/token",
        data={"grant_type": "password", "client_id": "alac-cli", "username": user,
              "password": "demo" + user},
    )  # fmt: skip
    answer.raise_for_status()
    return answer.json()["access_token"]


def _work(intake: str, cases: str, issuer: str) -> None:
    """What a day at a centre does to the metrics: complaints with contact details (vault
    writes), one contact shown to a lawyer (an audited vault read), cases listed (audit chain)
    and moved out of triage (time to triage), a request without a token (401)."""
    kazbek = {"Authorization": f"Bearer {_token(issuer, 'kazbek')}"}
    lena = {"Authorization": f"Bearer {_token(issuer, 'lena')}"}
    ids = []
    for i in range(7):  # above the small-cell threshold (5) of the business series
        body = {
            "channel": "hotline", "crux": f"Жалоба номер {i} для проверки панелей.",
            "area": "education", "contact": {"name": f"Заявитель {i}", "phone": f"+7701000000{i}"},
        }  # fmt: skip
        answer = httpx.post(f"{intake}/v1/complaints", json=body, headers=kazbek)
        assert answer.status_code == 201, answer.text
        ids.append(answer.json()["id"])
    shown = httpx.get(f"{intake}/v1/complaints/{ids[0]}/contact", headers=lena)
    assert shown.status_code == 200, shown.text
    assert httpx.get(f"{intake}/v1/complaints/{ids[0]}").status_code == 401

    def in_triage() -> list | None:
        found = httpx.get(f"{cases}/v1/cases", params={"status": "triage"}, headers=lena)
        items = found.json()["items"] if found.status_code == 200 else []
        return items if len(items) >= 7 else None

    for case in wait_for(in_triage, 90, "cases to open from the complaints", interval_s=0.5):
        moved = httpx.post(
            f"{cases}/v1/cases/{case['id']}/transitions",
            json={"to_status": "assessment", "reason": "Оценка по существу.",
                  "version": case["version"]}, headers=lena,
        )  # fmt: skip
        assert moved.status_code in (200, 201), moved.text


def test_every_panel_query_returns_data_from_a_running_platform(tmp_path: Path) -> None:
    data, log = tmp_path / "data", tmp_path / "up.log"
    base = free_port_base()
    supervisor = start(
        ["up", "--data", str(data), "--port-base", str(base), "--no-demo"], env_for(data), log
    )
    try:

        def started() -> bool:
            assert supervisor.poll() is None, log.read_text()
            return "Ctrl-C stops everything" in log.read_text()

        wait_for(started, 180, "alac up to start", interval_s=0.3)
        layout = Layout(host="127.0.0.1", port_base=base, data=data)
        with prometheus_engine.run(tmp_path / "prometheus", layout.metrics_targets()) as prom:
            _work(layout.url("intake"), layout.url("cases"), layout.issuer)
            queries = panels()
            assert len(queries) >= 20
            empty: dict[tuple[str, str], str] = {}

            def answered() -> bool:
                empty.clear()
                for board, title, expr in queries:
                    got = httpx.get(
                        f"{prom.url}/api/v1/query",
                        params={"query": expr.replace("$__rate_interval", RATE_INTERVAL)},
                        timeout=10,
                    ).json()
                    assert got["status"] == "success", (title, expr, got)
                    if not got["data"]["result"]:
                        empty[(board, title)] = expr
                return not empty

            try:
                wait_for(answered, 150, "every panel's query to return data", interval_s=5)
            except Exception:
                pytest.fail(
                    f"panels without data: {json.dumps(list(empty.items()), ensure_ascii=False, indent=1)}"
                )
            # The usually-zero panels answer for every service and consumer group that runs,
            # with the true figure of this run: nothing failed, nothing was parked.
            for metric, by, expected in (
                ("alac_http_server_errors_total", "service", {"intake", "cases", "analytics", "search"}),
                ("alac_events_publish_failures_total", "service", {"intake", "cases", "analytics"}),
                ('alac_events_consumed_total{outcome="dead_lettered"}', "group", {"analytics", "cases"}),
            ):  # fmt: skip
                query = f"sum by ({by}) (increase({metric}[1h]))"
                values: dict[str, float] = {}

                def every_one_answers(query: str = query, by: str = by) -> bool:
                    # increase() needs two scrapes of a series: a service whose first scrape
                    # came late answers a few seconds after the others.
                    got = httpx.get(f"{prom.url}/api/v1/query", params={"query": query}).json()
                    values.clear()
                    values.update(
                        {r["metric"][by]: float(r["value"][1]) for r in got["data"]["result"]}
                    )
                    return expected <= set(values)

                try:
                    wait_for(every_one_answers, 90, f"{metric} for every service", interval_s=3)
                except AssertionError:
                    pass  # the assertion below says what is missing
                assert expected <= set(values), (metric, values)
                assert all(v == 0 for v in values.values()), (metric, values)
    finally:
        supervisor.send_signal(signal.SIGINT)
        try:
            supervisor.wait(timeout=60)
        except subprocess.TimeoutExpired:
            supervisor.kill()
            supervisor.wait()
