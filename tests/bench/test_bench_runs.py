"""The bench runs end to end in its quickest mode: real issuer, ceiling and intake processes.

No assertion on timings or rates (they depend on the machine); only that the run completes,
prints its table and ratios, and writes JSON with both targets at every concurrency level.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
LEVELS = [1, 8, 32]


def test_quick_bench_prints_table_and_ratios_and_writes_json(tmp_path):
    output = tmp_path / "latest.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--requests", "20", "--output", str(output)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,  # a guard against a hang, not a speed limit (CI may be loaded)
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "target" in out and "accepted/s" in out and "p50 ms" in out and "p99 ms" in out
    for level in LEVELS:
        assert f"ratio intake/ceiling at concurrency {level}:" in out

    document = json.loads(output.read_text(encoding="utf-8"))
    measured = {(r["target"], r["concurrency"]) for r in document["results"]}
    assert measured == {(t, c) for t in ("ceiling", "intake", "intake-full") for c in LEVELS}
    for r in document["results"]:
        assert r["requests"] == 20
        assert r["accepted"] > 0
        assert r["accepted_per_s"] > 0
    assert set(document["ratios"]) == {str(c) for c in LEVELS}
    assert document["machine"]["cpus_usable"] >= 1
