"""The page bench runs end to end in its quick mode (2,000 complaints, 20 requests a page) on
the real services and web front end. No assertion on timings (they depend on the machine):
only that it completes, prints every page beside the ceiling, and writes JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

# Starts the bench as a process on its own data set: tens of seconds (not in `make test-fast`).
pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]


def test_quick_page_bench_prints_the_table_and_writes_json(tmp_path):
    output = tmp_path / "pages.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench.pages", "--quick", "--output", str(output)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,  # a guard against a hang, not a speed limit (CI may be loaded)
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "loaded 2,000 complaints" in out
    for label in ("ceiling: /staff", "triage queue", "case page", "search /staff/search",
                  "its facets /staff/search/facets", "both at once ?facets=1"):  # fmt: skip
        assert label in out
    assert "target: p95 under 100 ms for triage, case page and search" in out
    document = json.loads(output.read_text(encoding="utf-8"))
    assert document["complaints"] == 2000
    assert document["loading"]["complaints"] == 2000 and document["loading"]["cases"] > 0
    assert [p["page"] for p in document["pages"]] == [
        "ceiling", "triage", "case", "search", "search_facets", "search_inline"
    ]  # fmt: skip
    for page in document["pages"]:
        assert page["requests"] == 20
        assert 0 < page["p50_ms"] <= page["p95_ms"] <= page["max_ms"]
        assert page["cpu_ms"] > 0  # the servers' CPU time per request, measured
