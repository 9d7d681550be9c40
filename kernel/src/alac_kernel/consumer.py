"""Event consumer: validate, apply once (inbox), retry, park what cannot be applied.

For each record: the envelope is parsed and checked against its contract; the handler runs in
one database transaction together with the inbox row (consumer group, event id), so a record
delivered again after a crash is recognised and skipped. Offsets are committed on the bus only
after the database commit. A record that is malformed, breaks its contract, or fails
`max_attempts` times goes to the dead-letter topic and the consumer goes on. A handler that
raises `RetryLater` (a service it needs is down) parks nothing: the pass ends and the batch is
taken again from the last committed offset; so does a database that is away or full
(`alac_kernel.db.storage_refusal`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence

from pydantic import ValidationError
from sqlalchemy import Table, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from alac_kernel.bus import (
    BusConsumer,
    CommitRefused,
    EventBus,
    OutgoingRecord,
    Record,
    dead_letter_topic,
)
from alac_kernel.db import session_scope, storage_refusal, utcnow
from alac_kernel.events import ContractRegistry, ContractViolation, Event
from alac_kernel.events.binding import event_from_record
from alac_kernel.observability import logs
from alac_kernel.observability.metrics import CONSUMER_LAG, EVENTS_CONSUMED

log = logging.getLogger("alac.consumer")

Handler = Callable[[Session, Event], None]


class RetryLater(Exception):
    """Not the event's fault (a service the handler needs did not answer): the event is taken
    again later instead of being parked in the dead letters after `max_attempts`."""


class EventConsumer:
    def __init__(
        self,
        *,
        service: str,
        group: str,
        topics: Sequence[str],
        bus: EventBus,
        session_factory: sessionmaker[Session],
        inbox: Table,
        contracts: ContractRegistry,
        handlers: Mapping[str, Handler],
        max_attempts: int = 3,
        batch_size: int = 100,
        poll_timeout_s: float = 0.2,
        retry_delay_s: float = 0.05,
    ) -> None:
        self.service = service
        self.group = group
        self.topics = list(topics)
        self.bus = bus
        self.session_factory = session_factory
        self.inbox = inbox
        self.contracts = contracts
        self.handlers = dict(handlers)
        self.max_attempts = max_attempts
        self.batch_size = batch_size
        self.poll_timeout_s = poll_timeout_s
        self.retry_delay_s = retry_delay_s
        self._consumer: BusConsumer | None = None
        self._polls = 0
        # Dead letters exist, at 0, for every type this group handles: a dashboard reads
        # "none in 24 h" from the series itself (an envelope too malformed to have a type is
        # parked as type "?", which appears with its first).
        for event_type in self.handlers:
            EVENTS_CONSUMED.labels(service, group, event_type, "dead_lettered")

    @property
    def consumer(self) -> BusConsumer:
        if self._consumer is None:
            self._consumer = self.bus.consumer(self.group, self.topics, client_id=self.service)
        return self._consumer

    def run_once(self) -> int:
        """Poll one batch, apply it, commit offsets; return the number of records seen."""
        records = self.consumer.poll(self.batch_size, self.poll_timeout_s)
        try:
            for record in records:
                self.handle(record)
            if records:
                self.consumer.commit(records)
        except CommitRefused as exc:
            # Every record of the batch is applied and in the inbox; only the offsets did not
            # move. Not a failure: rejoin, take the records again, and let the inbox skip them.
            log.warning("offsets not committed, rejoining: %s", exc, extra={"group": self.group})
            self.close()
        except BaseException:
            # The bus consumer's position is already past this batch: polling on with it
            # would skip the uncommitted records, and the next commit would move the offset
            # past them for good. Leave the group; the next pass rejoins from the last commit
            # and the inbox skips whatever was already applied.
            self.close()
            raise
        self._polls += 1
        if self._polls % 20 == 1:
            self._report_lag()
        return len(records)

    def run_forever(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                self.run_once()
            except Exception:  # noqa: BLE001 - keep consuming after a transient failure
                log.exception("consumer pass failed", extra={"group": self.group})
                stop.wait(1.0)

    def close(self) -> None:
        if self._consumer is not None:
            self._consumer.close()
            self._consumer = None

    def handle(self, record: Record) -> str:
        try:
            event = event_from_record(record.value, record.headers, record.key)
        except (ValidationError, ValueError) as exc:
            return self._park(record, "?", f"malformed envelope: {exc}")
        handler = self.handlers.get(event.type)
        if handler is None:
            # Types this group does not care about (or does not know yet) are skipped.
            EVENTS_CONSUMED.labels(self.service, self.group, event.type, "ignored").inc()
            return "ignored"
        try:
            self.contracts.validate(event)
        except ContractViolation as exc:
            return self._park(record, event.type, str(exc))

        tokens = (
            logs.correlation_id.set(event.correlationid),
            logs.event_id.set(event.id),
            logs.tenant_id.set(event.tenantid),
        )
        try:
            last_error: Exception | None = None
            for attempt in range(1, self.max_attempts + 1):
                try:
                    outcome = self._apply(event, handler)
                    EVENTS_CONSUMED.labels(self.service, self.group, event.type, outcome).inc()
                    log.info("event %s", outcome, extra={"type": event.type, "group": self.group})
                    return outcome
                except RetryLater:
                    raise  # run_once leaves the group; the next pass takes the batch again
                except Exception as exc:  # noqa: BLE001 - retried, then parked
                    if storage_refusal(exc) is not None:
                        # The database is away or full: not the event's fault either. Parked,
                        # it would be lost to this read model (`make verify` lost one so, with
                        # PostgreSQL stopped mid-load).
                        raise RetryLater(f"the database refused: {exc}") from exc
                    last_error = exc
                    log.warning(
                        "applying event failed (attempt %d of %d): %s",
                        attempt,
                        self.max_attempts,
                        exc,
                        extra={"type": event.type, "group": self.group},
                    )
                    time.sleep(self.retry_delay_s * attempt)
            return self._park(record, event.type, f"failed {self.max_attempts} times: {last_error}")
        finally:
            logs.tenant_id.reset(tokens[2])
            logs.event_id.reset(tokens[1])
            logs.correlation_id.reset(tokens[0])

    def _apply(self, event: Event, handler: Handler) -> str:
        try:
            with session_scope(self.session_factory, tenant=event.tenantid) as session:
                seen = session.execute(
                    select(self.inbox.c.event_id).where(
                        self.inbox.c.consumer_group == self.group,
                        self.inbox.c.event_id == event.id,
                    )
                ).first()
                if seen:
                    return "duplicate"
                session.execute(
                    insert(self.inbox).values(
                        consumer_group=self.group,
                        event_id=event.id,
                        event_type=event.type,
                        applied_at=utcnow(),
                    )
                )
                handler(session, event)
        except IntegrityError:
            # Another member of the group applied it between our check and our commit.
            with session_scope(self.session_factory, tenant=event.tenantid) as session:
                if session.execute(
                    select(self.inbox.c.event_id).where(
                        self.inbox.c.consumer_group == self.group,
                        self.inbox.c.event_id == event.id,
                    )
                ).first():
                    return "duplicate"
            raise
        return "applied"

    def _park(self, record: Record, event_type: str, reason: str) -> str:
        headers = dict(record.headers)
        headers.update(
            {
                "dlq-reason": reason[:1000],
                "dlq-group": self.group,
                "dlq-original-topic": record.topic,
                "dlq-original-partition": str(record.partition),
                "dlq-original-offset": str(record.offset),
            }
        )
        # If parking fails this raises, the batch is not committed, and the record comes back.
        self.bus.publish(
            [
                OutgoingRecord(
                    topic=dead_letter_topic(record.topic),
                    key=record.key,
                    value=record.value,
                    headers=headers,
                )
            ]
        )
        EVENTS_CONSUMED.labels(self.service, self.group, event_type, "dead_lettered").inc()
        log.error("event parked in the dead letters: %s", reason, extra={"group": self.group})
        return "dead_lettered"

    def _report_lag(self) -> None:
        try:
            for (topic, partition), lag in self.consumer.lag().items():
                CONSUMER_LAG.labels(self.service, self.group, topic, str(partition)).set(lag)
        except Exception:  # noqa: BLE001 - metrics must never stop consumption
            log.debug("lag not available", exc_info=True)
