"""`python -m bench.dashboard` runs end to end at a tiny scale: every card of the dashboard is
asked for and answers as a card (the bench checks each first answer), cross-filtered ones also
over partial months (whose edge days the generated facts cover), the table is printed
beside the ceiling and the target, and the JSON lists every card. No assertion on timings."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from alac_web.dashboard import CARDS

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]


def test_the_dashboard_bench_times_every_card(tmp_path: Path) -> None:
    output = tmp_path / "dashboard.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench.dashboard", "--complaints", "20000", "--facts", "2000",
         "--runs", "2", "--output", str(output)],
        cwd=REPO, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ceiling (GET /healthz" in done.stdout and "target per card: p95 < 100 ms" in done.stdout
    assert "scale: 20,000 complaints" in done.stdout and "2,000 complaint facts" in done.stdout
    document = json.loads(output.read_text(encoding="utf-8"))
    timed = {name.split(" | ")[0] for name in document["cards"]}
    assert timed | set(document["not_offered_by_analytics"]) == set(CARDS)
    assert {"headline", "trend", "regions", "offices", "by-area"} <= timed
    assert any(" | filter=area:education" in name for name in document["cards"])
    # Each cross-filtered card also over partial months, which read facts of the edge days.
    filtered = [n for n in document["cards"] if n.endswith(" | filter=area:education")]
    assert {f"{n} | partial months" for n in filtered} <= set(document["cards"])
    assert document["edge_day_facts"]["tenant"] > 0
    for figures in document["cards"].values():
        assert figures["p50_ms"] > 0 and figures["p95_ms"] >= figures["p50_ms"]
