"""`make verify` on the production profile's engines, short: the four services on PostgreSQL
and Apache Kafka as real processes, the broker killed (-9) and the database stopped
(immediate) in the middle of the load, each started again on the same port and data. Nothing
may be lost or applied twice, attempts refused meanwhile must be 503s (never a 500), and the
read models must equal a rebuild from Kafka's log."""

from __future__ import annotations

import pytest

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.postgres,
    pytest.mark.kafka,
    pytest.mark.slow,
    pytest.mark.timeout(1500),
]


def test_production_profile_survives_the_bus_and_the_database_stopped_mid_load(
    tmp_path, run_verify
):
    result = run_verify(
        ["--profile", "production", "--seconds", "20", "--rate", "1", "--kills", "0",
         "--outage", "3", "--fuzz-examples", "1"],
        tmp_path / "verify.json",
        timeout_s=1400,
    )  # fmt: skip
    assert result["profile"] == "production"
    assert [what.split()[0] for _, what, _ in result["outages"]] == ["bus", "database"]
    counts = result["counts"]
    assert counts["accepted"] >= 1 and counts["cases_missing"] == counts["cases_duplicated"] == 0
    assert counts["hits_ok"] == counts["accepted"] == counts["counted"]
    assert all(int(code) == 503 or int(code) < 500 for code in result["refusals"])
    for model in ("search", "analytics"):
        compared = result["read_models"][model]
        assert compared["live"] == compared["rebuilt"] > 0 and compared["differing"] == 0
