"""Client settings for tests on the Apache Kafka broker (started by `alac_cli.engines.kafka`).

kafka-python's defaults (45 s session, 5 min poll interval) are tuned for long-lived batch
consumers: a test that drops a member without closing it would wait that long for the
rebalance. These stay within what a stock broker accepts (group.min.session.timeout.ms is
6 s), so the tests exercise the configuration an operator could really use.
"""

from __future__ import annotations

KAFKA_TEST_OPTIONS: dict[str, object] = {
    "session_timeout_ms": 6_000,
    "heartbeat_interval_ms": 500,
    "max_poll_interval_ms": 20_000,
    # A consumer's fetch returns after this long when no record is there; the default
    # 500 ms would add up over the many short polls of the in-process pump.
    "fetch_max_wait_ms": 100,
    # The fault tests publish to a dead broker: fail within seconds rather than the bus's
    # production bounds (10 s per blocked send, 30 s per delivery), so a test's outage phase
    # does not take minutes. The relay's retry path is the same either way.
    "max_block_ms": 4_000,
    "request_timeout_ms": 4_000,
    "delivery_timeout_ms": 8_000,
}
