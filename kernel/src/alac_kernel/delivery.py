"""Delivery outbox: e-mails a service decided to send, written in the transaction that decided
it, and sent afterwards by a relay with retries, at most once each.

The pattern of the event outbox (alac_kernel.outbox), for mail:

- `add_delivery_table(metadata, name)`: the table shape; each service adds it to its own
  metadata (and its own migration), as it does the kernel's outbox.
- `DeliveryOutbox.enqueue(session, ...)`: one row per message, inside the caller's transaction
  (an event handler's, with its inbox row). `dedupe_key` is unique: the same decision taken
  twice (an event redelivered, a periodic task run again) is one row, so one message.
  `not_before` holds a message back (quiet hours, a digest's hour).
- `DeliveryRelay`: renders a due row into a message (the service's `render(session, row)`,
  in the recipient's language, from data it reads at send time; it returns None when there is
  nothing to send any more), sends it with the kernel mailer, and marks it. The worker runs it
  as a woken task (`alac_kernel.runtime.PeriodicTask` with `wake`): `enqueue` and `retry` ring
  the table's doorbell when their transaction commits, the relay sleeps until then or until
  `next_due_in_s` (a retry's backoff, `not_before`), and looks anyway every
  RELAY_SAFETY_NET_S for a missed ring. Idle, it does nothing.

Never sent twice: a row is claimed (`sending`) in a committed transaction before the server is
called, and only a claimed row is sent. A server failure before it took the message puts the
row back to `pending` with a growing delay (`attempts`, `next_attempt_at`, `last_error`), until
`max_attempts`, then `failed`. A process that dies while sending leaves the row `sending`: after
`sending_lease_s` it is marked `failed` ("interrupted"), not retried, because the server may
have taken it. Failed rows are what the tenant admin sees.

`DeliveryOutbox.retry` sends a failed row again at once ("retry now" in the console), but only
one the server surely did not take: `claimed_at` stays set on a failure whose outcome is
unknown (interrupted, or an unexpected error while sending) and is cleared on every failure the
server answered, so a row with `claimed_at` set is never tried again. A retry is one more
attempt: if it fails, the row is `failed` again.

The row keeps to whom (the service's recipient reference, never an address), which event, and
when it was sent; the log line for each sent message says the same. Bodies are never stored
or logged: they are rendered at send time and forgotten.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any, Protocol, cast

from prometheus_client import Counter
from sqlalchemy import (
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    case,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.engine import CursorResult, Engine
from sqlalchemy.orm import Session, sessionmaker

from alac_kernel.db import UTCDateTime, new_id, session_scope, utcnow
from alac_kernel.doorbell import Doorbell, engine_of, for_engine, ring_after_commit
from alac_kernel.errors import Conflict, NotFound
from alac_kernel.mail import MailUndelivered
from alac_kernel.observability import logs
from alac_kernel.tables import BigIntPK

log = logging.getLogger("alac.mail")

MAIL_SENT = Counter("alac_mail_sent_total", "E-mails the delivery relay sent", ["service", "kind"])
MAIL_FAILURES = Counter(
    "alac_mail_failures_total",
    "Delivery attempts that failed, by outcome (retry, failed)",
    ["service", "outcome"],
)

# The relay's look for a missed ring (a ring is missed only when a process starts listening
# just after it, or a socket buffer is full); an interrupted send is given up this much later.
RELAY_SAFETY_NET_S = 60.0

PENDING, SENDING, SENT, FAILED, CANCELLED = "pending", "sending", "sent", "failed", "cancelled"
STATES = (PENDING, SENDING, SENT, FAILED, CANCELLED)


def add_delivery_table(metadata: MetaData, name: str = "mail_deliveries") -> Table:
    """The delivery outbox's table, added to a service's own metadata."""
    return Table(
        name,
        metadata,
        Column("seq", BigIntPK, primary_key=True, autoincrement=True),
        Column("id", String(36), nullable=False, unique=True),  # → the Message-ID
        Column("tenant_id", String(64), nullable=False),
        # One row per decision: the same key enqueued twice is one message.
        Column("dedupe_key", String(255), nullable=False, unique=True),
        Column("kind", String(64), nullable=False),
        Column("event_id", String(64), nullable=True),  # the event that caused it, if any
        Column("event_type", String(128), nullable=True),
        # The service's reference to the recipient (a staff user id, a complaint id): the
        # address is looked up when rendering and never stored here.
        Column("recipient", String(255), nullable=False),
        Column("language", String(8), nullable=True),  # filled in when rendered
        Column("payload", Text, nullable=False),  # JSON: what render needs, no message body
        Column("state", String(16), nullable=False),
        Column("attempts", Integer, nullable=False, default=0),
        Column("created_at", UTCDateTime, nullable=False),
        Column("not_before", UTCDateTime, nullable=True),
        Column("next_attempt_at", UTCDateTime, nullable=True),
        # Set while sending; kept on a failure whose outcome is unknown (the server may have
        # taken the message), cleared on a failure the server answered: see `retryable`.
        Column("claimed_at", UTCDateTime, nullable=True),
        Column("sent_at", UTCDateTime, nullable=True),
        Column("last_error", Text, nullable=True),
        Index(f"ix_{name}_state_seq", "state", "seq"),
        Index(f"ix_{name}_tenant_state", "tenant_id", "state"),
    )


def delivery_doorbell(engine: Engine, table: Table) -> Doorbell:
    return for_engine(engine, f"alac_{table.name}")


class DeliveryOutbox:
    """Records messages to send into a service's delivery table, in the caller's transaction."""

    def __init__(self, table: Table) -> None:
        self.table = table

    def enqueue(
        self,
        session: Session,
        *,
        tenant_id: str,
        dedupe_key: str,
        kind: str,
        recipient: str,
        payload: Mapping[str, Any],
        event_id: str | None = None,
        event_type: str | None = None,
        not_before: datetime | None = None,
    ) -> str | None:
        """The new delivery's id, or None when `dedupe_key` was already enqueued."""
        t = self.table
        if session.execute(select(t.c.id).where(t.c.dedupe_key == dedupe_key)).first():
            return None
        delivery_id = new_id()
        session.execute(
            insert(t).values(
                id=delivery_id,
                tenant_id=tenant_id,
                dedupe_key=dedupe_key,
                kind=kind,
                event_id=event_id,
                event_type=event_type,
                recipient=recipient,
                payload=json.dumps(dict(payload), sort_keys=True),
                state=PENDING,
                attempts=0,
                created_at=utcnow(),
                not_before=not_before,
            )
        )
        ring_after_commit(session, delivery_doorbell(engine_of(session.get_bind()), t))
        return delivery_id

    def find(self, session: Session, dedupe_key: str) -> Mapping[str, Any] | None:
        """The delivery enqueued under `dedupe_key`, if any (e.g. to add to a pending digest)."""
        t = self.table
        found = session.execute(select(t).where(t.c.dedupe_key == dedupe_key)).mappings().first()
        return cast(Mapping[str, Any] | None, found)  # rows are keyed by column name

    def listing(
        self,
        session: Session,
        *,
        tenant_id: str,
        status: str,
        limit: int = 50,
        before_seq: int | None = None,
    ) -> list[Mapping[str, Any]]:
        """A tenant's deliveries, newest first. `status`: a state, or `failed` meaning every
        delivery whose last attempt failed: given up, or still waiting for its next try."""
        t = self.table
        query = select(t).where(t.c.tenant_id == tenant_id)
        if status == FAILED:
            query = query.where(
                or_(t.c.state == FAILED, (t.c.state == PENDING) & (t.c.last_error.is_not(None)))
            )
        else:
            query = query.where(t.c.state == status)
        if before_seq is not None:
            query = query.where(t.c.seq < before_seq)
        rows = session.execute(query.order_by(t.c.seq.desc()).limit(limit)).mappings()
        return [cast(Mapping[str, Any], row) for row in rows]

    def retry(self, session: Session, *, tenant_id: str, delivery_id: str) -> Mapping[str, Any]:
        """Send a delivery of `tenant_id` at the relay's next pass: a failed one again, or one
        waiting for its next try sooner. The row as it is now; NotFound for a missing or
        another tenant's delivery, Conflict for one that may not be sent (again)."""
        t = self.table
        query = select(t).where(t.c.id == delivery_id, t.c.tenant_id == tenant_id)
        found = cast(Mapping[str, Any] | None, session.execute(query).mappings().first())
        if found is None:
            raise NotFound("Delivery")
        why_not = not_retryable(found)
        if why_not is not None:
            raise Conflict(RETRY_REFUSALS[why_not]["en"], translations=RETRY_REFUSALS[why_not])
        changed = session.execute(
            update(t)
            .where(t.c.id == delivery_id, t.c.state == found["state"], t.c.claimed_at.is_(None))
            .values(state=PENDING, next_attempt_at=None)
        )
        if cast(CursorResult[Any], changed).rowcount != 1:
            raise Conflict(RETRY_REFUSALS["changed"]["en"], translations=RETRY_REFUSALS["changed"])
        ring_after_commit(session, delivery_doorbell(engine_of(session.get_bind()), t))
        row = session.execute(select(t).where(t.c.id == delivery_id)).mappings().one()
        return cast(Mapping[str, Any], row)


# Why a delivery may not be retried by hand, in the console's languages.
RETRY_REFUSALS: dict[str, dict[str, str]] = {
    "not_failed": {
        "en": "Only an e-mail that failed can be sent again; this one did not fail.",
        "ru": "Повторно можно отправить только письмо, которое не удалось доставить; это письмо не из таких.",
        "kk": "Қайта тек жеткізілмеген хатты жіберуге болады; бұл хат олай емес.",
    },
    "unknown_outcome": {
        "en": "Sending was interrupted and the e-mail may have arrived: it is not sent again, "
        "so that no one gets it twice.",
        "ru": "Отправка прервалась, и письмо могло дойти: оно не отправляется повторно, "
        "чтобы никто не получил его дважды.",
        "kk": "Жіберу үзіліп қалды, хат жетуі мүмкін: ешкім оны екі рет алмауы үшін ол қайта "
        "жіберілмейді.",
    },
    "changed": {
        "en": "The e-mail changed meanwhile: reload the page and try again.",
        "ru": "Письмо тем временем изменилось: обновите страницу и попробуйте снова.",
        "kk": "Хат осы уақытта өзгерді: бетті жаңартып, қайталап көріңіз.",
    },
}


def not_retryable(row: Mapping[str, Any]) -> str | None:
    """Why `row` may not be retried by hand (a key of RETRY_REFUSALS), or None when it may:
    it failed (or waits for its next try after a failure) and the server surely did not take
    it."""
    if row["state"] == PENDING and row["last_error"] is not None:
        return None  # waiting for its next try: only brought forward
    if row["state"] != FAILED:
        return "not_failed"
    if row["claimed_at"] is not None:
        return "unknown_outcome"  # interrupted, or an unexpected error: it may have arrived
    return None


class Mailer(Protocol):
    def send(self, message: EmailMessage) -> None: ...


Render = Callable[[Session, Mapping[str, Any]], "EmailMessage | None"]


class DeliveryRelay:
    """Sends due deliveries of one table. Several relays (threads, processes, replicas) may
    run at once: a row is sent only by the one whose claim updated it."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        table: Table,
        mailer: Mailer,
        render: Render,
        *,
        service: str,
        max_attempts: int = 8,
        retry_first_s: float = 30.0,
        max_backoff_s: float = 900.0,
        batch_size: int = 50,
        sending_lease_s: float = 600.0,
        read_session_factory: sessionmaker[Session] | None = None,
    ) -> None:
        self.session_factory = session_factory
        # Looking for due rows only reads: on SQLite a reader's transaction takes no write
        # lock, so a pass that finds nothing costs the service's writers nothing.
        self.reader = read_session_factory or session_factory
        self.table = table
        self.mailer = mailer
        self.render = render
        self.service = service
        self.max_attempts = max_attempts
        self.retry_first_s = retry_first_s
        self.max_backoff_s = max_backoff_s
        self.batch_size = batch_size
        self.sending_lease_s = sending_lease_s
        self.doorbell = delivery_doorbell(session_factory.kw["bind"], table)

    def run_once(self, now: datetime | None = None) -> int:
        """Send what is due at `now`; return how many messages the server took."""
        now = now or utcnow()
        self._give_up_interrupted(now)
        t = self.table
        with session_scope(self.reader, all_tenants=True) as session:
            due = session.execute(
                select(t.c.id, t.c.tenant_id)
                .where(
                    t.c.state == PENDING,
                    or_(t.c.not_before.is_(None), t.c.not_before <= now),
                    or_(t.c.next_attempt_at.is_(None), t.c.next_attempt_at <= now),
                )
                .order_by(t.c.seq)
                .limit(self.batch_size)
            ).all()
        return sum(self._deliver(delivery_id, tenant, now) for delivery_id, tenant in due)

    def next_due_in_s(self, now: datetime | None = None) -> float | None:
        """Seconds until the earliest pending row falls due (0 if one is due), or None: how
        long the worker's task may sleep (alac_kernel.runtime.Wakes)."""
        now = now or utcnow()
        t = self.table
        # A row is due at the later of `not_before` and `next_attempt_at` (either may be
        # empty; both empty: due since it was enqueued).
        due_at = case(
            (t.c.not_before.is_(None), func.coalesce(t.c.next_attempt_at, t.c.created_at)),
            (t.c.next_attempt_at.is_(None), t.c.not_before),
            (t.c.not_before > t.c.next_attempt_at, t.c.not_before),
            else_=t.c.next_attempt_at,
        )
        with session_scope(self.reader, all_tenants=True) as session:
            earliest = session.execute(
                select(func.min(due_at)).where(t.c.state == PENDING)
            ).scalar_one()
        return None if earliest is None else max(0.0, (earliest - now).total_seconds())

    def _deliver(self, delivery_id: str, tenant: str, now: datetime) -> int:
        t = self.table
        row: Mapping[str, Any] = {"id": delivery_id, "attempts": 0}
        try:
            with session_scope(self.session_factory, tenant=tenant) as session:
                found = (
                    session.execute(select(t).where(t.c.id == delivery_id, t.c.state == PENDING))
                    .mappings()
                    .first()
                )
                if found is None:
                    return 0  # another relay took it
                row = cast(Mapping[str, Any], found)
                message = self.render(session, row)
                claim = (
                    update(t)
                    .where(t.c.id == delivery_id, t.c.state == PENDING)
                    .values(
                        state=SENDING if message is not None else CANCELLED,
                        claimed_at=utcnow(),
                        language=message["Content-Language"] if message is not None else None,
                    )
                )
                claimed = cast(CursorResult[Any], session.execute(claim)).rowcount
                if claimed != 1 or message is None:
                    return 0
        except Exception as exc:  # noqa: BLE001 - a row that cannot be rendered is retried
            log.exception("rendering delivery %s failed", delivery_id)
            self._failed(row, exc)
            return 0
        try:
            self.mailer.send(message)
        except MailUndelivered as exc:
            self._failed(row, exc, permanent=exc.permanent)
            return 0
        except Exception as exc:  # noqa: BLE001 - not knowing what happened: never resend
            self._mark(delivery_id, state=FAILED, last_error=f"sending failed: {exc}"[:2000])
            MAIL_FAILURES.labels(self.service, FAILED).inc()
            return 0
        sent_at = utcnow()
        self._mark(delivery_id, state=SENT, sent_at=sent_at, attempts=row["attempts"] + 1)
        MAIL_SENT.labels(self.service, row["kind"]).inc()
        tokens = (logs.tenant_id.set(tenant), logs.event_id.set(row["event_id"]))
        try:
            # The record of every message sent: to whom, for which event, when; never the body.
            log.info(
                "mail sent",
                extra={
                    "delivery": delivery_id,
                    "message_id": message["Message-ID"],
                    "kind": row["kind"],
                    "event_type": row["event_type"],
                    "recipient": row["recipient"],
                    "sent_at": sent_at.isoformat(),
                },
            )
        finally:
            logs.event_id.reset(tokens[1])
            logs.tenant_id.reset(tokens[0])
        return 1

    def _failed(self, row: Mapping[str, Any], exc: Exception, *, permanent: bool = False) -> None:
        attempts = int(row.get("attempts") or 0) + 1
        reason = str(exc)[:2000]
        if permanent or attempts >= self.max_attempts:
            # The server answered (or was never reached): it surely did not take the message,
            # so the claim is cleared and the row may be retried by hand (`retryable`).
            self._mark(
                row["id"], state=FAILED, attempts=attempts, last_error=reason, claimed_at=None
            )
            MAIL_FAILURES.labels(self.service, FAILED).inc()
            log.warning("mail given up after %d attempt(s): %s", attempts, reason)
            return
        delay = min(self.max_backoff_s, self.retry_first_s * 2 ** (attempts - 1))
        self._mark(
            row["id"],
            state=PENDING,
            attempts=attempts,
            last_error=reason,
            next_attempt_at=utcnow() + timedelta(seconds=delay),
            claimed_at=None,
        )
        MAIL_FAILURES.labels(self.service, "retry").inc()
        log.warning("mail not delivered (attempt %d), retry in %.0f s: %s", attempts, delay, reason)

    def _mark(self, delivery_id: str, **values: Any) -> None:
        t = self.table
        with session_scope(self.session_factory, all_tenants=True) as session:
            session.execute(update(t).where(t.c.id == delivery_id).values(**values))

    def _give_up_interrupted(self, now: datetime) -> None:
        t = self.table
        stale = now - timedelta(seconds=self.sending_lease_s)
        with session_scope(self.reader, all_tenants=True) as session:
            interrupted = session.execute(
                select(t.c.id).where(t.c.state == SENDING, t.c.claimed_at < stale).limit(1)
            ).first()
        if interrupted is None:
            return
        with session_scope(self.session_factory, all_tenants=True) as session:
            session.execute(
                update(t)
                .where(t.c.state == SENDING, t.c.claimed_at < stale)
                .values(
                    state=FAILED,
                    last_error="interrupted while sending: not tried again, so it is never sent "
                    "twice; it may or may not have arrived",
                )
            )


def backlog(session: Session, table: Table) -> int:
    """Deliveries not yet sent nor given up."""
    return session.execute(
        select(func.count()).select_from(table).where(table.c.state.in_((PENDING, SENDING)))
    ).scalar_one()


__all__ = [
    "CANCELLED",
    "FAILED",
    "RELAY_SAFETY_NET_S",
    "RETRY_REFUSALS",
    "PENDING",
    "SENDING",
    "SENT",
    "STATES",
    "DeliveryOutbox",
    "DeliveryRelay",
    "Mailer",
    "add_delivery_table",
    "backlog",
    "not_retryable",
]
