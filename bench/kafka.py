"""`python -m bench.kafka`: the Kafka bus against raw kafka-python on the same real broker.

Both sides move the same records (complaint.received events as the outbox relay writes them,
about 0.8 kB each, keyed by one of 500 aggregate ids) through the same Apache Kafka broker in
the same run, with the same durability:
- produce: batches of --batch records (the relay's batch size), each batch acknowledged by
  the broker (acks=all, idempotent producer) before the next: `KafkaBus.publish(batch)`
  against `send()` x batch + `flush()`;
- consume: a new consumer group reads every record, committing after each poll:
  `KafkaBus.consumer().poll()` + `commit()` against `KafkaConsumer.poll()` + `commit()`.
Each side runs --rounds times on fresh topics, alternating, and the best round counts (the
machine is shared; the best is the least disturbed). The ratio is bus / raw (goal >= 0.8).

The broker is started from `alac engines fetch`'s cache unless --bootstrap names one.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import NewTopic

from alac_kernel.bus import OutgoingRecord
from alac_kernel.bus.kafka import TOPIC_CONFIGS, KafkaBus
from alac_kernel.events import new_event
from alac_kernel.events.binding import record_headers

RESULTS = Path(__file__).resolve().parent / "results" / "kafka.json"
PARTITIONS = 4
GOAL = 0.8


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m bench.kafka",
        description="Produce-and-consume throughput: the Kafka bus against raw kafka-python.",
    )
    p.add_argument("--records", type=int, default=20_000, help="records per round")
    p.add_argument("--batch", type=int, default=200, help="records per acknowledged publish")
    p.add_argument("--rounds", type=int, default=3, help="rounds per side (best counts)")
    p.add_argument("--bootstrap", help="an existing broker (default: start one)")
    p.add_argument("--output", type=Path, default=RESULTS, help="JSON output")
    return p.parse_args(argv)


def _records(count: int) -> list[OutgoingRecord]:
    out = []
    for i in range(count):
        subject = str(uuid.UUID(int=i % 500))
        event = new_event(
            type="complaint.received",
            source="/alac/intake",
            subject=subject,
            tenant="tk",
            version=1 + i // 500,
            data={
                "complaint_id": subject,
                "office": "almaty",
                "received_at": "2026-11-01T09:00:00+00:00",
                "channel": "hotline",
                "anonymous": False,
                "crux": f"Директор школы требует взятку за зачисление, жалоба {i}.",
                "complainant": {"pseudonym": f"p{i}"},
                "area": "education",
            },
        )
        out.append(OutgoingRecord("", subject, event.to_json(), record_headers(event)))
    return out


def _batches(records: list[OutgoingRecord], size: int) -> Iterator[list[OutgoingRecord]]:
    for start in range(0, len(records), size):
        yield records[start : start + size]


def _raw_round(bootstrap: str, records: list[OutgoingRecord], batch: int) -> dict[str, float]:
    topic = f"bench.raw.{uuid.uuid4().hex[:8]}"
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    admin.create_topics([NewTopic(topic, PARTITIONS, 1, topic_configs=dict(TOPIC_CONFIGS))])
    admin.wait_for_topics([topic])
    admin.close()
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    started = time.perf_counter()
    for chunk in _batches(records, batch):
        futures = [
            producer.send(
                topic,
                key=r.key.encode(),
                value=r.value,
                headers=[(k, v.encode()) for k, v in r.headers.items()],
            )
            for r in chunk
        ]
        producer.flush()
        for f in futures:
            f.get(timeout=0)
    produce_s = time.perf_counter() - started
    producer.close()

    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"bench-raw-{uuid.uuid4().hex[:6]}",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    consumer.partitions_for_topic(topic)
    got = 0
    started = time.perf_counter()
    while got < len(records):
        polled = consumer.poll(timeout_ms=1000, max_records=500)
        n = sum(len(v) for v in polled.values())
        if n:
            consumer.commit()
            got += n
    consume_s = time.perf_counter() - started
    consumer.close(autocommit=False)
    return {"produce_s": produce_s, "consume_s": consume_s}


def _bus_round(bootstrap: str, records: list[OutgoingRecord], batch: int) -> dict[str, float]:
    topic = f"bench.bus.{uuid.uuid4().hex[:8]}"
    bus = KafkaBus(bootstrap, partitions=PARTITIONS)
    mine = [OutgoingRecord(topic, r.key, r.value, r.headers) for r in records]
    # The topic is created before the clock starts, as the raw side does.
    bus._ensure_topics([topic])  # noqa: SLF001 - the bus creates topics on first use only
    started = time.perf_counter()
    for chunk in _batches(mine, batch):
        bus.publish(chunk)
    produce_s = time.perf_counter() - started

    consumer = bus.consumer(f"bench-bus-{uuid.uuid4().hex[:6]}", [topic])
    got = 0
    started = time.perf_counter()
    while got < len(records):
        polled = consumer.poll(max_records=500, timeout_s=1.0)
        if polled:
            consumer.commit(polled)
            got += len(polled)
    consume_s = time.perf_counter() - started
    consumer.close()
    bus.close()
    return {"produce_s": produce_s, "consume_s": consume_s}


@contextlib.contextmanager
def _broker(bootstrap: str | None) -> Iterator[str]:
    if bootstrap:
        yield bootstrap
        return
    from alac_cli.engines import kafka as kafka_engine

    with tempfile.TemporaryDirectory(prefix="alac-bench-kafka-") as tmp:
        with kafka_engine.run(Path(tmp)) as endpoint:
            yield endpoint.settings["ALAC_KAFKA_BOOTSTRAP"]


def _rates(n: int, r: dict[str, float]) -> dict[str, float]:
    return {
        "produce_per_s": n / r["produce_s"],
        "consume_per_s": n / r["consume_s"],
        "end_to_end_per_s": n / (r["produce_s"] + r["consume_s"]),
    }


def run(args: argparse.Namespace, bootstrap: str) -> dict[str, Any]:
    records = _records(args.records)
    best: dict[str, dict[str, float]] = {}
    for _ in range(args.rounds):
        for side, round_ in (("raw", _raw_round), ("bus", _bus_round)):
            rates = _rates(args.records, round_(bootstrap, records, args.batch))
            kept = best.get(side)
            if kept is None or rates["end_to_end_per_s"] > kept["end_to_end_per_s"]:
                best[side] = rates
    ratios = {
        key: best["bus"][key] / best["raw"][key]
        for key in ("produce_per_s", "consume_per_s", "end_to_end_per_s")
    }
    value_bytes = sum(len(r.value) for r in records) / len(records)
    return {
        "records": args.records,
        "batch": args.batch,
        "rounds": args.rounds,
        "partitions": PARTITIONS,
        "mean_value_bytes": round(value_bytes),
        "raw": best["raw"],
        "bus": best["bus"],
        "ratios": ratios,
        "goal": GOAL,
    }


def report(result: dict[str, Any]) -> str:
    lines = [
        f"Kafka: {result['records']:,} records of ~{result['mean_value_bytes']} bytes, "
        f"batches of {result['batch']}, best of {result['rounds']} rounds, "
        f"{result['partitions']} partitions",
        f"{'side':<6}{'produce/s':>12}{'consume/s':>12}{'end-to-end/s':>15}",
    ]
    for side in ("raw", "bus"):
        r = result[side]
        lines.append(
            f"{side:<6}{r['produce_per_s']:>12,.0f}{r['consume_per_s']:>12,.0f}"
            f"{r['end_to_end_per_s']:>15,.0f}"
        )
    ratios = result["ratios"]
    lines.append(
        f"ratio bus/raw: produce {ratios['produce_per_s']:.2f}, consume "
        f"{ratios['consume_per_s']:.2f}, end-to-end {ratios['end_to_end_per_s']:.2f} "
        f"(goal >= {result['goal']})"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with _broker(args.bootstrap) as bootstrap:
        result = run(args, bootstrap)
    print(report(result))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
