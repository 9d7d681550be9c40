"""`alac up`: migrate, start the token issuer, the four services and the web front end as
separate processes, load the demo data on first start, print where everything is (the web
front end first), and stop everything on Ctrl-C.

`alac up --profile production` starts the engines instead of the embedded shortcuts
(PostgreSQL with one database per service, Apache Kafka, Keycloak, OpenSearch, Prometheus;
see `alac_cli.engines`), runs the services with ALAC_PROFILE=production and the engines'
settings, and takes the demo users' tokens from Keycloak. The engines keep running after
Ctrl-C (they take long to start and keep their data); `alac engines down` stops them.

Children get PR_SET_PDEATHSIG, so even if the supervisor itself is killed with SIGKILL the
kernel stops them: no orphan processes.
"""

from __future__ import annotations

import ctypes
import json
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
from alac_cli.engines import ENGINE_NAMES, Endpoint, EngineMissing, available, engine
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
    def mail_port(self) -> int:
        """The local mail catcher's SMTP port."""
        return self.port_base + 25

    @property
    def mail_folder(self) -> Path:
        return self.data / "mail"

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

    def metrics_targets(self) -> dict[str, str]:
        """Where Prometheus scrapes each service's /metrics: service -> host:port."""
        return {name: f"{self.host}:{self.port(name)}" for name in SERVICES}


def _die_with_parent() -> None:
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def child_env(layout: Layout) -> dict[str, str]:
    env = dict(os.environ)
    env["ALAC_DATA_DIR"] = str(layout.data.resolve())
    env["ALAC_AUTH_ISSUER"] = layout.issuer
    # The web front end passes the visitor's address on in X-Forwarded-For; intake believes
    # that header only from the proxies named here (alac_kernel.limits).
    env.setdefault("ALAC_TRUSTED_PROXIES", layout.host)
    env.setdefault("ALAC_LOG_JSON", "true")
    # Search and cases ask intake's key service for complaint text keys (sealed_text).
    env["ALAC_INTAKE_URL"] = layout.url("intake")
    # Links in e-mails (staff notifications, complainants' progress) lead to this front end.
    env.setdefault("ALAC_WEB_URL", layout.web_url)
    if catches_mail():
        env["ALAC_SMTP_HOST"] = layout.host
        env["ALAC_SMTP_PORT"] = str(layout.mail_port)
    return env


def catches_mail() -> bool:
    """Whether `alac up` runs the local mail catcher: unless a mail server is configured
    (ALAC_SMTP_HOST), the platform's e-mails go there, to be read under DATA/mail/."""
    return not os.environ.get("ALAC_SMTP_HOST")


def _spawn_mail_catcher(
    layout: Layout, env: dict[str, str], logs_dir: Path, procs: dict[str, subprocess.Popen[bytes]]
) -> None:
    if not catches_mail():
        return
    procs["mail"] = _spawn(
        ["mail-catcher", "--host", layout.host, "--port", str(layout.mail_port),
         "--data", str(layout.data)],
        env,
        logs_dir / "mail.log",
    )  # fmt: skip


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


def _check_ports_free(layout: Layout, with_issuer: bool = True) -> None:
    ports = [layout.web_port, *(layout.port(name) for name in SERVICES)]
    if catches_mail():
        ports.append(layout.mail_port)
    for port in [layout.issuer_port, *ports] if with_issuer else ports:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            if probe.connect_ex((layout.host, port)) == 0:
                raise PortInUse(
                    f"port {port} on {layout.host} is already in use (is another `alac up` running?); "
                    "stop it or choose other ports with --port-base / ALAC_PORT_BASE"
                )


class PortInUse(RuntimeError):
    pass


def _spawn_web(
    layout: Layout, issuer: str, env: dict[str, str], logs_dir: Path
) -> subprocess.Popen[bytes]:
    """The web front end: it knows the services only by their URLs and the issuer by its."""
    return _spawn(
        ["web", "--host", layout.host, "--port", str(layout.web_port),
         "--intake", layout.url("intake"), "--cases", layout.url("cases"),
         "--search", layout.url("search"), "--analytics", layout.url("analytics"),
         "--issuer", issuer],
        env,
        logs_dir / "web.log",
    )  # fmt: skip


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
        _spawn_mail_catcher(layout, env, logs_dir, procs)
        for name in SERVICES:
            procs[name] = _spawn(
                ["serve", name, "--host", layout.host, "--port", str(layout.port(name))],
                env,
                logs_dir / f"{name}.log",
            )
        procs["web"] = _spawn_web(layout, layout.issuer, env, logs_dir)
        for name in SERVICES:
            _wait_http(f"{layout.url(name)}/readyz", procs)
        _wait_http(f"{layout.web_url}/healthz", procs)
    except BaseException:
        stop_all(procs)
        raise
    return procs


# --- the production profile ----------------------------------------------------------------

MASTER_KEY_FILE = "intake-master.key"
RUNNING_FILE = "running.json"  # profile, issuer and pid of the `alac up` using this data folder


def running_issuer(folders: list[Path]) -> str | None:
    """The token issuer of a live `alac up` on one of `folders` (the first one found)."""
    for folder in folders:
        try:
            state = json.loads((folder / RUNNING_FILE).read_text())
            os.kill(int(state["pid"]), 0)
        except (OSError, ValueError, KeyError, TypeError):
            continue
        return str(state["issuer"])
    return None


# Engine settings the services must not see: the PostgreSQL superuser's URL is for creating
# the databases here (each service gets the URL of its own database only); Keycloak's admin
# password is for operators.
_SUPERVISOR_ONLY = ("ALAC_POSTGRES_ADMIN_URL", "ALAC_KEYCLOAK_ADMIN_PASSWORD_FILE")


@dataclass
class Production:
    """What the engines gave: where each answers, and the environment of each service."""

    engines: dict[str, Endpoint]
    env: dict[str, dict[str, str]]

    @property
    def issuer(self) -> str:
        return self.env[SERVICES[0]]["ALAC_AUTH_ISSUER"]

    @property
    def token_url(self) -> str:
        return f"{self.issuer}/protocol/openid-connect/token"


def start_engines(layout: Layout) -> dict[str, Endpoint]:
    """`up` every engine under DATA/engines (idempotent: running ones are reused)."""
    present = set(available())
    missing = [name for name in ENGINE_NAMES if name not in present]
    if missing:
        raise EngineMissing(
            f"the production profile needs the engine module(s) {', '.join(missing)} "
            f"(cli/src/alac_cli/engines/{missing[0]}.py is not in this checkout)"
        )
    folder = layout.data.resolve() / "engines"
    endpoints: dict[str, Endpoint] = {}
    for name in ENGINE_NAMES:
        module = engine(name)
        started = time.monotonic()
        if name == "prometheus":
            endpoints[name] = module.up(folder, targets=layout.metrics_targets())  # type: ignore[call-arg]
        else:
            endpoints[name] = module.up(folder)
        # Keycloak and OpenSearch take minutes on a first start: say what is done so far.
        print(
            f"{name:<11} {endpoints[name].url}  (ready in {time.monotonic() - started:.1f} s)",
            flush=True,
        )
    from alac_cli.engines_cli import write_env_file

    # The same file `alac engines up` writes: what a hand-started service or tool needs.
    write_env_file(folder, {k: v for e in endpoints.values() for k, v in e.settings.items()})
    return endpoints


def create_databases(admin_url: str, prefix: str = "alac") -> dict[str, str]:
    """One database per service (`<prefix>_<service>`), created when missing; their URLs."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    urls: dict[str, str] = {}
    try:
        with admin.connect() as connection:
            for name in SERVICES:
                database = f"{prefix}_{name}"
                exists = connection.execute(
                    text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": database}
                ).first()
                if not exists:
                    connection.execute(text(f'CREATE DATABASE "{database}"'))
                urls[name] = (
                    make_url(admin_url).set(database=database).render_as_string(hide_password=False)
                )
    finally:
        admin.dispose()
    return urls


#: Secret keys the production profile requires, each with the file it is kept in locally.
SECRET_KEYS = {
    "ALAC_INTAKE_MASTER_KEY": MASTER_KEY_FILE,
    "ALAC_CASES_MASTER_KEY": "cases-master.key",
    "ALAC_CURSOR_KEY": "cursor.key",
    # The consumers' grants for complaint text keys (alac_kernel.sealed_text).
    "ALAC_TEXT_GRANT_SEARCH": "text-grant-search.key",
    "ALAC_TEXT_GRANT_CASES": "text-grant-cases.key",
}


def _secret_key(layout: Layout, env_name: str, file_name: str) -> str:
    """$<env_name>, or one generated once into the data folder (mode 0600).

    A real deployment takes it from its secret store (deploy/); here the data folder is the
    machine's own disk and outlives the processes, so the key is kept with the data it opens.
    """
    from alac_kernel.crypto import b64, load_secret_key
    from alac_kernel.settings import Settings

    embedded = Settings.model_construct(profile="embedded", data_dir=layout.data)
    return b64(load_secret_key(embedded, env_name, file_name))


def production_env(
    layout: Layout, endpoints: dict[str, Endpoint], database_prefix: str = "alac"
) -> dict[str, dict[str, str]]:
    settings: dict[str, str] = {}
    for endpoint in endpoints.values():
        settings.update(endpoint.settings)
    for needed, who in (
        ("ALAC_POSTGRES_ADMIN_URL", "postgres"),
        ("ALAC_BUS_BACKEND", "kafka"),
        ("ALAC_AUTH_ISSUER", "keycloak"),
    ):
        if needed not in settings:
            raise EngineMissing(f"the {who} engine gave no {needed}")
    databases = create_databases(settings["ALAC_POSTGRES_ADMIN_URL"], database_prefix)
    common = {k: v for k, v in settings.items() if k not in _SUPERVISOR_ONLY}
    common["ALAC_PROFILE"] = "production"
    for env_name, file_name in SECRET_KEYS.items():
        common[env_name] = _secret_key(layout, env_name, file_name)
    env: dict[str, dict[str, str]] = {}
    for name in SERVICES:
        service_env = {**child_env(layout), **common, "ALAC_DATABASE_URL": databases[name]}
        service_env.pop("ALAC_POSTGRES_ADMIN_URL", None)
        _check_settings(name, service_env)
        env[name] = service_env
    return env


def _check_settings(service: str, env: dict[str, str]) -> None:
    """The production profile refuses what it cannot run on; say so here, once, in one line,
    rather than in four service logs. Settings are read as the service will read them: from
    the environment (swapped in for the check, the supervisor has no threads yet)."""
    from pydantic import ValidationError

    saved = dict(os.environ)
    try:
        os.environ.clear()
        os.environ.update(env)
        Settings()
    except ValidationError as exc:
        reason = exc.errors()[0]["msg"].removeprefix("Value error, ")
        raise RuntimeError(f"{service}: {reason}") from None
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _migrate_in_child(name: str, env: dict[str, str], log_path: Path) -> None:
    """Migrate with exactly the environment the service will run with."""
    with log_path.open("ab") as log_file:
        done = subprocess.run(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "alac_cli.main", "migrate", name],
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if done.returncode != 0:
        raise RuntimeError(f"migrating {name} failed (exit code {done.returncode}); see {log_path}")


def start_production(layout: Layout) -> tuple[Production, dict[str, subprocess.Popen[bytes]]]:
    """Start the engines, then the services on them; return when every one answers /readyz."""
    _check_ports_free(layout, with_issuer=False)
    layout.data.mkdir(parents=True, exist_ok=True)
    logs_dir = layout.data / "logs"
    logs_dir.mkdir(exist_ok=True)
    endpoints = start_engines(layout)
    production = Production(endpoints, production_env(layout, endpoints))
    for name in SERVICES:
        _migrate_in_child(name, production.env[name], logs_dir / f"{name}.log")
    procs: dict[str, subprocess.Popen[bytes]] = {}
    try:
        _spawn_mail_catcher(layout, child_env(layout), logs_dir, procs)
        for name in SERVICES:
            procs[name] = _spawn(
                ["serve", name, "--host", layout.host, "--port", str(layout.port(name))],
                production.env[name],
                logs_dir / f"{name}.log",
            )
        # The web front end holds no database and no key of the services: the embedded
        # environment (data folder for its CSRF key) with Keycloak as the issuer.
        web_env = {**child_env(layout), "ALAC_AUTH_ISSUER": production.issuer}
        procs["web"] = _spawn_web(layout, production.issuer, web_env, logs_dir)
        for name in SERVICES:
            _wait_http(f"{layout.url(name)}/readyz", procs, timeout_s=180)
        _wait_http(f"{layout.web_url}/healthz", procs, timeout_s=180)
    except BaseException:
        stop_all(procs)
        raise
    return production, procs


def production_banner(layout: Layout, production: Production, loaded: int) -> str:
    lines = ["", "ALAC platform is running (production profile). Ctrl-C stops the services.", ""]
    lines.append(
        f"  {'web':<10} {layout.web_url}   (start here: complaint form, follow-up; staff at /staff)"
    )
    for name in SERVICES:
        lines.append(f"  {name:<10} {layout.url(name)}   (API docs: {layout.url(name)}/docs)")
    lines.append("")
    for name, endpoint in production.engines.items():
        lines.append(f"  {name:<10} {endpoint.url}")
    lines.extend(_mail_lines(layout))
    lines.append(
        f"  data       {layout.data.resolve()}   (logs in {layout.data.resolve() / 'logs'}, "
        f"engines in {layout.data.resolve() / 'engines'})"
    )
    lines.append("")
    if loaded:
        lines.append(f"Loaded {loaded} demo complaints.")
    lines.append("Demo logins (Keycloak realm; password = 'demo' + username):")
    for user in demo.DEMO_USERS:
        lines.append(
            f"  {user.username:<8} {', '.join(user.roles):<16} tenant {user.tenant:<8} office {user.office or '-'}"
        )
    lines.append("")
    lines.append(f"Get a token:  alac token vera --issuer {production.issuer}")
    lines.append(
        f"The engines keep running after Ctrl-C; stop them with: alac engines down --data {layout.data}"
    )
    return "\n".join(lines)


def load_demo_once(layout: Layout, token_url: str | None = None) -> int:
    marker = layout.data / DEMO_MARKER
    if marker.exists():
        return 0
    # The demo centres are ordinary onboarded tenants: the registry announces them first.
    demo.onboard_demo_tenants(token_url or layout.token_url, layout.url("cases"))
    count = demo.load(token_url or layout.token_url, layout.url("intake"))
    demo.make_demo_notifications(token_url or layout.token_url, layout.url("cases"))
    marker.write_text(f"{count} demo complaints loaded\n")
    return count


def _mail_lines(layout: Layout) -> list[str]:
    if not catches_mail():
        return []
    return [
        f"  {'mail':<10} smtp://{layout.host}:{layout.mail_port}   (the platform's e-mails, "
        f"kept as .eml files in {layout.mail_folder.resolve()})"
    ]


def banner(layout: Layout, loaded: int) -> str:
    lines = ["", "ALAC platform is running (embedded mode). Ctrl-C stops everything.", ""]
    lines.append(
        f"  {'web':<10} {layout.web_url}   (start here: complaint form, follow-up; staff at /staff)"
    )
    for name in SERVICES:
        lines.append(f"  {name:<10} {layout.url(name)}   (API docs: {layout.url(name)}/docs)")
    lines.append(f"  {'issuer':<10} {layout.issuer}")
    lines.extend(_mail_lines(layout))
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


def run(layout: Layout, load_demo: bool = True, profile: str = "embedded") -> int:
    if profile == "production":
        production, procs = start_production(layout)
    else:
        procs = start(layout)
    stopping = {"flag": False}

    def _stop(signum: int, _frame: object) -> None:
        stopping["flag"] = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    running = layout.data / RUNNING_FILE
    try:
        issuer = production.issuer if profile == "production" else layout.issuer
        # `alac token` reads this to ask the issuer of the platform that is running here
        # (the development issuer or Keycloak), so the README's commands work on both profiles.
        running.write_text(json.dumps({"profile": profile, "issuer": issuer, "pid": os.getpid()}))
        if profile == "production":
            loaded = load_demo_once(layout, production.token_url) if load_demo else 0
            print(production_banner(layout, production, loaded), flush=True)
        else:
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
        running.unlink(missing_ok=True)
        stop_all(procs)
