"""The short version of `make verify` (issue 11, item 4), inside `make test`: the same run
as `python -m verify` with a short load, one kill -9, the bad-input and access probes. It
passes only when the printed table has no failing row (nothing lost, nothing duplicated, no
5xx, no leak)."""

from __future__ import annotations

import json

import pytest

from verify.__main__ import main

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]


def test_short_verify_run_holds_load_survives_a_kill_and_refuses_bad_input(tmp_path, capsys):
    figures = tmp_path / "verify.json"
    code = main(
        ["--seconds", "20", "--rate", "1", "--kills", "1", "--json", str(figures),
         "--rate-informative"]
    )  # fmt: skip
    table = capsys.readouterr().out
    assert code == 0, table
    result = json.loads(figures.read_text())
    counts = result["counts"]
    assert counts["accepted"] >= 1 and counts["cases_missing"] == 0
    assert counts["hits_ok"] == counts["accepted"] == counts["counted"]
    assert result["probes"]["tried"] > 100 and result["probes"]["5xx"] == 0
    assert result["access"]["leaks"] == 0 and len(result["kills"]) == 1
