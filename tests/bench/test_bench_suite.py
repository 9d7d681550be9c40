"""`make bench` / `make bench-quick` (`python -m bench.suite`): the steps run, their results
are read into one targets table, and a second run shows the first one's figures as the
previous ones. No assertion on a time or a rate (they depend on the machine)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))  # the bench is not an installed package

from bench import suite, targets  # noqa: E402


def _suite(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bench.suite", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,  # a guard against a hang, not a speed limit (CI may be loaded)
    )


@pytest.mark.slow  # the search bench on its own 2,000-complaint index: tens of seconds
def test_a_quick_step_lands_in_the_targets_table_and_is_the_next_runs_previous(tmp_path):
    first = _suite("--quick", "--only", "search", "--results", str(tmp_path))
    assert first.returncode == 0, first.stdout + first.stderr
    table = first.stdout.split("Targets (", 1)[1]
    rows = [line for line in table.splitlines() if line.startswith("search ")]
    assert len(rows) == 3, table  # two words + two filters, phrase, prefix: the targets
    for row in rows:
        assert " ms " in row and ("yes" in row or "NO" in row)
    written = json.loads((tmp_path / "search.json").read_text(encoding="utf-8"))
    assert written["indexing"]["documents"] == 2000
    assert (tmp_path / "last-quick" / "search.json").exists()
    # The quick run's figures are the next quick run's "previous" column, not a full run's.
    kept = json.loads((tmp_path / "last-quick" / "search.json").read_text(encoding="utf-8"))
    second = _suite("--quick", "--only", "search", "--results", str(tmp_path))
    assert second.returncode == 0, second.stdout + second.stderr
    before = {r.what: r.figure_text() for r in targets.search(kept)}
    table = second.stdout.split("Targets (", 1)[1]
    for what, figure in before.items():
        (line,) = [line for line in table.splitlines() if line.startswith(what)]
        assert line[suite.PREVIOUS_COLUMN].strip() == figure, line
    assert not (tmp_path / "last-full").exists()


def test_a_failed_step_reads_n_a_and_the_others_still_print():
    ok = suite.Outcome(
        suite.STEPS[1], seconds=30, status="ok",
        result={"window_s": 60, "cpu_pct_of_one_core": 0.8, "rss_mib": 900},
    )  # fmt: skip
    failed = suite.Outcome(suite.STEPS[0], seconds=5, status="failed (exit 1)")
    text = suite.summary([failed, ok], quick=False, total_s=35)
    (native_line,) = [line for line in text.splitlines() if line.startswith("native ")]
    assert "n/a" in native_line and "failed (exit 1)" in native_line
    (idle_line,) = [line for line in text.splitlines() if line.startswith("idle platform")]
    assert "0.8" in idle_line and "< 1" in idle_line and "yes" in idle_line


def test_each_reader_says_not_met_beside_the_ceiling():
    native = {"results": [
        {"target": "ceiling", "concurrency": 32, "accepted_per_s": 4000.0, "p99_ms": 11.0,
         "server_cpu_ms_per_accepted": 0.25},
        {"target": "intake", "concurrency": 32, "accepted_per_s": 200.0, "p99_ms": 600.0,
         "server_cpu_ms_per_accepted": 9.0},
    ]}  # fmt: skip
    rows = {r.what: r for r in targets.native(native)}
    ratio = rows["intake accepted/s over the ceiling's, c=32"]
    assert ratio.figure == pytest.approx(0.05) and ratio.met is False
    assert "ceiling 4,000/s" in ratio.beside
    p99 = rows["intake p99 at c=32"]
    assert p99.figure == 600.0 and p99.met is False and "ceiling 11.0 ms" in p99.beside
    # A result without the figure (an older file, a failed run) reads n/a, never raises.
    (empty,) = targets.rebuild({"database": "sqlite", "rebuild": None})
    assert empty.figure is None and empty.figure_text() == "n/a" and empty.met is None
