"""Prometheus for the production profile: Debian's `prometheus` package (promtool comes with
it), scraping every service's /metrics, on 127.0.0.1:$ALAC_PROMETHEUS_PORT (default 9090),
its time series under the data folder.

The configuration is generated (`prometheus.yml` beside the data) rather than shipped, because
the targets follow the platform's port layout (`alac up --port-base`); it loads the alert
rules of deploy/prometheus/alerts.yml, the same file the deployments use.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Iterator, Mapping
from pathlib import Path

import httpx

from alac_cli.engines.base import Daemon, Endpoint, EngineMissing, free_port, wait_until

NAME = "prometheus"
INSTALL_HINT = "make install-system (as root: deploy/engines/ensure-system-packages prometheus)"
ALERT_RULES = Path(__file__).resolve().parents[4] / "deploy" / "prometheus" / "alerts.yml"
SCRAPE_INTERVAL = "5s"  # short: an operator (and the e2e test) sees a new service within seconds
_START_TIMEOUT_S = 60


def _port() -> int:
    return int(os.environ.get("ALAC_PROMETHEUS_PORT", "9090"))


def fetch(cache: Path) -> Path:
    """The binaries come from Debian's package, not the cache: where `prometheus` is."""
    found = shutil.which("prometheus")
    if not found or not shutil.which("promtool"):
        raise EngineMissing(
            f"Prometheus (prometheus, promtool) not found; install it with: {INSTALL_HINT}"
        )
    return Path(found).parent


def default_targets() -> dict[str, str]:
    """service -> host:port, from the same layout `alac up` uses ($ALAC_HOST, $ALAC_PORT_BASE)."""
    from alac_cli.supervisor import Layout

    layout = Layout(
        host=os.environ.get("ALAC_HOST", "127.0.0.1"),
        port_base=int(os.environ.get("ALAC_PORT_BASE", "8000")),
        data=Path(),
    )
    return layout.metrics_targets()


def config(targets: Mapping[str, str], rules: Path = ALERT_RULES) -> dict:
    """One scrape job per service, so `up{job="cases"}` names the service that is down (and the
    services' own `service` label on every metric is left as it is)."""
    return {
        "global": {"scrape_interval": SCRAPE_INTERVAL, "evaluation_interval": SCRAPE_INTERVAL},
        # Absent when the CLI is installed without the repository (no deploy/ beside it).
        "rule_files": [str(rules)] if rules.exists() else [],
        "scrape_configs": [
            {
                "job_name": service,
                "metrics_path": "/metrics",
                "static_configs": [{"targets": [target]}],
            }
            for service, target in targets.items()
        ],
    }


def write_config(folder: Path, targets: Mapping[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "prometheus.yml"
    # JSON is YAML too: no YAML library needed to write what Prometheus reads.
    path.write_text(json.dumps(config(targets), indent=2) + "\n")
    return path


def _argv(folder: Path, port: int) -> list[str]:
    home = fetch(Path())
    return [
        str(home / "prometheus"),
        f"--config.file={folder / 'prometheus.yml'}",
        f"--storage.tsdb.path={folder / 'tsdb'}",
        f"--web.listen-address=127.0.0.1:{port}",
        # `up` rewrites the targets of a running server and asks it to reload (no restart).
        "--web.enable-lifecycle",
    ]


def _ready(url: str) -> bool:
    return httpx.get(f"{url}/-/ready", timeout=2).status_code == 200


def _endpoint(url: str) -> Endpoint:
    # The services need nothing from Prometheus: it pulls from them.
    return Endpoint(NAME, url, {})


@contextlib.contextmanager
def run(data: Path, targets: Mapping[str, str] | None = None) -> Iterator[Endpoint]:
    port = free_port()
    folder = data / f"{NAME}-{port}"
    write_config(folder, targets if targets is not None else default_targets())
    daemon = Daemon(NAME, folder)
    proc = daemon.start(_argv(folder, port))
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _ready(url), _START_TIMEOUT_S, "prometheus", proc, daemon.log)
        yield _endpoint(url)
    finally:
        daemon.stop()


def up(data: Path, targets: Mapping[str, str] | None = None) -> Endpoint:
    folder = data / NAME
    write_config(folder, targets if targets is not None else default_targets())
    daemon = Daemon(NAME, folder)
    port = _port()
    url = f"http://127.0.0.1:{port}"
    if daemon.pid() is not None:
        httpx.post(f"{url}/-/reload", timeout=10).raise_for_status()
        return _endpoint(url)
    proc = daemon.start(_argv(folder, port))
    wait_until(lambda: _ready(url), _START_TIMEOUT_S, "prometheus", proc, daemon.log)
    return _endpoint(url)


def down(data: Path) -> None:
    Daemon(NAME, data / NAME).stop()


def status(data: Path) -> str:
    try:
        home = fetch(Path())
    except EngineMissing as exc:
        return f"not installed ({exc})"
    running = Daemon(NAME, data / NAME).pid() is not None
    return f"{home / 'prometheus'} · {f'127.0.0.1:{_port()}' if running else 'stopped'}"
