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
KINDS = ["two_words_two_filters", "phrase", "prefix", "facets", "facets_counts_only"]
TARGETS = {"two_words_two_filters": 50, "phrase": 150, "prefix": 150}


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
    for kind, target in TARGETS.items():
        assert f"target: p95 under {target} ms for {kind}" in out
    assert "prev p95" in out and "CPU p95" in out

    document = json.loads(output.read_text(encoding="utf-8"))
    assert document["docs"] == 2000
    assert document["indexing"]["documents"] == 2000 and document["indexing"]["per_s"] > 0
    assert [q["kind"] for q in document["queries"]] == KINDS
    for q in document["queries"]:
        assert q["queries"] == 20
        assert 0 <= q["p50_ms"] <= q["p95_ms"] <= q["max_ms"]
        assert 0 <= q["cpu_p50_ms"] <= q["cpu_p95_ms"]
        assert q["target_p95_ms"] == TARGETS.get(q["kind"])
    # The corpus is realistic enough that every kind of query finds something.
    assert all(q["median_hits"] > 0 for q in document["queries"][1:])
    assert document["machine"]["cpus_usable"] >= 1


def test_the_index_is_built_once_and_reused(tmp_path):
    """--index keeps the index in a folder; a second run with the same --docs reuses it."""
    folder = tmp_path / "index"

    def run() -> str:
        done = subprocess.run(
            [sys.executable, "-m", "bench.search", "--docs", "300", "--queries", "3",
             "--warmup", "1", "--index", str(folder), "--output", str(tmp_path / "s.json")],
            cwd=REPO, capture_output=True, text=True, timeout=900,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    assert "indexed 300 complaints" in run()
    again = run()
    assert "reusing the index of 300 complaints" in again and "indexed 300" not in again
    assert json.loads((tmp_path / "s.json").read_text())["indexing"]["reused"] is True
