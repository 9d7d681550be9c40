"""The Apache Kafka engine (`alac engines ... kafka`): a clear line when it was not fetched,
and `up` / `status` / `down` on the real broker with the data kept across a restart, where
the bus's topics keep their whole history."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from kafka import KafkaAdminClient
from kafka.admin import ConfigResource, ConfigResourceType

from alac_cli.engines import EngineMissing
from alac_cli.engines import kafka as kafka_engine
from alac_kernel.bus import OutgoingRecord
from alac_kernel.bus.kafka import KafkaBus


def _alac(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [Path(sys.executable).parent / "alac", *args],
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, **(env or {})},
    )


def test_not_fetched_is_one_line_naming_the_command(tmp_path, monkeypatch):
    monkeypatch.setenv("ALAC_ENGINES_CACHE", str(tmp_path / "empty-cache"))
    with pytest.raises(EngineMissing) as missing:
        kafka_engine.installed()
    assert str(missing.value) == (
        f"Apache Kafka {kafka_engine.VERSION} not fetched; run: make engines"
    )
    status = _alac("engines", "status", "kafka", "--data", str(tmp_path / "data"))
    assert "not fetched" in status.stdout + status.stderr


def _topic_config(bootstrap: str, topic: str) -> dict[str, str]:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        # {resource type: {resource name: {config key: {"value": ..., ...}}}}
        result = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
    finally:
        admin.close()
    [by_name] = result.values()
    return {key: data["value"] for key, data in by_name[topic].items()}


@pytest.mark.kafka
@pytest.mark.timeout(300)
def test_up_status_down_keeps_the_data_across_a_restart(tmp_path):
    data = tmp_path / "data"
    try:
        kafka_engine.installed()
    except EngineMissing as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        started = _alac("engines", "up", "kafka", "--data", str(data))
        assert started.returncode == 0, started.stdout + started.stderr
        env = dict(
            line.split("=", 1)
            for line in (data / "engines" / "engines.env").read_text().splitlines()
        )
        assert env["ALAC_BUS_BACKEND"] == "kafka"
        bootstrap = env["ALAC_KAFKA_BOOTSTRAP"]
        assert bootstrap in started.stdout
        assert bootstrap in _alac("engines", "status", "kafka", "--data", str(data)).stdout
        # `up` again is a no-op on a running broker.
        again = _alac("engines", "up", "kafka", "--data", str(data))
        assert again.returncode == 0 and bootstrap in again.stdout

        topic = f"engine.test.{uuid.uuid4().hex[:8]}"
        bus = KafkaBus(bootstrap, partitions=2)
        bus.publish([OutgoingRecord(topic, "k", b"kept")])
        bus.close()
        config = _topic_config(bootstrap, topic)
        assert config["retention.ms"] == "-1"
        assert config["retention.bytes"] == "-1"
        assert config["cleanup.policy"] == "delete"

        stopped = _alac("engines", "down", "kafka", "--data", str(data))
        assert stopped.returncode == 0
        assert "stopped" in _alac("engines", "status", "kafka", "--data", str(data)).stdout

        restarted = _alac("engines", "up", "kafka", "--data", str(data))
        assert restarted.returncode == 0, restarted.stdout + restarted.stderr
        assert bootstrap in restarted.stdout, "same port after a restart"
        bus = KafkaBus(bootstrap, partitions=2)
        consumer = bus.consumer(f"g{uuid.uuid4().hex[:6]}", [topic])
        got = []
        for _ in range(40):
            got += consumer.poll(10, 0.5)
            if got:
                break
        consumer.close()
        bus.close()
        assert [(r.key, r.value) for r in got] == [("k", b"kept")], "the data survived"
    finally:
        _alac("engines", "down", "kafka", "--data", str(data))
