"""The short version of `make verify` (issue 11, item 4), inside `make test`: the same run
as `python -m verify` with a short load, one kill -9, the bad-input and access probes. It
passes only when the printed table has no failing row (nothing lost, nothing duplicated, no
5xx, no leak); the rate reached is reported, not asserted (a test never asserts a wall-clock
figure)."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(1200)]


def test_short_verify_run_holds_load_survives_a_kill_and_refuses_bad_input(tmp_path, run_verify):
    result = run_verify(
        # The demo outsiders only: every role of another tenant and office is the full run's
        # and the production short run's (their accounts take a while to make).
        ["--seconds", "20", "--rate", "1", "--kills", "1", "--fuzz-examples", "2",
         "--outsiders", "demo"],
        tmp_path / "verify.json",
        timeout_s=1100,
    )  # fmt: skip
    counts = result["counts"]
    assert counts["accepted"] >= 1 and counts["cases_missing"] == 0
    assert counts["hits_ok"] == counts["accepted"] == counts["counted"]
    assert result["probes"]["tried"] > 100 and result["probes"]["5xx"] == 0
    assert result["access"]["leaks"] == 0 and len(result["kills"]) == 1
    matrix = result["every_endpoint"]
    assert matrix["operations"] >= 110 and matrix["tried"] >= 12 * matrix["operations"]
    assert matrix["ok"] and matrix["5xx"] == matrix["leaks"] == matrix["mismatches"] == 0
    full = result["disk_full"]  # the suite runs as root here, so the tmpfs is mounted
    assert full["refused_503"] > 0 and full["other"] == 0 and full["recovered"]
    assert set(result["integrity"].values()) == {"ok"}
    assert result["stored"] == counts["accepted"] and result["refusals_malformed"] == 0
    for model in ("search", "analytics"):
        compared = result["read_models"][model]
        assert compared["live"] == compared["rebuilt"] > 0 and compared["differing"] == 0
    fuzzed = result["schemathesis"]
    assert fuzzed["calls"] > 300 and fuzzed["5xx"] == fuzzed["failures"] == 0
