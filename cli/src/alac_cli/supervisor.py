"""`alac up`: migrate, start the token issuer, the four services and the web front end as
separate processes, load the demo data on first start, print where everything is (the web
front end first), and stop everything on Ctrl-C.

Children get PR_SET_PDEATHSIG, so even if the supervisor itself is killed with SIGKILL the
kernel stops them: no orphan processes.
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from alac_cli import demo
from alac_cli.services import SERVICES, service_module
from alac_kernel.settings import DEV_REALM, Settings

DEMO_MARKER = ".demo-loaded"


@dataclass(frozen=True)
class Layout:
    host: str
    port_base: int
    data: Path

    @property
    def issuer_port(self) -> int:
        return self.port_base + 90

    @property
    def issuer(self) -> str:
        return f"http://{self.host}:{self.issuer_port}/realms/{DEV_REALM}"

    @property
    def token_url(self) -> str:
        return f"{self.issuer}/protocol/openid-connect/token"

    @property
    def web_port(self) -> int:
        return self.port_base

    @property
    def web_url(self) -> str:
        return f"http://{self.host}:{self.web_port}"

    def port(self, service: str) -> int:
        return self.port_base + 1 + SERVICES.index(service)

    def url(self, service: str) -> str:
        return f"http://{self.host}:{self.port(service)}"


def _die_with_parent() -> None:
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def child_env(layout: Layout) -> dict[str, str]:
    env = dict(os.environ)
    env["ALAC_DATA_DIR"] = str(layout.data.resolve())
    env["ALAC_AUTH_ISSUER"] = layout.issuer
    env.setdefault("ALAC_LOG_JSON", "true")
    return env


def migrate_all(layout: Layout) -> None:
    settings = Settings(data_dir=layout.data.resolve(), auth_issuer=layout.issuer)
    for name in SERVICES:
        runtime = service_module(name).build_runtime(settings)
        try:
            runtime.migrate()
        finally:
            runtime.close()


def _spawn(args: list[str], env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    log_file = open(log_path, "ab")  # noqa: SIM115 - owned by the child for its lifetime
    return subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "alac_cli.main", *args],
        env=env,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        preexec_fn=_die_with_parent,  # noqa: PLW1509 - no threads yet in the supervisor
    )


def _wait_http(url: str, procs: dict[str, subprocess.Popen[bytes]], timeout_s: float = 90) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for name, proc in procs.items():
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with code {proc.returncode}; see its log")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not become ready within {timeout_s:.0f} s")


def stop_all(procs: dict[str, subprocess.Popen[bytes]], grace_s: float = 15) -> None:
    for proc in procs.values():
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    for proc in procs.values():
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _check_ports_free(layout: Layout) -> None:
    for port in [layout.web_port, layout.issuer_port, *(layout.port(name) for name in SERVICES)]:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            if probe.connect_ex((layout.host, port)) == 0:
                raise PortInUse(
                    f"port {port} on {layout.host} is already in use (is another `alac up` running?); "
                    "stop it or choose other ports with --port-base / ALAC_PORT_BASE"
                )


class PortInUse(RuntimeError):
    pass


def start(layout: Layout) -> dict[str, subprocess.Popen[bytes]]:
    """Start the issuer and the services; return when every one answers /readyz."""
    _check_ports_free(layout)
    layout.data.mkdir(parents=True, exist_ok=True)
    logs_dir = layout.data / "logs"
    logs_dir.mkdir(exist_ok=True)
    migrate_all(layout)
    env = child_env(layout)
    procs: dict[str, subprocess.Popen[bytes]] = {}
    try:
        procs["issuer"] = _spawn(
            [
                "dev-issuer",
                "--host",
                layout.host,
                "--port",
                str(layout.issuer_port),
                "--data",
                str(layout.data),
            ],
            env,
            logs_dir / "issuer.log",
        )
        _wait_http(f"{layout.issuer}/.well-known/openid-configuration", procs)
        for name in SERVICES:
            procs[name] = _spawn(
                ["serve", name, "--host", layout.host, "--port", str(layout.port(name))],
                env,
                logs_dir / f"{name}.log",
            )
        procs["web"] = _spawn(
            ["web", "--host", layout.host, "--port", str(layout.web_port),
             "--intake", layout.url("intake"), "--cases", layout.url("cases"),
             "--issuer", layout.issuer],
            env,
            logs_dir / "web.log",
        )  # fmt: skip
        for name in SERVICES:
            _wait_http(f"{layout.url(name)}/readyz", procs)
        _wait_http(f"{layout.web_url}/healthz", procs)
    except BaseException:
        stop_all(procs)
        raise
    return procs


def load_demo_once(layout: Layout) -> int:
    marker = layout.data / DEMO_MARKER
    if marker.exists():
        return 0
    count = demo.load(layout.token_url, layout.url("intake"))
    marker.write_text(f"{count} demo complaints loaded\n")
    return count


def banner(layout: Layout, loaded: int) -> str:
    lines = ["", "ALAC platform is running (embedded mode). Ctrl-C stops everything.", ""]
    lines.append(
        f"  {'web':<10} {layout.web_url}   (start here: complaint form, follow-up; staff at /staff)"
    )
    for name in SERVICES:
        lines.append(f"  {name:<10} {layout.url(name)}   (API docs: {layout.url(name)}/docs)")
    lines.append(f"  {'issuer':<10} {layout.issuer}")
    lines.append(
        f"  data       {layout.data.resolve()}   (logs in {layout.data.resolve() / 'logs'})"
    )
    lines.append("")
    if loaded:
        lines.append(f"Loaded {loaded} demo complaints.")
    lines.append("Demo logins (password = 'demo' + username):")
    for user in demo.DEMO_USERS:
        lines.append(
            f"  {user.username:<8} {', '.join(user.roles):<16} tenant {user.tenant:<8} office {user.office or '-'}"
        )
    lines.append("")
    lines.append(f"Get a token:  alac token vera --issuer {layout.issuer}")
    return "\n".join(lines)


def run(layout: Layout, load_demo: bool = True) -> int:
    procs = start(layout)
    stopping = {"flag": False}

    def _stop(signum: int, _frame: object) -> None:
        stopping["flag"] = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        loaded = load_demo_once(layout) if load_demo else 0
        print(banner(layout, loaded), flush=True)
        while not stopping["flag"]:
            for name, proc in procs.items():
                if proc.poll() is not None:
                    print(
                        f"{name} stopped unexpectedly (exit code {proc.returncode}); stopping all.",
                        flush=True,
                    )
                    return 1
            time.sleep(0.3)
        print("Stopping...", flush=True)
        return 0
    finally:
        stop_all(procs)
