"""The alert rules and Prometheus configurations, checked by the real promtool (Debian's
`prometheus` package, installed by `make install-system`): rule syntax, the rules' own unit
tests, the generated and the compose configuration, and that every metric a rule reads is
one the services export."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from prometheus_client import REGISTRY

from alac_cli.engines import prometheus as prometheus_engine
from alac_cli.supervisor import Layout

pytestmark = pytest.mark.prometheus

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
RULES = DEPLOY / "prometheus" / "alerts.yml"


def promtool(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    tool = shutil.which("promtool")
    if tool is None:
        pytest.fail(f"promtool not found; install it with: {prometheus_engine.INSTALL_HINT}")
    return subprocess.run(
        [tool, *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


def test_alert_rules_are_valid() -> None:
    done = promtool("check", "rules", str(RULES))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS: 7 rules found" in done.stdout


def test_alert_rules_pass_their_unit_tests() -> None:
    done = promtool("test", "rules", "alerts.test.yml", cwd=RULES.parent)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


def test_the_unit_tests_catch_a_weakened_rule(tmp_path: Path) -> None:
    # The same tests against rules whose thresholds were raised tenfold must fail: the tests
    # pin the thresholds, not merely the syntax.
    weakened = RULES.read_text().replace("> 100\n", "> 1000\n").replace("> 0.05", "> 0.5")
    assert weakened != RULES.read_text()
    (tmp_path / "alerts.yml").write_text(weakened)
    shutil.copy(RULES.parent / "alerts.test.yml", tmp_path / "alerts.test.yml")
    done = promtool("test", "rules", "alerts.test.yml", cwd=tmp_path)
    assert done.returncode != 0
    assert "AlacOutboxBacklog" in done.stdout + done.stderr
    assert "AlacHigh5xxRate" in done.stdout + done.stderr


def _exported_metric_names(tmp_path: Path) -> set[str]:
    """What /metrics can show: the kernel's metrics and analytics' business metrics (collected
    from a real, migrated analytics read model), with the `_total` a counter is exposed with."""
    from alac_analytics.app import build_runtime
    from alac_analytics.dashboard.metrics import BUSINESS_METRICS
    from alac_kernel.observability import metrics  # noqa: F401 - registers the kernel metrics
    from alac_kernel.settings import Settings

    runtime = build_runtime(Settings(data_dir=tmp_path, run_workers=False))
    runtime.migrate()
    BUSINESS_METRICS.bind(runtime)
    try:
        names = set()
        for family in REGISTRY.collect():
            names.add(family.name)
            if family.type == "counter":
                names.add(f"{family.name}_total")
            if family.type == "histogram":
                names |= {f"{family.name}_{s}" for s in ("bucket", "sum", "count")}
        return names
    finally:
        BUSINESS_METRICS.runtime = None
        runtime.close()


def test_every_metric_a_rule_reads_is_exported(tmp_path: Path) -> None:
    exprs = [
        rule["expr"]
        for group in yaml.safe_load(RULES.read_text())["groups"]
        for rule in group["rules"]
    ]
    read = {name for expr in exprs for name in re.findall(r"\b(alac_[a-z_]+)\b", expr)}
    assert {"alac_outbox_backlog", "alac_consumer_lag", "alac_deadlines_missed_total"} <= read
    missing = read - _exported_metric_names(tmp_path)
    assert not missing, f"alert rules read metrics nobody exports: {sorted(missing)}"


def test_generated_config_is_valid_and_scrapes_every_service(tmp_path: Path) -> None:
    layout = Layout(host="127.0.0.1", port_base=8000, data=tmp_path)
    path = prometheus_engine.write_config(tmp_path, layout.metrics_targets())
    done = promtool("check", "config", str(path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 rule files found" in done.stdout
    jobs = {
        job["job_name"]: job
        for job in prometheus_engine.config(layout.metrics_targets())["scrape_configs"]
    }
    assert jobs.keys() == {"intake", "cases", "analytics", "search"}
    assert jobs["search"]["static_configs"][0]["targets"] == ["127.0.0.1:8004"]


def test_compose_prometheus_config_is_valid() -> None:
    done = promtool("check", "config", str(DEPLOY / "prometheus" / "prometheus.yml"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 rule files found" in done.stdout
