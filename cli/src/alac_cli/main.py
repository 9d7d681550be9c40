"""`alac`: run and operate the platform."""

from __future__ import annotations

import enum
import signal
import threading
from pathlib import Path
from typing import Annotated

import typer

from alac_analytics.cli import app as analytics_app
from alac_cases.cli import app as cases_app
from alac_cases.cli import staff_app, tenants_app
from alac_cli.engines_cli import app as engines_app
from alac_cli.services import SERVICES, service_module
from alac_intake.cli import app as intake_app
from alac_intake.partners.cli import app as partners_app
from alac_search.cli import app as search_app

app = typer.Typer(
    help="ALAC platform: run the services, migrate, get demo tokens.", no_args_is_help=True
)

app.add_typer(analytics_app, name="analytics")
app.add_typer(search_app, name="search")
app.add_typer(intake_app, name="intake")
app.add_typer(cases_app, name="cases")
app.add_typer(tenants_app, name="tenants")
app.add_typer(staff_app, name="staff")
app.add_typer(engines_app, name="engines")
app.add_typer(partners_app, name="partners")

DataOpt = Annotated[Path, typer.Option("--data", envvar="ALAC_DATA_DIR", help="Data folder")]


class Profile(enum.StrEnum):
    embedded = "embedded"
    production = "production"


@app.command()
def up(
    data: DataOpt = Path("data"),
    host: Annotated[str, typer.Option(envvar="ALAC_HOST")] = "127.0.0.1",
    port_base: Annotated[
        int,
        typer.Option(
            envvar="ALAC_PORT_BASE",
            help="web = base, intake +1, cases +2, analytics +3, search +4, issuer +90",
        ),
    ] = 8000,
    demo_data: Annotated[
        bool, typer.Option("--demo/--no-demo", help="Load demo data on first start")
    ] = True,
    profile: Annotated[
        Profile,
        typer.Option(
            help="embedded: SQLite, the embedded log and the development issuer. production: "
            "PostgreSQL, Kafka, Keycloak, OpenSearch and Prometheus (see `alac engines`)"
        ),
    ] = Profile.embedded,
) -> None:
    """Start the web front end and the four services (with the issuer, or the engines); Ctrl-C stops them."""
    import httpx

    from alac_cli.engines import EngineMissing
    from alac_cli.supervisor import Layout, PortInUse, run

    try:
        code = run(
            Layout(host=host, port_base=port_base, data=data),
            load_demo=demo_data,
            profile=profile.value,
        )
    except PortInUse as exc:
        typer.echo(f"alac up: {exc}", err=True)
        code = 2
    except EngineMissing as exc:
        # One line naming what is missing and how to get it (the engines' own wording).
        typer.echo(f"alac up: {str(exc).splitlines()[0]}", err=True)
        code = 2
    except (RuntimeError, httpx.HTTPError) as exc:
        if profile is Profile.embedded:
            raise
        # An engine that did not start, a setting the production profile refuses, Keycloak
        # refusing a demo login: the message says which (and where its log is).
        typer.echo(f"alac up: {exc}", err=True)
        code = 1
    raise typer.Exit(code)


@app.command()
def serve(
    service: Annotated[str, typer.Argument(help=f"One of: {', '.join(SERVICES)}")],
    host: str = "127.0.0.1",
    port: int = 8001,
) -> None:
    """Run one service's HTTP API (with its relay and consumers unless ALAC_RUN_WORKERS=false)."""
    from alac_kernel.observability.logs import configure_logging
    from alac_kernel.serving import serve as run_server
    from alac_kernel.settings import Settings

    settings = Settings()
    configure_logging(service, settings.log_level, settings.log_json)
    application = service_module(service).create_app(settings)
    run_server(application, host=host, port=port)


@app.command()
def worker(service: Annotated[str, typer.Argument(help=f"One of: {', '.join(SERVICES)}")]) -> None:
    """Run one service's outbox relay and consumers without the HTTP API."""
    from alac_kernel.observability.logs import configure_logging
    from alac_kernel.settings import Settings

    settings = Settings()
    configure_logging(f"{service}-worker", settings.log_level, settings.log_json)
    runtime = service_module(service).build_runtime(settings)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    runtime.start_workers()
    try:
        stop.wait()
    finally:
        runtime.close()


@app.command()
def web(
    host: str = "127.0.0.1",
    port: int = 8000,
    intake: Annotated[str, typer.Option(envvar="ALAC_WEB_INTAKE_URL", help="intake's base URL")] = (
        "http://127.0.0.1:8001"
    ),
    cases: Annotated[str, typer.Option(envvar="ALAC_WEB_CASES_URL", help="cases' base URL")] = (
        "http://127.0.0.1:8002"
    ),
    search: Annotated[
        str, typer.Option(envvar="ALAC_WEB_SEARCH_URL", help="search's base URL")
    ] = "http://127.0.0.1:8004",
    issuer: Annotated[
        str, typer.Option(envvar="ALAC_AUTH_ISSUER", help="the OIDC issuer staff sign in with")
    ] = "http://127.0.0.1:8090/realms/alac-dev",
    analytics: Annotated[
        str, typer.Option(envvar="ALAC_WEB_ANALYTICS_URL", help="analytics' base URL")
    ] = "http://127.0.0.1:8003",
) -> None:
    """Run the web front end (public form, follow-up, staff console) over the services' APIs."""
    from dataclasses import replace

    from alac_kernel.observability.logs import configure_logging
    from alac_kernel.serving import serve as run_server
    from alac_kernel.settings import Settings
    from alac_web.app import create_app
    from alac_web.settings import WebSettings

    settings = Settings()
    configure_logging("web", settings.log_level, settings.log_json)
    web_settings = replace(
        WebSettings.from_env(),
        intake_url=intake.rstrip("/"),
        cases_url=cases.rstrip("/"),
        search_url=search.rstrip("/"),
        issuer_url=issuer.rstrip("/"),
        analytics_url=analytics.rstrip("/"),
    )
    # access_log off: an access log would store visitors' IP addresses, which the public
    # pages promise not to do.
    run_server(create_app(web_settings), host=host, port=port)


@app.command()
def migrate(
    service: Annotated[str | None, typer.Argument(help="One service, or all when omitted")] = None,
) -> None:
    """Apply database migrations (ALAC_DATABASE_URL, or SQLite files in the data folder)."""
    from alac_kernel.settings import Settings

    settings = Settings()
    for name in [service] if service else SERVICES:
        runtime = service_module(name).build_runtime(settings)
        try:
            runtime.migrate()
            typer.echo(f"{name}: migrated")
        finally:
            runtime.close()


@app.command("mail-catcher")
def mail_catcher(
    data: DataOpt = Path("data"),
    host: str = "127.0.0.1",
    port: int = 8025,
) -> None:
    """Run the local mail catcher: an SMTP server that keeps every message it receives as an
    .eml file under DATA/mail/ instead of sending it on (`alac up` starts it)."""
    from alac_kernel.mailcatcher import MailCatcher

    folder = data / "mail"
    catcher = MailCatcher(folder, host=host, port=port).start()
    typer.echo(f"mail catcher on {host}:{port}, messages in {folder.resolve()}")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        stop.wait()
    finally:
        catcher.stop()


@app.command("dev-issuer")
def dev_issuer(
    data: DataOpt = Path("data"),
    host: str = "127.0.0.1",
    port: int = 8090,
) -> None:
    """Run the development token issuer (embedded mode only; production uses Keycloak)."""
    from alac_kernel.auth.dev_issuer import create_dev_issuer_app
    from alac_kernel.observability.logs import configure_logging
    from alac_kernel.serving import serve as run_server
    from alac_kernel.settings import DEV_REALM, Settings

    settings = Settings()
    configure_logging("issuer", settings.log_level, settings.log_json)
    application = create_dev_issuer_app(
        key_dir=data / "keys",
        issuer=f"http://{host}:{port}/realms/{DEV_REALM}",
        audience=settings.auth_audience,
        client_id=settings.auth_client_id,
        profile=settings.profile,
    )
    run_server(application, host=host, port=port)


@app.command()
def token(
    username: Annotated[
        str, typer.Argument(help="A demo user, e.g. vera (volunteer), kazbek (coordinator)")
    ],
    password: Annotated[str | None, typer.Option(help="Defaults to the demo password")] = None,
    issuer: Annotated[
        str | None,
        typer.Option(
            envvar="ALAC_AUTH_ISSUER",
            help="Default: the issuer of the `alac up` running on ./data or ./data/production "
            "(the development issuer or Keycloak), else http://127.0.0.1:8090/realms/alac-dev",
        ),
    ] = None,
) -> None:
    """Print an access token for a demo user (password grant through the `alac-cli` client).

    From the issuer of the platform running here: the development issuer under `make run`,
    Keycloak under `make run-production`; or from the issuer given.
    """
    from alac_cli.supervisor import running_issuer

    issuer = (
        issuer
        or running_issuer([Path("data"), Path("data") / "production"])
        or "http://127.0.0.1:8090/realms/alac-dev"
    )
    import httpx

    from alac_cli.demo import fetch_token

    token_url = f"{issuer}/protocol/openid-connect/token"
    try:
        typer.echo(fetch_token(token_url, username, password))
    except httpx.HTTPStatusError as exc:
        try:
            said = exc.response.json()
            reason = said.get("error_description") or said.get("error") or exc.response.text
        except ValueError:
            reason = exc.response.text[:200] or exc.response.reason_phrase
        typer.echo(f"alac token: the issuer refused {username!r}: {reason}", err=True)
        raise typer.Exit(1) from None
    except httpx.HTTPError as exc:
        typer.echo(f"alac token: cannot reach the token issuer at {token_url}: {exc}", err=True)
        raise typer.Exit(2) from None


if __name__ == "__main__":
    app()
