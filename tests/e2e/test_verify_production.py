"""`make verify` on the production profile's engines, short: the four services on PostgreSQL,
Apache Kafka, Keycloak and OpenSearch as real processes (ALAC_PROFILE=production), the broker
killed (-9) and the database stopped (immediate) in the middle of the load, each started again
on the same port and data, then PostgreSQL's data volume (a tmpfs of its own) filled and freed.
Nothing may be lost, applied twice or half-written (pg_amcheck), attempts refused meanwhile must
be 503 problems with Retry-After (never a 500), the read models (search on OpenSearch) must
equal a rebuild from Kafka's log, and Keycloak's tokens of every role of another tenant and of
another office must reach nothing of tk/almaty."""

from __future__ import annotations

import pytest

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.postgres,
    pytest.mark.kafka,
    pytest.mark.keycloak,
    pytest.mark.opensearch,
    pytest.mark.slow,
    pytest.mark.timeout(1500),
]


def test_production_profile_survives_the_bus_and_the_database_stopped_mid_load(
    tmp_path, run_verify
):
    result = run_verify(
        # The demo outsiders only (--outsiders demo), like the embedded short run: the other
        # roles' accounts, made in Keycloak, are the full run's (docs/reliability.md).
        ["--profile", "production", "--seconds", "20", "--rate", "1", "--kills", "0",
         "--outage", "3", "--fuzz-examples", "1", "--outsiders", "demo"],
        tmp_path / "verify.json",
        timeout_s=1400,
    )  # fmt: skip
    assert result["profile"] == "production"
    assert [what.split()[0] for _, what, _ in result["outages"]] == ["bus", "database", "disk"]
    counts = result["counts"]
    assert counts["accepted"] >= 1 and counts["cases_missing"] == counts["cases_duplicated"] == 0
    assert counts["hits_ok"] == counts["accepted"] == counts["counted"]
    assert all(int(code) == 503 or int(code) < 500 for code in result["refusals"])
    assert result["refusals_malformed"] == 0  # every 503 a problem+json with Retry-After
    (full,) = result["during"].values()  # the answers while PostgreSQL's volume was full
    assert full.get("503", 0) > 0 and set(full) <= {"201", "503"}
    assert result["stored"] == counts["accepted"]
    assert set(result["integrity"]) == {"intake", "cases", "search", "analytics"}
    assert set(result["integrity"].values()) == {"ok"}  # pg_amcheck of every database
    # Keycloak's tokens: the 11 demo callers and anonymous
    matrix = result["every_endpoint"]
    assert matrix["ok"] and matrix["tried"] >= 12 * matrix["operations"]
    assert matrix["5xx"] == matrix["leaks"] == matrix["mismatches"] == 0
    # ndi's lawyer and astana's volunteer x (intake, search, cases) x up to 50 complaints
    assert result["access"] == {"tried": 2 * 3 * min(50, counts["accepted"]), "leaks": 0}
    for model in ("search", "analytics"):
        compared = result["read_models"][model]
        assert compared["live"] == compared["rebuilt"] > 0 and compared["differing"] == 0
