"""The onboarding bench runs end to end in its quick mode (5 centres). No assertion on
timings (they depend on the machine): only that it completes, prints its table and writes
JSON with every figure."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

# Starts the bench as a process on its own data set: tens of seconds (not in `make test-fast`).
pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]


def test_quick_onboarding_bench_prints_the_table_and_writes_json(tmp_path):
    output = tmp_path / "onboarding.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench.onboarding", "--quick", "--output", str(output)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,  # a guard against a hang, not a speed limit
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "one centre, onboarded and provisioned everywhere" in done.stdout
    assert "5 centres in a row" in done.stdout and "ceiling" in done.stdout
    document = json.loads(output.read_text(encoding="utf-8"))
    assert document["centres"] == 5
    assert document["one_centre_ms"] > 0
    for figure in ("in_a_row", "ceiling_identity_only", "complaint_before", "complaint_after"):
        assert (
            0
            < document[figure]["p50_ms"]
            <= document[figure]["p95_ms"]
            <= document[figure]["max_ms"]
        )
