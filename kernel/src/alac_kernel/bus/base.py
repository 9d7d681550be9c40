"""The event bus interface. Services talk to this, never to a backend directly.

Two backends implement it: `log` (an embedded durable log in a SQL database) and `kafka`
(Apache Kafka through kafka-python). The conformance suite in kernel/tests/bus runs the same
tests against both.

Semantics every backend keeps:
- `publish` returns only once the record is durable (committed row / acks=all).
- Records with the same key land in the same partition, so one aggregate stays in order.
- A consumer group sees each record at least once; offsets move only on `commit`, which the
  caller does after its own database commit. Exactly-once effects come from the inbox.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True, init=False)
class Record:
    """One record read from a topic partition."""

    topic: str
    partition: int
    offset: int
    key: str | None
    value: bytes
    headers: Mapping[str, str] = field(default_factory=dict)
    timestamp_ms: int = 0

    def __init__(
        self,
        topic: str,
        partition: int,
        offset: int,
        key: str | None,
        value: bytes,
        headers: Mapping[str, str] | None = None,
        timestamp_ms: int = 0,
    ) -> None:
        # Written into the instance's dict rather than through the frozen dataclass's own
        # __init__ (one object.__setattr__ call per field): a rebuild makes a Record per
        # event it reads. Still frozen: setting a field afterwards raises.
        fields = self.__dict__
        fields["topic"] = topic
        fields["partition"] = partition
        fields["offset"] = offset
        fields["key"] = key
        fields["value"] = value
        fields["headers"] = {} if headers is None else headers
        fields["timestamp_ms"] = timestamp_ms


@dataclass(frozen=True)
class OutgoingRecord:
    """One record to publish."""

    topic: str
    key: str | None
    value: bytes
    headers: Mapping[str, str] = field(default_factory=dict)


class BusError(RuntimeError):
    """The bus could not do what was asked (broker down, database unreachable...)."""


class CommitRefused(BusError):
    """The group no longer counts this member as the owner of the records' partitions.

    Usual after a rebalance or a broker restart that forgot the member. Nothing is lost: the
    records were applied (and recorded in the inbox) before the commit, the next owner gets
    them again from the last committed offset and the inbox skips them.
    """


class BusConsumer(abc.ABC):
    """A member of a consumer group subscribed to some topics."""

    group: str

    @abc.abstractmethod
    def poll(self, max_records: int = 100, timeout_s: float = 1.0) -> list[Record]:
        """Return up to `max_records` records not yet committed for this group (may be empty).

        Records of one partition come in offset order. After a crash or rebalance, records
        after the last commit are delivered again.
        """

    @abc.abstractmethod
    def commit(self, records: Sequence[Record]) -> None:
        """Mark these records (and everything before them in their partitions) consumed."""

    @abc.abstractmethod
    def lag(self) -> dict[tuple[str, int], int]:
        """Records not yet committed, per (topic, partition) this member holds."""

    @abc.abstractmethod
    def close(self) -> None:
        """Leave the group; uncommitted records go to another member or the next start."""

    def __enter__(self) -> BusConsumer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class EventBus(abc.ABC):
    """Publish records to topics and open consumers in groups."""

    backend: str

    @abc.abstractmethod
    def publish(self, records: Iterable[OutgoingRecord]) -> None:
        """Durably append the records; raise BusError if any could not be written."""

    @abc.abstractmethod
    def consumer(
        self, group: str, topics: Sequence[str], *, client_id: str | None = None
    ) -> BusConsumer:
        """Join `group` and subscribe to `topics` (created on first use)."""

    @abc.abstractmethod
    def ping(self) -> None:
        """Raise BusError if the bus cannot be reached (used by /readyz)."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release connections."""


def dead_letter_topic(topic: str) -> str:
    """Where a consumer parks records it could not process after its retries."""
    return f"{topic}.dlq"
