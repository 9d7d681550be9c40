"""The embedded durable log: Kafka's model (topics, partitions, offsets, consumer groups) in
SQL tables, for one machine with no broker to install.

Works on SQLite (WAL; several processes produce and consume one file at once) and PostgreSQL.

- Offsets are allocated by bumping `bus_partitions.next_offset` in the publishing transaction;
  the row lock it takes serialises publishers of one partition until commit, so a reader never
  sees offset n+1 before offset n.
- A consumer group's members share partitions through leases (`bus_leases`) renewed while
  they poll, by one heartbeat per process for all its groups (`alac_kernel.bus.log_heartbeat`);
  a member that stops polling (crash, SIGKILL) loses its leases after `session_timeout_s` and
  the others take them over from the last committed offset.
"""

from __future__ import annotations

import functools
import json
import math
import threading
import time
import uuid
import zlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from types import MappingProxyType

from sqlalchemy import (
    Connection,
    and_,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError

from alac_kernel.bus.base import BusConsumer, BusError, EventBus, OutgoingRecord, Record
from alac_kernel.bus.log_heartbeat import Lease, Member, ProcessHeartbeat
from alac_kernel.bus.log_schema import (
    leases_t,
    members_t,
    metadata,
    offsets_t,
    partitions_t,
    records_t,
    topics_t,
)
from alac_kernel.db import make_engine, utcnow
from alac_kernel.doorbell import SAFETY_NET_S, for_engine


@functools.lru_cache(maxsize=256)
def _headers(text: str) -> Mapping[str, str]:
    """A record's headers, read-only. Records mostly carry the same few (the content type),
    so each text is decoded once rather than once per record (a rebuild reads millions)."""
    return MappingProxyType(json.loads(text))


#: One page of a partition's records, by offset (topic and partition are the caller's).
_PAGE = select(
    records_t.c.offset,
    records_t.c.key,
    records_t.c.headers,
    records_t.c.value,
    records_t.c.timestamp_ms,
).order_by(records_t.c.offset)


def partition_for(key: str | None, partitions: int) -> int:
    if key is None:
        return int(time.monotonic_ns()) % partitions
    # crc32 is stable across processes and Python versions (hash() is salted per process).
    return zlib.crc32(key.encode()) % partitions


class LogBus(EventBus):
    backend = "log"

    def __init__(self, url: str, partitions: int = 4, *, session_timeout_s: float = 10.0) -> None:
        self.url = url
        self.partitions = partitions
        # Kafka's session timeout of the production profile (bus/kafka.py): a member that
        # stops (SIGKILL) hands its partitions over within 10 s; a member renews its leases
        # three times per timeout. Idle, the renewal is the log's only work (the doorbell
        # wakes consumers for records), so one heartbeat renews every group of the process.
        self.session_timeout_s = session_timeout_s
        self.heartbeat_s = session_timeout_s / 3
        self.heartbeat = ProcessHeartbeat(self)
        self._known_topics: dict[str, int] = {}
        self._lock = threading.Lock()
        try:
            self.writer = make_engine(url)
            self.reader = make_engine(url, read_only=True)
            self._create_schema()
            # Consumers sleep until a publisher rings (alac_kernel.doorbell).
            self.doorbell = for_engine(self.writer, "alac_bus")
            self.interrupts = 0
        except (SQLAlchemyError, OSError) as exc:
            raise BusError(f"log database unreachable: {exc}") from exc

    def _create_schema(self) -> None:
        # The log is infrastructure with a fixed layout; create_all is idempotent and lets
        # several processes start against one fresh file.
        try:
            metadata.create_all(self.writer)
        except (OperationalError, IntegrityError):
            metadata.create_all(self.writer)  # another process won the race; tables exist now

    def _ensure_topics(self, conn: Connection, topics: Iterable[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        for topic in set(topics):
            if topic in self._known_topics:
                found[topic] = self._known_topics[topic]
                continue
            row = conn.execute(
                select(topics_t.c.partitions).where(topics_t.c.topic == topic)
            ).first()
            if row is None:
                conn.execute(insert(topics_t).values(topic=topic, partitions=self.partitions))
                conn.execute(
                    insert(partitions_t),
                    [
                        {"topic": topic, "partition": p, "next_offset": 0}
                        for p in range(self.partitions)
                    ],
                )
                count = self.partitions
            else:
                count = row[0]
            found[topic] = count
        return found

    def _remember(self, topics: dict[str, int]) -> None:
        with self._lock:
            self._known_topics.update(topics)

    def ensure_topics(self, topics: Iterable[str]) -> dict[str, int]:
        for attempt in range(5):
            try:
                with self.writer.begin() as conn:
                    found = self._ensure_topics(conn, topics)
                self._remember(found)
                return found
            except IntegrityError:
                if attempt == 4:
                    raise
                time.sleep(0.05)  # another process created the same topic at the same moment
        raise AssertionError("unreachable")

    def publish(self, records: Iterable[OutgoingRecord]) -> None:
        batch = list(records)
        if not batch:
            return
        self.ensure_topics(r.topic for r in batch)
        written = {r.topic for r in batch}
        try:
            with self.writer.begin() as conn:
                by_partition: dict[tuple[str, int], list[OutgoingRecord]] = {}
                for record in batch:
                    p = partition_for(record.key, self._known_topics[record.topic])
                    by_partition.setdefault((record.topic, p), []).append(record)
                now_ms = int(time.time() * 1000)
                rows = []
                for (topic, p), recs in sorted(by_partition.items()):
                    end = conn.execute(
                        update(partitions_t)
                        .where(partitions_t.c.topic == topic, partitions_t.c.partition == p)
                        .values(next_offset=partitions_t.c.next_offset + len(recs))
                        .returning(partitions_t.c.next_offset)
                    ).scalar_one()
                    first = end - len(recs)
                    for i, rec in enumerate(recs):
                        rows.append(
                            {
                                "topic": topic,
                                "partition": p,
                                "offset": first + i,
                                "key": rec.key,
                                "headers": json.dumps(dict(rec.headers), ensure_ascii=False),
                                "value": bytes(rec.value),
                                "timestamp_ms": now_ms,
                            }
                        )
                conn.execute(insert(records_t), rows)
                self.doorbell.ring_in(conn, written)
        except SQLAlchemyError as exc:
            raise BusError(f"could not append to the log: {exc}") from exc
        # Only the consumers of these topics wake (not every consumer of every service).
        self.doorbell.ring(written)

    def interrupt(self) -> None:
        """Make every poll of this bus in the process return now (a service stopping)."""
        self.interrupts += 1
        self.doorbell.ring_local()

    def consumer(
        self, group: str, topics: Sequence[str], *, client_id: str | None = None
    ) -> BusConsumer:
        self.ensure_topics(topics)
        return LogConsumer(self, group, list(topics), client_id=client_id)

    def ping(self) -> None:
        try:
            with self.reader.connect() as conn:
                conn.execute(text("SELECT 1"))
        except SQLAlchemyError as exc:
            raise BusError(f"log database unreachable: {exc}") from exc

    def close(self) -> None:
        self.heartbeat.stop()
        self.writer.dispose()
        self.reader.dispose()


class LogConsumer(BusConsumer):
    def __init__(
        self, bus: LogBus, group: str, topics: list[str], *, client_id: str | None
    ) -> None:
        self.bus = bus
        self.group = group
        self.topics = topics
        self.member_id = f"{client_id or 'member'}-{uuid.uuid4().hex[:12]}"
        self._held: set[tuple[str, int]] = set()
        self._position: dict[tuple[str, int], int] = {}
        self._last_heartbeat = 0.0
        self._closed = False
        # Polling now, or when the last poll returned: the process's heartbeat renews a member
        # only while it polls (a member whose thread is stuck loses its leases, as in Kafka).
        self._polling = False
        self._left_poll = 0.0
        # What a poll waits for: a ring for its topics, or the heartbeat asking it to rebalance.
        self._wake_names = [*topics, f"\0rebalance {self.member_id}"]
        # The topics' partitions (fixed once a topic exists), known after the first rebalance;
        # and the statements of `_renew`, built once (it runs every heartbeat).
        self._partitions: list[tuple[str, int]] | None = None
        # (doorbell generation, partitions, when) of the last look that found nothing.
        self._empty_look: tuple[int, frozenset[tuple[str, int]], float] | None = None
        in_group = leases_t.c.group_id == group
        self._members_q = select(members_t.c.member_id, members_t.c.heartbeat_at).where(
            members_t.c.group_id == group
        )
        self._leases_q = select(
            leases_t.c.topic, leases_t.c.partition, leases_t.c.member_id, leases_t.c.expires_at
        ).where(in_group, leases_t.c.topic.in_(topics))
        self._beat_q = (
            update(members_t)
            .where(members_t.c.group_id == group, members_t.c.member_id == self.member_id)
            .values(heartbeat_at=bindparam("now"))
        )
        self._renew_q = (
            update(leases_t)
            .where(
                in_group,
                leases_t.c.topic.in_(topics),
                leases_t.c.member_id == self.member_id,
                leases_t.c.expires_at > bindparam("now"),
            )
            .values(expires_at=bindparam("expires"))
        )

    # -- membership -------------------------------------------------------------------------
    def _rebalance(self) -> None:
        """Renew this member's leases and take its fair share of free or expired partitions."""
        ttl = timedelta(seconds=self.bus.session_timeout_s)
        now = utcnow()
        live_since = now - ttl
        with self.bus.writer.begin() as conn:
            upd = conn.execute(
                update(members_t)
                .where(members_t.c.group_id == self.group, members_t.c.member_id == self.member_id)
                .values(heartbeat_at=now)
            )
            if upd.rowcount == 0:
                conn.execute(
                    insert(members_t).values(
                        group_id=self.group, member_id=self.member_id, heartbeat_at=now
                    )
                )
            conn.execute(
                delete(members_t).where(
                    members_t.c.group_id == self.group, members_t.c.heartbeat_at < live_since
                )
            )
            live = conn.execute(
                select(func.count())
                .select_from(members_t)
                .where(members_t.c.group_id == self.group)
            ).scalar_one()
            all_parts = [
                (t, p)
                for t, p in conn.execute(
                    select(partitions_t.c.topic, partitions_t.c.partition)
                    .where(partitions_t.c.topic.in_(self.topics))
                    .order_by(partitions_t.c.topic, partitions_t.c.partition)
                )
            ]
            share = math.ceil(len(all_parts) / max(1, live))
            leases = {
                (r.topic, r.partition): r
                for r in conn.execute(
                    select(leases_t).where(
                        leases_t.c.group_id == self.group, leases_t.c.topic.in_(self.topics)
                    )
                )
            }
            mine = sorted(
                k for k, r in leases.items() if r.member_id == self.member_id and r.expires_at > now
            )
            # Give back what is over the fair share, so a new member gets work promptly.
            for key in mine[share:]:
                conn.execute(
                    delete(leases_t).where(
                        leases_t.c.group_id == self.group,
                        leases_t.c.topic == key[0],
                        leases_t.c.partition == key[1],
                        leases_t.c.member_id == self.member_id,
                    )
                )
            mine = mine[:share]
            expires = now + ttl
            if mine:
                conn.execute(
                    update(leases_t)
                    .where(
                        leases_t.c.group_id == self.group,
                        leases_t.c.member_id == self.member_id,
                        or_(
                            *[
                                and_(leases_t.c.topic == t, leases_t.c.partition == p)
                                for t, p in mine
                            ]
                        ),
                    )
                    .values(expires_at=expires)
                )
            for key in all_parts:
                if len(mine) >= share:
                    break
                if key in mine:
                    continue
                lease = leases.get(key)
                if lease is None:
                    conn.execute(
                        insert(leases_t).values(
                            group_id=self.group,
                            topic=key[0],
                            partition=key[1],
                            member_id=self.member_id,
                            expires_at=expires,
                        )
                    )
                    mine.append(key)
                elif lease.expires_at <= now:
                    taken = conn.execute(
                        update(leases_t)
                        .where(
                            leases_t.c.group_id == self.group,
                            leases_t.c.topic == key[0],
                            leases_t.c.partition == key[1],
                            leases_t.c.expires_at <= now,
                        )
                        .values(member_id=self.member_id, expires_at=expires)
                    ).rowcount
                    if taken:
                        mine.append(key)
        self._partitions = all_parts
        new_held = set(mine)
        for lost in self._held - new_held:
            self._position.pop(lost, None)
        self._held = new_held
        self._last_heartbeat = time.monotonic()
        self.bus.heartbeat.join(self)

    # -- the process's heartbeat (alac_kernel.bus.log_heartbeat) ----------------------------
    @property
    def held(self) -> set[tuple[str, int]]:
        return self._held

    def beats_here(self, now: float) -> bool:
        """The process's heartbeat renews this member: balanced once, open, and polling or
        back from its last poll for less than a heartbeat (applying a batch)."""
        return (
            self._partitions is not None
            and not self._closed
            and (self._polling or now - self._left_poll < self.bus.heartbeat_s)
        )

    def looked(self, ends: Mapping[tuple[str, int], int], rung: int, when: float) -> None:
        """The process's heartbeat read the ends of the log (`ends`) at `when`, with `rung`
        rings counted for this member's topics before: wake the member if a partition it holds
        has records it has not read (a ring was missed); else its last look that found nothing
        holds until `when`, so that it need not read the log itself (`_nothing_new`)."""
        last = self._empty_look
        held, position = frozenset(self._held), dict(self._position)
        if any(key not in position for key in held):
            return  # it has not looked since it took these partitions: it will
        if any(ends.get(key, 0) > position[key] for key in held):
            self._empty_look = None
            self.bus.doorbell.ring_local(self._wake_names[:-1])
        elif last is not None and last[0] == rung and last[1] == held and last[2] < when:
            self._empty_look = (rung, held, when)

    def renewed_at(self, when: float) -> None:
        self._last_heartbeat = when

    def rebalance_soon(self) -> None:
        """Something changed in the group: rebalance at once (wakes the poll waiting)."""
        self._last_heartbeat = 0.0
        self.bus.doorbell.ring_local(self._wake_names[-1:])

    def steady(self, members: Sequence[Member], leases: Sequence[Lease], now: datetime) -> bool:
        """Nothing changed for this member in its group (`members`, and the `leases` of its
        topics, as read now): no member joined, left or died, no lease of its slipped away,
        it holds no more than its fair share, and no free or expired partition waits for it.
        Then renewing its heartbeat and its leases is all there is to do."""
        if self._partitions is None:
            return False  # never balanced yet
        ttl = timedelta(seconds=self.bus.session_timeout_s)
        if not any(m.member_id == self.member_id for m in members) or any(
            m.heartbeat_at < now - ttl for m in members
        ):
            return False  # this member was dropped, or a dead one is to be dropped
        share = math.ceil(len(self._partitions) / len(members))
        live = [lease for lease in leases if lease.expires_at > now]
        mine = {
            (lease.topic, lease.partition) for lease in live if lease.member_id == self.member_id
        }
        if mine != self._held or len(mine) > share:
            return False  # a lease lost, or more than the fair share since a member joined
        return not (len(mine) < share and len(live) < len(self._partitions))

    def _renew(self) -> bool:
        """The heartbeat of a group where nothing changed, for a fraction of `_rebalance`'s
        cost (idle, heartbeats are the log's only work): the group is read without the write
        lock, and only if no member joined, left or died and no partition waits for this
        member is anything written: its heartbeat and its leases' expiry, two UPDATEs. False
        when something changed (or a lease slipped away meanwhile): then `_rebalance` runs."""
        if self._partitions is None:
            return False  # never balanced yet
        now = utcnow()
        ttl = timedelta(seconds=self.bus.session_timeout_s)
        with self.bus.reader.connect() as conn:
            members = [Member(*row) for row in conn.execute(self._members_q)]
            leases = [Lease(*row) for row in conn.execute(self._leases_q)]
        if not self.steady(members, leases, now):
            return False
        mine = self._held
        with self.bus.writer.begin() as conn:
            beat = conn.execute(self._beat_q, {"now": now}).rowcount
            renewed = conn.execute(self._renew_q, {"now": now, "expires": now + ttl}).rowcount
        if beat != 1 or renewed != len(mine):
            return False
        self._last_heartbeat = time.monotonic()
        return True

    def _beat_due_in(self) -> float:
        """Seconds until this member renews its leases itself: two heartbeats after the last
        renewal, which the process's heartbeat makes every one while the member polls (so
        only when it is late or stopped, or the member was applying a batch meanwhile); the
        leases last three."""
        return self._last_heartbeat + 2 * self.bus.heartbeat_s - time.monotonic()

    def _maybe_rebalance(self) -> None:
        if self._beat_due_in() > 0 and self._held:
            return
        with self.bus.heartbeat.lock:
            if self._closed:
                return
            try:
                if not self._renew():
                    self._rebalance()
            except IntegrityError:
                # Two members claimed the same free partition at once; the loser retries later.
                self._last_heartbeat = 0.0

    # -- reading ----------------------------------------------------------------------------
    def _nothing_new(self) -> bool:
        """The last look found nothing and nothing can have changed since: no ring, the same
        partitions, under SAFETY_NET_S ago (the look for a missed ring). An idle consumer
        wakes for its heartbeats and at each poll's ends without reading the log each time."""
        last = self._empty_look
        return (
            last is not None
            and last[0] == self.bus.doorbell.generation_for(self.topics)
            and last[1] == self._held
            and all(key in self._position for key in self._held)
            and time.monotonic() - last[2] < SAFETY_NET_S
        )

    def _fetch(self, max_records: int) -> list[Record]:
        if self._nothing_new():
            return []
        looked = (
            self.bus.doorbell.generation_for(self.topics),
            frozenset(self._held),
            time.monotonic(),
        )
        out: list[Record] = []
        with self.bus.reader.connect() as conn:
            missing = [k for k in self._held if k not in self._position]
            if missing:
                committed = {
                    (r.topic, r.partition): r.committed
                    for r in conn.execute(
                        select(offsets_t).where(
                            offsets_t.c.group_id == self.group, offsets_t.c.topic.in_(self.topics)
                        )
                    )
                }
                for key in missing:
                    self._position[key] = committed.get(key, 0)
            # Each held partition gets a share of `max_records` in proportion to what it has
            # left to read (ends come from bus_partitions, bumped in the publishing
            # transaction), as a Kafka fetch returns records of every assigned partition: a
            # busy partition does not starve the others, and a consumer far behind (a rebuild
            # from offset 0) goes through all its topics' history at the same pace.
            ends = {
                (r.topic, r.partition): r.next_offset
                for r in conn.execute(
                    select(partitions_t).where(partitions_t.c.topic.in_(self.topics))
                )
            }
            backlog = {
                key: max(0, ends.get(key, 0) - self._position[key]) for key in sorted(self._held)
            }
            total = sum(backlog.values())
            for key, left in backlog.items():
                room = max_records - len(out)
                if room <= 0:
                    break
                if left == 0:
                    continue
                topic, partition = key
                rows = conn.execute(
                    _PAGE.where(
                        records_t.c.topic == topic,
                        records_t.c.partition == partition,
                        records_t.c.offset >= self._position[key],
                    ).limit(min(room, -(-max_records * left // total)))
                ).all()
                # Plain tuples unpacked by position: a rebuild reads every record of the log.
                append = out.append
                for offset, record_key, headers, value, timestamp_ms in rows:
                    append(
                        Record(
                            topic,
                            partition,
                            offset,
                            record_key,
                            value if type(value) is bytes else bytes(value),
                            _headers(headers),
                            timestamp_ms,
                        )
                    )
                if rows:
                    self._position[key] = rows[-1][0] + 1
        self._empty_look = None if out else looked
        return out

    def poll(self, max_records: int = 100, timeout_s: float = 1.0) -> list[Record]:
        if self._closed:
            raise BusError("consumer is closed")
        deadline = time.monotonic() + timeout_s
        interrupts = self.bus.interrupts
        bell = self.bus.doorbell
        self._polling = True
        try:
            while True:
                self._maybe_rebalance()
                seen = bell.generation_for(self._wake_names)
                records = self._fetch(max_records)
                left = deadline - time.monotonic()
                if records or left <= 0 or self.bus.interrupts != interrupts:
                    return records
                # Sleep until a publisher rings or the heartbeat asks for a rebalance, waking
                # to renew the leases itself only if the process's heartbeat is late.
                bell.wait(seen, min(left, max(0.0, self._beat_due_in())), self._wake_names)
        except SQLAlchemyError as exc:
            raise BusError(f"log read failed: {exc}") from exc
        finally:
            self._polling = False
            self._left_poll = time.monotonic()

    def commit(self, records: Sequence[Record]) -> None:
        upto: dict[tuple[str, int], int] = {}
        for r in records:
            key = (r.topic, r.partition)
            upto[key] = max(upto.get(key, -1), r.offset + 1)
        if not upto:
            return
        try:
            with self.bus.writer.begin() as conn:
                for (topic, partition), offset in upto.items():
                    where = (
                        offsets_t.c.group_id == self.group,
                        offsets_t.c.topic == topic,
                        offsets_t.c.partition == partition,
                    )
                    row = conn.execute(select(offsets_t.c.committed).where(*where)).first()
                    if row is None:
                        conn.execute(
                            insert(offsets_t).values(
                                group_id=self.group,
                                topic=topic,
                                partition=partition,
                                committed=offset,
                            )
                        )
                    elif row[0] < offset:
                        conn.execute(update(offsets_t).where(*where).values(committed=offset))
        except SQLAlchemyError as exc:
            raise BusError(f"offset commit failed: {exc}") from exc

    def lag(self) -> dict[tuple[str, int], int]:
        with self.bus.reader.connect() as conn:
            ends = {
                (r.topic, r.partition): r.next_offset
                for r in conn.execute(
                    select(partitions_t).where(partitions_t.c.topic.in_(self.topics))
                )
            }
            committed = {
                (r.topic, r.partition): r.committed
                for r in conn.execute(
                    select(offsets_t).where(
                        offsets_t.c.group_id == self.group, offsets_t.c.topic.in_(self.topics)
                    )
                )
            }
        return {k: ends.get(k, 0) - committed.get(k, 0) for k in sorted(self._held)}

    def close(self) -> None:
        if self._closed:
            return
        with self.bus.heartbeat.lock:
            self._closed = True
            self.bus.heartbeat.leave(self)
        try:
            with self.bus.writer.begin() as conn:
                conn.execute(
                    delete(leases_t).where(
                        leases_t.c.group_id == self.group, leases_t.c.member_id == self.member_id
                    )
                )
                conn.execute(
                    delete(members_t).where(
                        members_t.c.group_id == self.group, members_t.c.member_id == self.member_id
                    )
                )
        except SQLAlchemyError:
            pass  # leases expire on their own
