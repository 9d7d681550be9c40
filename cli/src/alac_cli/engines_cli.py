"""`alac engines fetch|up|down|status`: the production profile's engines on this machine."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from alac_cli.engines import ENGINE_NAMES, EngineMissing, available, engine
from alac_cli.engines.base import cache_root

app = typer.Typer(
    help="Fetch and run PostgreSQL, Apache Kafka, Keycloak, OpenSearch and Prometheus locally.",
    no_args_is_help=True,
)

NamesArg = Annotated[
    list[str] | None,
    typer.Argument(help=f"Engines (default: all). One of: {', '.join(ENGINE_NAMES)}"),
]
DataOpt = Annotated[Path, typer.Option("--data", envvar="ALAC_DATA_DIR", help="Data folder")]


def _chosen(names: list[str] | None) -> list[str]:
    if not names:
        return list(available())
    unknown = [n for n in names if n not in ENGINE_NAMES]
    if unknown:
        typer.echo(
            f"alac engines: unknown engine {unknown[0]!r}; one of: {', '.join(ENGINE_NAMES)}",
            err=True,
        )
        raise typer.Exit(2)
    return names


def _fail(exc: Exception) -> None:
    typer.echo(
        f"alac engines: {exc}".splitlines()[0]
        if isinstance(exc, EngineMissing)
        else f"alac engines: {exc}",
        err=True,
    )
    raise typer.Exit(1)


@app.command()
def fetch(names: NamesArg = None) -> None:
    """Fetch pinned versions into the cache folder ($ALAC_ENGINES_CACHE); checksums checked."""
    cache = cache_root()
    for name in _chosen(names):
        started = time.monotonic()
        try:
            home = engine(name).fetch(cache)
        except (EngineMissing, RuntimeError) as exc:
            _fail(exc)
        typer.echo(f"{name:<11} {home}  ({time.monotonic() - started:.1f} s)")
    if not names:
        # The deploy/ checks' tools come along, so no test has to download anything.
        from alac_cli.engines.tools import TOOLS

        for tool, fetch_tool in TOOLS.items():
            started = time.monotonic()
            try:
                where = fetch_tool(cache)
            except (EngineMissing, RuntimeError) as exc:
                _fail(exc)
            typer.echo(f"{tool:<11} {where}  ({time.monotonic() - started:.1f} s)")


@app.command()
def up(names: NamesArg = None, data: DataOpt = Path("data")) -> None:
    """Start the engines in the background under DATA/engines (fetching what is missing)."""
    folder = data / "engines"
    settings: dict[str, str] = {}
    for name in _chosen(names):
        started = time.monotonic()
        try:
            endpoint = engine(name).up(folder)
        except (EngineMissing, RuntimeError) as exc:
            _fail(exc)
        settings.update(endpoint.settings)
        typer.echo(f"{name:<11} {endpoint.url}  (ready in {time.monotonic() - started:.1f} s)")
    typer.echo(f"settings for the services: {write_env_file(folder, settings)}")


@app.command()
def down(names: NamesArg = None, data: DataOpt = Path("data")) -> None:
    """Stop the engines started by `up` (in reverse order)."""
    for name in reversed(_chosen(names)):
        engine(name).down(data / "engines")
        typer.echo(f"{name:<11} stopped")


@app.command()
def status(names: NamesArg = None, data: DataOpt = Path("data")) -> None:
    """Say for each engine whether it is fetched and running, and where."""
    for name in _chosen(names):
        typer.echo(f"{name:<11} {engine(name).status(data / 'engines')}")


def write_env_file(folder: Path, settings: dict[str, str]) -> Path:
    """DATA/engines/engines.env: the engines' settings for the services, merged with earlier ones."""
    env_file = folder / "engines.env"
    existing = _read_env(env_file)
    existing.update(settings)
    env_file.write_text("".join(f"{k}={v}\n" for k, v in sorted(existing.items())))
    return env_file


def _read_env(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    return {k: v for k, v in pairs}
