"""bench.report_pdf runs end to end on a small data set: it prints the full PDF report's times
beside its JSON ceiling, and writes them as JSON. No assertion on the times themselves."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

# Starts the bench as a process on its own data set: tens of seconds (not in `make test-fast`).
pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]


def test_report_pdf_bench_prints_figures_beside_the_ceiling():
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.report_pdf",
            "--complaints",
            "20000",
            "--runs",
            "1",
            "--days",
            "20",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,  # a guard against a hang, not a speed limit
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "p50 ms" in out and "x ceiling" in out and "< 3 s" in out
    for target in ("ceiling (json)", "pdf kk", "pdf ru", "pdf en", "xlsx ru"):
        assert target in out, target
    result = json.loads((REPO / "bench" / "results" / "report-pdf-sqlite.json").read_text())
    assert result["complaints"] == 20000 and result["pdf_pages"] > 10
    assert set(result["figures"]) == {"ceiling (json)", "pdf kk", "pdf ru", "pdf en", "xlsx ru"}
