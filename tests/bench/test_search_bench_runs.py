"""The search bench runs end to end in its quick mode (2,000 complaints, 20 queries per kind)
on the real embedded engine. No assertion on timings or rates (they depend on the machine):
only that the run completes, prints its table, and writes JSON with every query kind."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

# Starts the bench as a process on its own data set: tens of seconds (not in `make test-fast`).
pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
KINDS = ["two_words_two_filters", "phrase", "prefix"]


def test_quick_search_bench_prints_the_table_and_writes_json(tmp_path):
    output = tmp_path / "search.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench.search", "--quick", "--output", str(output)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,  # a guard against a hang, not a speed limit (CI may be loaded)
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "indexed 2,000 complaints" in out and "documents/s" in out
    assert "p50 ms" in out and "p95 ms" in out
    for kind in KINDS:
        assert kind in out
    assert "target: p95 under 100 ms for two words with two filters" in out

    document = json.loads(output.read_text(encoding="utf-8"))
    assert document["docs"] == 2000
    assert document["indexing"]["documents"] == 2000 and document["indexing"]["per_s"] > 0
    assert [q["kind"] for q in document["queries"]] == KINDS
    for q in document["queries"]:
        assert q["queries"] == 20
        assert 0 <= q["p50_ms"] <= q["p95_ms"] <= q["max_ms"]
    # The corpus is realistic enough that every kind of query finds something.
    assert all(q["median_hits"] > 0 for q in document["queries"][1:])
    assert document["machine"]["cpus_usable"] >= 1
