"""The Kafka bench runs end to end, tiny, on the session's real broker. No assertion on rates
(they depend on the machine): only that both sides moved every record, the table and the
ratios are printed, and the JSON has both sides."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.kafka, pytest.mark.timeout(240)]

REPO = Path(__file__).resolve().parents[2]


def test_tiny_kafka_bench_prints_both_sides_and_the_ratio(tmp_path, kafka_bootstrap):
    output = tmp_path / "kafka.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.kafka",
            "--records",
            "300",
            "--batch",
            "50",
            "--rounds",
            "1",
            "--bootstrap",
            kafka_bootstrap,
            "--output",
            str(output),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=200,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "Kafka: 300 records" in out and "batches of 50" in out
    assert "\nraw " in out and "\nbus " in out
    assert "ratio bus/raw: produce" in out and "(goal >= 0.8)" in out

    document = json.loads(output.read_text(encoding="utf-8"))
    assert document["records"] == 300
    for side in ("raw", "bus"):
        assert set(document[side]) == {"produce_per_s", "consume_per_s", "end_to_end_per_s"}
        assert all(rate > 0 for rate in document[side].values())
    assert set(document["ratios"]) == {"produce_per_s", "consume_per_s", "end_to_end_per_s"}
