"""The production profile's engines, fetched and run by `alac engines fetch|up|down|status`.

Each engine is a module with the same five functions (see `Engine`); `ENGINES` lists them in
start order (a later engine may need an earlier one, e.g. Keycloak's database).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol

from alac_cli.engines.base import Endpoint, EngineMissing

ENGINE_NAMES = ("postgres", "kafka", "keycloak", "opensearch", "prometheus")


class Engine(Protocol):
    NAME: str

    def fetch(self, cache: Path) -> Path:
        """Bring the pinned version into the cache (idempotent, checksums checked); its home."""

    def run(self, data: Path) -> AbstractContextManager[Endpoint]:
        """Run in the foreground of the caller (tests): started on enter, stopped on exit."""

    def up(self, data: Path) -> Endpoint:
        """Start in the background under `data` (idempotent); where it answers."""

    def down(self, data: Path) -> None:
        """Stop what `up` started under `data`."""

    def status(self, data: Path) -> str:
        """One line: fetched?, running?, where."""


def engine(name: str) -> Engine:
    if name not in ENGINE_NAMES:
        raise KeyError(f"no engine {name!r}; the engines are {', '.join(ENGINE_NAMES)}")
    return importlib.import_module(f"alac_cli.engines.{name}")


def available() -> Iterator[str]:
    """The engines whose module exists (all of them once the profile is complete)."""
    for name in ENGINE_NAMES:
        try:
            importlib.import_module(f"alac_cli.engines.{name}")
        except ModuleNotFoundError:
            continue
        yield name


__all__ = ["ENGINE_NAMES", "Endpoint", "Engine", "EngineMissing", "available", "engine"]
