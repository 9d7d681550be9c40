"""The wrk bench (`make bench`) runs end to end in its quick mode: real issuer, ceiling and
intake processes driven by wrk, with unique Idempotency-Keys and 40 % anonymous bodies.

No assertion on timings or rates (they depend on the machine); only that the run completes,
prints every figure beside the ceiling's with the load average, and writes them as JSON.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]


def test_quick_native_bench_prints_figures_beside_the_ceiling(tmp_path):
    assert shutil.which("wrk"), "wrk is installed by make test (ensure-system-packages wrk)"
    output = tmp_path / "native.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench.native", "--quick", "--concurrency", "4",
         "--duration", "2", "--warmup", "1", "--output", str(output)],
        cwd=REPO, capture_output=True, text=True,
        timeout=900,  # a guard against a hang, not a speed limit (CI may be loaded)
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    for column in ("accepted/s", "ratio", "p50 ms", "p99 ms", "p99.9 ms", "CPU ms/req", "RSS MiB",
                   "load1"):  # fmt: skip
        assert column in out, column
    assert "load average" in out

    document = json.loads(output.read_text(encoding="utf-8"))
    rows = {(r["target"], r["concurrency"]): r for r in document["results"]}
    assert set(rows) == {("ceiling", 4), ("intake", 4), ("intake-full", 4)}
    for row in rows.values():
        assert row["accepted"] > 0, row
        assert row["statuses"].get("201", 0) == row["accepted"]
        assert row["p50_ms"] > 0 and row["p99_ms"] >= row["p50_ms"]
        assert row["server_cpu_ms_per_accepted"] is not None
        assert row["rss_after_mib"] > 0 and len(row["loadavg_after"]) == 3
    # Every request had its own Idempotency-Key: intake stored as many complaints as it
    # accepted (warm-up included), none was answered as a replay of another.
    relay = document["intake_relay"]
    accepted = rows[("intake", 4)]["accepted"] + rows[("intake-full", 4)]["accepted"]
    assert relay["complaints_stored"] >= accepted
    assert 0 < relay["anonymous_stored"] < relay["complaints_stored"]
