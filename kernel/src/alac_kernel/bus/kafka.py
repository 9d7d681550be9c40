"""The `kafka` bus backend: Apache Kafka through kafka-python.

`client_options` is one flat dict of kafka-python settings (TLS, SASL, timeouts...). Each
client (producer, consumer, admin) takes the keys it knows, so the same dict can carry
`security_protocol` for all three and `linger_ms` for the producer only; a key no client
knows is refused at construction, because kafka-python would otherwise reject it only at the
first publish or subscribe, far from the configuration mistake.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka import errors as kafka_errors
from kafka.structs import OffsetAndMetadata, TopicPartition

from alac_kernel.bus.base import (
    BusConsumer,
    BusError,
    CommitRefused,
    EventBus,
    OutgoingRecord,
    Record,
)

log = logging.getLogger(__name__)

_TOPIC_ALREADY_EXISTS = kafka_errors.TopicAlreadyExistsError.errno

# Settings the bus guarantees to its callers (durability, manual commits, replay from the
# start for a new group); letting configuration change them would silently break the
# semantics promised in base.py.
_RESERVED = frozenset(
    {
        "bootstrap_servers",
        "acks",
        "group_id",
        "enable_auto_commit",
        "auto_offset_reset",
        "key_serializer",
        "value_serializer",
        "key_deserializer",
        "value_deserializer",
        "transactional_id",
    }
)

# kafka-python's own timeouts are tuned for long-lived batch jobs (30 s bootstrap, 60 s
# max_block, 120 s delivery): a publish against a dead broker would hold the outbox relay for
# two minutes. Shorter bounds make failures surface as BusError while the relay can still
# back off and retry.
_COMMON_DEFAULTS: dict[str, Any] = {
    "bootstrap_timeout_ms": 10_000,
    "request_timeout_ms": 10_000,
    # Reconnects to a broker that went away back off exponentially up to this bound
    # (kafka-python: 30 s). After a broker restart every client would otherwise wait up
    # to half a minute more before noticing it is back; 5 s is still gentle on the broker.
    "reconnect_backoff_max_ms": 5_000,
}
_PRODUCER_DEFAULTS: dict[str, Any] = {
    "max_block_ms": 10_000,
    "delivery_timeout_ms": 30_000,
    # Topics are created by the bus with the configured partition count; broker-side
    # auto-creation would use the broker's default count and break key->partition stability.
    "allow_auto_create_topics": False,
}
_CONSUMER_DEFAULTS: dict[str, Any] = {
    # 10 s is above the 6 s minimum a stock Kafka broker accepts (group.min.session.timeout.ms)
    # and short enough that a crashed member's partitions move on quickly.
    "session_timeout_ms": 10_000,
    "heartbeat_interval_ms": 1_000,
    # The rebalance waits up to this long for slow members; our handlers process one small
    # batch between polls, so a minute is generous and keeps rebalances from stalling long.
    "max_poll_interval_ms": 60_000,
    "allow_auto_create_topics": False,
}
# Every topic keeps its whole history: the topics are the event log that read models
# (search, analytics) are rebuilt from, and the dead-letter topics are the record of what
# was never applied. The broker default (retention.ms = 7 days) would silently make a
# rebuild miss everything older. Not compaction: a compacted topic keeps only the latest
# record per key (aggregate), but a rebuild needs every event of an aggregate.
# An operator who must bound disk use sets retention per topic with kafka-configs.sh,
# knowing that rebuilds then start from what is left (docs/operations.md).
TOPIC_CONFIGS: dict[str, str] = {
    "retention.ms": "-1",
    "retention.bytes": "-1",
    "cleanup.policy": "delete",
}
_ADMIN_DEFAULTS: dict[str, Any] = {
    # ping() backs /readyz, which must answer well before the orchestrator's probe timeout.
    "bootstrap_timeout_ms": 5_000,
    "request_timeout_ms": 5_000,
}


def _options_for(
    client_defaults: Mapping[str, Any], known: Iterable[str], client_options: Mapping[str, Any]
) -> dict[str, Any]:
    known = set(known)
    merged = {k: v for k, v in _COMMON_DEFAULTS.items() if k in known}
    merged.update(client_defaults)
    merged.update({k: v for k, v in client_options.items() if k in known})
    return merged


def _decode(value: bytes | None) -> str:
    # Headers written by other producers may not be UTF-8; raising here would make the record
    # a poison pill that blocks its partition forever, so undecodable bytes are replaced.
    return "" if value is None else value.decode("utf-8", errors="replace")


class KafkaBus(EventBus):
    backend = "kafka"

    def __init__(
        self,
        bootstrap_servers: str,
        partitions: int = 4,
        client_options: dict[str, Any] | None = None,
    ) -> None:
        if partitions < 1:
            raise ValueError("partitions must be at least 1")
        options = dict(client_options or {})
        reserved = sorted(_RESERVED.intersection(options))
        if reserved:
            raise ValueError(f"client_options may not set {reserved}: the bus fixes them")
        known = (
            set(KafkaProducer.DEFAULT_CONFIG)
            | set(KafkaConsumer.DEFAULT_CONFIG)
            | set(KafkaAdminClient.DEFAULT_CONFIG)
        )
        unknown = sorted(set(options) - known)
        if unknown:
            raise ValueError(f"client_options has keys no kafka-python client knows: {unknown}")

        self.bootstrap_servers = bootstrap_servers
        self.partitions = partitions
        self._options = options
        # Explicit `enable_idempotence: False` is the operator's way to talk to a broker that
        # refuses InitProducerId without waiting for the first publish to find out.
        self._idempotent = bool(options.pop("enable_idempotence", True))
        self._lock = threading.RLock()
        self._producer: KafkaProducer | None = None
        self._producer_has_written = False
        self._admin: KafkaAdminClient | None = None
        self._known_topics: set[str] = set()
        self._closed = False

    # -- clients -------------------------------------------------------------------------

    def _producer_config(self) -> dict[str, Any]:
        config = _options_for(_PRODUCER_DEFAULTS, KafkaProducer.DEFAULT_CONFIG, self._options)
        config["acks"] = "all"
        config["enable_idempotence"] = self._idempotent
        if not self._idempotent:
            # Without producer ids the broker cannot drop a retried duplicate or reject an
            # out-of-order batch, so one request in flight is what keeps per-key order when
            # a send is retried.
            config["max_in_flight_requests_per_connection"] = 1
        return config

    def _get_producer(self) -> KafkaProducer:
        with self._lock:
            self._check_open()
            if self._producer is None:
                try:
                    self._producer = KafkaProducer(
                        bootstrap_servers=self.bootstrap_servers, **self._producer_config()
                    )
                except kafka_errors.KafkaConfigurationError as exc:
                    if self._idempotent and "requires broker" in str(exc):
                        # A broker older than 0.11 has no producer ids at all.
                        self._fall_back_to_non_idempotent(exc)
                        return self._get_producer()
                    raise BusError(f"Kafka producer configuration refused: {exc}") from exc
                except kafka_errors.KafkaError as exc:
                    raise BusError(
                        f"cannot reach Kafka at {self.bootstrap_servers}: {exc}"
                    ) from exc
                self._producer_has_written = False
            return self._producer

    def _fall_back_to_non_idempotent(self, reason: BaseException) -> None:
        log.warning(
            "Kafka broker at %s refused the idempotent producer (%s: %s); falling back to "
            "acks=all with one request in flight per connection. Retried sends may now be "
            "duplicated; consumers deduplicate through the inbox.",
            self.bootstrap_servers,
            type(reason).__name__,
            reason,
        )
        self._idempotent = False
        if self._producer is not None:
            self._producer.close(timeout=5)
            self._producer = None

    def _get_admin(self) -> KafkaAdminClient:
        with self._lock:
            self._check_open()
            if self._admin is None:
                config = _options_for(
                    _ADMIN_DEFAULTS, KafkaAdminClient.DEFAULT_CONFIG, self._options
                )
                try:
                    self._admin = KafkaAdminClient(
                        bootstrap_servers=self.bootstrap_servers, **config
                    )
                except kafka_errors.KafkaError as exc:
                    raise BusError(
                        f"cannot reach Kafka at {self.bootstrap_servers}: {exc}"
                    ) from exc
            return self._admin

    def _drop_admin(self) -> None:
        # A failed admin client may hold a half-dead connection; the next call rebuilds it so
        # ping() recovers as soon as the broker is back.
        with self._lock:
            if self._admin is not None:
                try:
                    self._admin.close()
                except Exception:  # closing a broken client must not mask the original failure
                    log.debug("closing the Kafka admin client failed", exc_info=True)
                self._admin = None

    def _check_open(self) -> None:
        if self._closed:
            raise BusError("the Kafka bus is closed")

    def _ensure_topics(self, topics: Iterable[str]) -> None:
        missing = sorted(set(topics) - self._known_topics)
        if not missing:
            return
        with self._lock:
            missing = sorted(set(missing) - self._known_topics)
            if not missing:
                return
            admin = self._get_admin()
            # replication_factor -1 lets the broker apply default.replication.factor, which is
            # the operator's durability choice for the cluster (Kafka >= 2.4).
            request = {
                name: {
                    "num_partitions": self.partitions,
                    "replication_factor": -1,
                    "configs": dict(TOPIC_CONFIGS),
                }
                for name in missing
            }
            try:
                response = admin.create_topics(request, raise_errors=False)
                failures = [
                    f"{t['name']}: "
                    f"{t.get('error_message') or kafka_errors.for_code(t['error_code']).__name__}"
                    for t in response["topics"]
                    if t["error_code"] not in (0, _TOPIC_ALREADY_EXISTS)
                ]
                if failures:
                    raise BusError(f"could not create Kafka topics: {'; '.join(failures)}")
                # The broker's CreateTopics answer precedes the metadata that clients use to
                # find partition leaders; waiting here keeps the first send from racing it.
                admin.wait_for_topics(missing)
            except kafka_errors.KafkaError as exc:
                self._drop_admin()
                raise BusError(f"could not create Kafka topics {missing}: {exc}") from exc
            self._known_topics.update(missing)

    # -- EventBus ------------------------------------------------------------------------

    def publish(self, records: Iterable[OutgoingRecord]) -> None:
        batch = list(records)
        if not batch:
            return
        self._ensure_topics(r.topic for r in batch)
        try:
            self._send_all(batch)
        except _ProducerIdRefused as refused:
            # No record of this batch reached the broker (kafka-python sends nothing until it
            # holds a producer id), so sending it again cannot duplicate anything.
            with self._lock:
                self._fall_back_to_non_idempotent(refused.cause)
            self._send_all(batch)

    def _send_all(self, batch: Sequence[OutgoingRecord]) -> None:
        producer = self._get_producer()
        futures = []
        try:
            for record in batch:
                futures.append(
                    producer.send(
                        record.topic,
                        key=None if record.key is None else record.key.encode("utf-8"),
                        value=record.value,
                        headers=[(k, v.encode("utf-8")) for k, v in record.headers.items()],
                    )
                )
            # Bounded by delivery_timeout_ms: after it every batch is resolved one way or the
            # other, so a longer wait would only hide a stuck client.
            delivery_timeout_s = self._producer_config()["delivery_timeout_ms"] / 1000
            producer.flush(timeout=delivery_timeout_s + 5)
            for future in futures:
                if not future.is_done:
                    raise BusError("Kafka publish timed out before every record was acknowledged")
                future.get(timeout=0)
        except BusError:
            self._drop_producer(producer)
            raise
        except kafka_errors.KafkaError as exc:
            if self._producer_id_refused(producer):
                raise _ProducerIdRefused(exc) from exc
            self._drop_producer(producer)
            raise BusError(f"Kafka publish failed: {exc}") from exc
        self._producer_has_written = True

    def _drop_producer(self, producer: KafkaProducer) -> None:
        """Throw away a producer after a failed publish; the next publish builds a new one.

        After the broker went away, kafka-python's idempotent producer can stay in a fatal
        state for good (its producer id or sequence numbers no longer match the broker's),
        and every later send fails at once: the outbox would never drain until the process
        restarted. A new producer gets a new producer id. The records of the failed batch
        stay pending in the outbox and are sent again after its backoff; if some of them
        did reach the broker, consumers deduplicate them by event id.
        """
        with self._lock:
            replaced = self._producer is not producer
            if not replaced:
                self._producer = None
        if replaced:
            return  # another thread already replaced it
        try:
            # Nothing buffered in it will be acknowledged to anyone: do not wait for it.
            producer.close(timeout=0)
        except Exception:  # closing a broken client must not mask the original failure
            log.debug("closing the failed Kafka producer failed", exc_info=True)

    def _producer_id_refused(self, producer: KafkaProducer) -> bool:
        """True when the failure is the broker turning down InitProducerId.

        Only a producer that never wrote qualifies: after a successful write the failure
        could be anything, and a blind retry could duplicate records.
        """
        if not self._idempotent or self._producer_has_written:
            return False
        # kafka-python exposes no public signal for this; the transaction manager is fatal and
        # still without a producer id exactly when InitProducerId was refused.
        manager = getattr(producer, "_transaction_manager", None)
        if manager is None:
            return False
        try:
            return bool(manager.has_fatal_error() and not manager.has_producer_id())
        except AttributeError:
            return False

    def consumer(
        self, group: str, topics: Sequence[str], *, client_id: str | None = None
    ) -> BusConsumer:
        if not topics:
            raise ValueError("a consumer needs at least one topic")
        self._check_open()
        self._ensure_topics(topics)
        config = _options_for(_CONSUMER_DEFAULTS, KafkaConsumer.DEFAULT_CONFIG, self._options)
        if client_id is not None:
            config["client_id"] = client_id
        try:
            consumer = KafkaConsumer(
                *topics,
                bootstrap_servers=self.bootstrap_servers,
                group_id=group,
                enable_auto_commit=False,
                auto_offset_reset="earliest",
                **config,
            )
            # The first JoinGroup carries the member's view of its topics' partitions. Without
            # metadata for them yet, the leader assigns this member nothing ("No partition
            # metadata") and nothing is consumed until a later metadata refresh triggers
            # another rebalance, seconds later. Loading the metadata first avoids that.
            for topic in topics:
                consumer.partitions_for_topic(topic)
        except kafka_errors.KafkaError as exc:
            raise BusError(f"cannot open a Kafka consumer for group {group!r}: {exc}") from exc
        return KafkaBusConsumer(group, consumer)

    def ping(self) -> None:
        try:
            self._get_admin().describe_cluster()
        except BusError:
            self._drop_admin()
            raise
        except kafka_errors.KafkaError as exc:
            self._drop_admin()
            raise BusError(f"Kafka at {self.bootstrap_servers} does not answer: {exc}") from exc

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if self._producer is not None:
                # Bounded: records still buffered here were never acknowledged, so publish()
                # already raised for them and the outbox will send them again.
                self._producer.close(timeout=5)
                self._producer = None
            if self._admin is not None:
                self._admin.close()
                self._admin = None


class _ProducerIdRefused(Exception):
    def __init__(self, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.cause = cause


# What the coordinator answers a commit from a member it no longer counts as the owner.
# kafka-python wraps most of them in CommitFailedError; the others can come through bare.
_MEMBERSHIP_LOST = (
    kafka_errors.CommitFailedError,
    kafka_errors.UnknownMemberIdError,
    kafka_errors.IllegalGenerationError,
    kafka_errors.RebalanceInProgressError,
    kafka_errors.FencedInstanceIdError,
)


class KafkaBusConsumer(BusConsumer):
    def __init__(self, group: str, consumer: KafkaConsumer) -> None:
        self.group = group
        self._consumer = consumer
        # The broker ends a rebalance after at most the rebalance timeout, which kafka-python
        # sends as max_poll_interval_ms; a little slack covers the SyncGroup round trip.
        self._join_wait_ms = int(consumer.config["max_poll_interval_ms"]) + 5_000
        self._closed = False

    def poll(self, max_records: int = 100, timeout_s: float = 1.0) -> list[Record]:
        try:
            batches = self._consumer.poll(
                timeout_ms=max(0, int(timeout_s * 1000)), max_records=max_records
            )
            self._finish_join_in_flight()
        except kafka_errors.KafkaError as exc:
            raise BusError(f"Kafka poll failed for group {self.group!r}: {exc}") from exc
        records: list[Record] = []
        for messages in batches.values():
            for m in messages:
                records.append(
                    Record(
                        topic=m.topic,
                        partition=m.partition,
                        offset=m.offset,
                        key=None if m.key is None else m.key.decode("utf-8", errors="replace"),
                        value=m.value if m.value is not None else b"",
                        headers={k: _decode(v) for k, v in (m.headers or [])},
                        timestamp_ms=m.timestamp or 0,
                    )
                )
        return records

    def _finish_join_in_flight(self) -> None:
        """Wait for a JoinGroup/SyncGroup round that the poll started but did not finish.

        kafka-python 3.0.12 keeps an unfinished join running in the background when poll()
        times out, but if that join completes before the next poll(), the next poll discards
        its result (the assignment) and sends a fresh JoinGroup, which starts yet another
        rebalance for every member. With short poll timeouts and a broker that holds JoinGroup
        for a while (Apache Kafka does while other members rejoin; a Kafka-protocol test broker
        held every first join for half the session timeout), members can rebalance forever
        and never consume. Finishing the join inside this call means no join is ever left to
        complete between polls. The cost is that a poll during a rebalance lasts as long as
        the rebalance, which the broker bounds by max_poll_interval_ms.
        """
        coordinator = getattr(self._consumer, "_coordinator", None)
        task = getattr(coordinator, "_join_task", None)
        if coordinator is None or task is None or getattr(task, "is_done", True):
            return
        coordinator.ensure_active_group(timeout_ms=self._join_wait_ms)

    def commit(self, records: Sequence[Record]) -> None:
        next_offsets: dict[TopicPartition, int] = {}
        for r in records:
            tp = TopicPartition(r.topic, r.partition)
            next_offsets[tp] = max(next_offsets.get(tp, 0), r.offset + 1)
        if not next_offsets:
            return
        try:
            self._consumer.commit(
                {tp: OffsetAndMetadata(offset, "", -1) for tp, offset in next_offsets.items()}
            )
        except _MEMBERSHIP_LOST as exc:
            # A rebalance took the partitions away, or a restarted broker forgot this member:
            # the new owner will get these records again, which the inbox absorbs.
            raise CommitRefused(f"Kafka commit refused for group {self.group!r}: {exc}") from exc
        except kafka_errors.KafkaError as exc:
            raise BusError(f"Kafka commit failed for group {self.group!r}: {exc}") from exc

    def lag(self) -> dict[tuple[str, int], int]:
        assigned = sorted(self._consumer.assignment())
        if not assigned:
            return {}
        try:
            ends = self._consumer.end_offsets(assigned)
            committed = {tp: self._consumer.committed(tp) for tp in assigned}
            never_committed = [tp for tp, offset in committed.items() if offset is None]
            starts = self._consumer.beginning_offsets(never_committed) if never_committed else {}
        except kafka_errors.KafkaError as exc:
            raise BusError(f"Kafka lag query failed for group {self.group!r}: {exc}") from exc
        lag: dict[tuple[str, int], int] = {}
        for tp in assigned:
            end = ends.get(tp) or 0
            # Some Kafka-protocol brokers (Tansu 0.6) answer ListOffsets(latest) with the base
            # offset of the last record batch + 1, not the true high watermark; the watermark
            # carried by fetch responses is right. On Apache Kafka both agree, so taking the
            # larger costs nothing and keeps the bus usable on such brokers.
            highwater = self._consumer.highwater(tp)
            if highwater is not None:
                end = max(end, highwater)
            done = committed[tp]
            if done is None:
                done = starts.get(tp) or 0
            lag[(tp.topic, tp.partition)] = max(0, end - done)
        return lag

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            # autocommit=False: offsets move only through commit(), after the caller's own
            # database commit; committing here could skip records it never processed.
            self._consumer.close(autocommit=False, timeout_ms=5_000)
        except kafka_errors.KafkaError:
            log.warning("closing the Kafka consumer of group %r failed", self.group, exc_info=True)
