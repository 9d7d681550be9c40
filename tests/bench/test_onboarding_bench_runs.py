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
    assert "the triage list" in done.stdout and "a search" in done.stdout
    document = json.loads(output.read_text(encoding="utf-8"))
    assert document["centres"] == 5
    assert document["one_centre_ms"] > 0
    figures = [document[f] for f in ("in_a_row", "ceiling_identity_only")]
    figures += [document[when][what] for when in ("before", "after")
                for what in ("complaint", "triage_list", "search")]  # fmt: skip
    for figure in figures:
        assert 0 < figure["p50_ms"] <= figure["p95_ms"] <= figure["max_ms"]
    for when in ("before", "after"):
        assert all(document[when][what]["cpu_ms"] > 0 for what in document[when])
    # the onboarding's identity calls are counted, and the load is printed beside the figures
    assert document["admin_calls_one_centre"] >= document["in_a_row"]["admin_calls_per_centre"] > 0
    assert "load average" in done.stdout and document["load_average"]["end"]
