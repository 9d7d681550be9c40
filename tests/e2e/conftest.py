"""The short `make verify` runs (test_verify_short.py, test_verify_production.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]


def _run_verify(args: list[str], figures: Path, timeout_s: float) -> dict[str, Any]:
    """`python -m verify ARGS` as the suite runs it: the rate is reported, not asserted (a
    test never asserts a wall-clock figure); fails with the table and the log's tail unless
    every row held; returns the figures written with --json."""
    done = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "verify", *args, "--json", str(figures), "--rate-informative"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout_s,  # a guard against a hang, not a speed limit
    )
    assert done.returncode == 0 and "all checks passed" in done.stdout, (
        done.stdout + done.stderr[-3000:]
    )
    return dict(json.loads(figures.read_text()))


@pytest.fixture
def run_verify() -> Callable[[list[str], Path, float], dict[str, Any]]:
    return _run_verify
