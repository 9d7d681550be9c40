"""Fixtures of the cases tests: the cases service alone (cases_harness.py), on SQLite and
PostgreSQL. Makes the shared helpers importable (pytest runs in importlib mode)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from cases_harness import CasesAlone, build  # noqa: E402

from alac_kernel.testing.alone import FLAVOURS  # noqa: E402


@pytest.fixture(params=FLAVOURS)
def platform(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[CasesAlone]:
    """The cases service alone, once on SQLite and once on PostgreSQL (named like the
    four-service fixture, so the tests read the same on both)."""
    with build(request.param, tmp_path) as built:
        yield built


@pytest.fixture
def sqlite_platform(tmp_path: Path) -> Iterator[CasesAlone]:
    with build("sqlite", tmp_path) as built:
        yield built
