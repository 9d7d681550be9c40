"""Event consumer: validate, apply once (inbox), retry, park what cannot be applied.

For each record: the envelope is parsed and checked against its contract; the handler runs in
one database transaction together with the inbox row (consumer group, event id), so a record
delivered again after a crash is recognised and skipped. Offsets are committed on the bus only
after the database commit. A record that is malformed, breaks its contract, or fails
`max_attempts` times goes to the dead-letter topic and the consumer goes on. A handler that
raises `RetryLater` (a service it needs is down) parks nothing: the pass ends and the batch is
taken again from the last committed offset; so does a database that is away or full
(`alac_kernel.db.storage_refusal`).

A polled batch is applied in one transaction (`handle_batch`), each event in a savepoint of
its own: at 20 events a second, a transaction, an inbox lookup and an outbox ring per event
were most of a consumer's work. A handler wrapped in `Batched` gets a run of consecutive events
at once (analytics' projection reads and writes the facts of a whole run in one go).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from functools import partial

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
from alac_kernel.db import TENANT_KEY, session_scope, storage_refusal, utcnow
from alac_kernel.events import ContractRegistry, ContractViolation, Event
from alac_kernel.events.binding import event_from_record
from alac_kernel.observability import logs
from alac_kernel.observability.metrics import CONSUMER_LAG, EVENTS_CONSUMED

log = logging.getLogger("alac.consumer")

Handler = Callable[[Session, Event], None]
#: Work done for a batch's events before its transaction opens, and undone after it (e.g.
#: fetching the keys of their sealed texts in one request, forgotten after the batch).
Prepare = Callable[[Sequence[Event]], AbstractContextManager[object]]
Checked = tuple[Record, Event, Handler]


class Batched:
    """A handler that applies a run of consecutive events (one tenant) at once, in the order
    given, as it would one by one. Called with one event, it applies that one."""

    def __init__(self, many: Callable[[Session, list[Event]], object]) -> None:
        self.many = many

    def __call__(self, session: Session, event: Event) -> None:
        self.many(session, [event])


def _runs(checked: list[Checked]) -> Iterator[list[Checked]]:
    """Consecutive events of one tenant sharing one Batched handler, together; any other
    event alone."""
    run: list[Checked] = []
    for one in checked:
        if run and not (
            isinstance(one[2], Batched) and one[2] is run[-1][2]
            and one[1].tenantid == run[-1][1].tenantid
        ):  # fmt: skip
            yield run
            run = []
        run.append(one)
    if run:
        yield run


@contextmanager
def _logged_as(event: Event) -> Iterator[None]:
    """Log lines written while applying `event` carry its correlation, event and tenant."""
    tokens = (
        logs.correlation_id.set(event.correlationid),
        logs.event_id.set(event.id),
        logs.tenant_id.set(event.tenantid),
    )
    try:
        yield
    finally:
        logs.tenant_id.reset(tokens[2])
        logs.event_id.reset(tokens[1])
        logs.correlation_id.reset(tokens[0])


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
        prepare: Prepare | None = None,
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
        self.prepare = prepare
        self._consumer: BusConsumer | None = None
        self._polls = 0
        self._busy = False  # the last poll returned records
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
            self.handle_batch(records)
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
        # Every 20 polls, and when the consumer has just caught up (an idle consumer's polls
        # are long: the gauge would keep the last busy figure for minutes).
        if self._polls % 20 == 1 or (self._busy and not records):
            self._report_lag()
        self._busy = bool(records)
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
        """Apply one record in a transaction of its own (with its retries, or parked)."""
        checked = self._check(record)
        if isinstance(checked, str):
            return checked
        event, handler = checked
        with self._prepared([event]):
            return self._apply_alone(record, event, handler)

    def handle_batch(self, records: Sequence[Record]) -> None:
        """Apply a polled batch in one database transaction: one inbox query, one commit and
        one ring of the outbox's doorbell for all, instead of one each. Each event still gets
        its own savepoint (inbox row and effects roll back together), its retries, and the
        dead letters if it keeps failing; if the transaction cannot commit as a whole (another
        member applied one of them meanwhile), every event is applied alone."""
        checked: list[Checked] = []
        for record in records:
            result = self._check(record)
            if not isinstance(result, str):
                checked.append((record, *result))
        if not checked:
            return
        with self._prepared([event for _, event, _ in checked]):
            if len(checked) == 1:
                self._apply_alone(*checked[0])
                return
            try:
                applied, failed = self._apply_together(checked)
            except RetryLater:
                raise
            except Exception as exc:  # noqa: BLE001 - taken again one by one
                if storage_refusal(exc) is not None:
                    raise RetryLater(f"the database refused: {exc}") from exc
                log.warning(
                    "batch not applied as a whole, applying its events one by one: %s", exc,
                    extra={"group": self.group},
                )  # fmt: skip
                for one in checked:
                    self._apply_alone(*one)
                return
        for event, outcome in applied:
            with _logged_as(event):  # each line carries its own event's correlation id
                self._count(event, outcome)
        for record, event, error in failed:
            self._park(record, event.type, f"failed {self.max_attempts} times: {error}")

    # -- checking ---------------------------------------------------------------------------
    def _check(self, record: Record) -> tuple[Event, Handler] | str:
        """(event, handler) to apply, or the outcome of a record there is nothing to apply
        for (parked: malformed or breaking its contract; ignored: a type not handled here)."""
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
        return event, handler

    def _prepared(self, events: Sequence[Event]) -> AbstractContextManager[object]:
        return self.prepare(events) if self.prepare is not None else nullcontext()

    # -- applying ---------------------------------------------------------------------------
    def _attempts(self, event: Event, apply: Callable[[], str]) -> str | Exception:
        """`apply()`'s outcome, tried up to `max_attempts` times; the last error if every
        attempt failed. RetryLater (and a database that is away or full) goes up."""
        last_error: Exception = RuntimeError("no attempt made")
        for attempt in range(1, self.max_attempts + 1):
            try:
                return apply()
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
        return last_error

    def _apply_alone(self, record: Record, event: Event, handler: Handler) -> str:
        with _logged_as(event):
            result = self._attempts(event, lambda: self._apply(event, handler))
            if isinstance(result, Exception):
                return self._park(record, event.type, f"failed {self.max_attempts} times: {result}")
            self._count(event, result)  # its line carries the event's correlation id
        return result

    def _count(self, event: Event, outcome: str) -> None:
        EVENTS_CONSUMED.labels(self.service, self.group, event.type, outcome).inc()
        log.info("event %s", outcome, extra={"type": event.type, "group": self.group})

    def _apply_together(
        self, checked: list[Checked]
    ) -> tuple[list[tuple[Event, str]], list[tuple[Record, Event, Exception]]]:
        """One transaction for the batch: ([(event, outcome)], [(record, event, last error)]
        of the events that failed every attempt, to park once the rest is committed)."""
        applied: list[tuple[Event, str]] = []
        failed: list[tuple[Record, Event, Exception]] = []
        tenant = checked[0][1].tenantid
        with session_scope(self.session_factory, tenant=tenant) as session:
            seen = self._seen(session, [event.id for _, event, _ in checked])
            fresh: list[Checked] = []
            for one in checked:
                if one[1].id in seen:
                    applied.append((one[1], "duplicate"))
                else:
                    seen.add(one[1].id)  # the same event twice in one batch
                    fresh.append(one)
            for run in _runs(fresh):
                run_tenant = run[0][1].tenantid
                if run_tenant != tenant:
                    # Nothing loaded under one tenant's scope is found under another's.
                    session.flush()
                    session.expunge_all()
                    session.info[TENANT_KEY] = tenant = run_tenant
                if len(run) > 1 and self._apply_run(session, run):
                    applied.extend((event, "applied") for _, event, _ in run)
                    continue
                for record, event, handler in run:
                    with _logged_as(event):
                        result = self._attempts(
                            event, partial(self._apply_nested, session, event, handler)
                        )
                    if isinstance(result, Exception):
                        failed.append((record, event, result))
                    else:
                        applied.append((event, result))
        return applied, failed

    def _apply_run(self, session: Session, run: list[Checked]) -> bool:
        """A run of events of one tenant sharing one Batched handler, applied at once in a
        savepoint; False if it failed (then each is applied alone)."""
        handler = run[0][2]
        assert isinstance(handler, Batched)
        events = [event for _, event, _ in run]
        try:
            with session.begin_nested():
                self._record_in_inbox(session, events)
                handler.many(session, events)
        except RetryLater:
            raise
        except Exception as exc:  # noqa: BLE001 - each event is tried alone next
            if storage_refusal(exc) is not None:
                raise RetryLater(f"the database refused: {exc}") from exc
            return False
        return True

    def _apply_nested(self, session: Session, event: Event, handler: Handler) -> str:
        try:
            with session.begin_nested():
                self._record_in_inbox(session, [event])
                handler(session, event)
        except IntegrityError:
            # PostgreSQL: another member applied it after our look into the inbox.
            if self._seen(session, [event.id]):
                return "duplicate"
            raise
        return "applied"

    def _seen(self, session: Session, event_ids: list[str]) -> set[str]:
        inbox = self.inbox
        return set(
            session.execute(
                select(inbox.c.event_id).where(
                    inbox.c.consumer_group == self.group, inbox.c.event_id.in_(event_ids)
                )
            ).scalars()
        )

    def _record_in_inbox(self, session: Session, events: list[Event]) -> None:
        now = utcnow()
        session.execute(
            insert(self.inbox),
            [
                {"consumer_group": self.group, "event_id": e.id, "event_type": e.type,
                 "applied_at": now}
                for e in events
            ],
        )  # fmt: skip

    def _apply(self, event: Event, handler: Handler) -> str:
        try:
            with session_scope(self.session_factory, tenant=event.tenantid) as session:
                if self._seen(session, [event.id]):
                    return "duplicate"
                self._record_in_inbox(session, [event])
                handler(session, event)
        except IntegrityError:
            # Another member of the group applied it between our check and our commit.
            with session_scope(self.session_factory, tenant=event.tenantid) as session:
                if self._seen(session, [event.id]):
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
