"""One membership heartbeat per process for every consumer group it runs on the embedded log.

Idle, renewing leases is the log's only work. A service runs several consumer groups (cases
five, the platform sixteen); when each group renewed its own leases every heartbeat, each paid
a read, a write transaction and the WAL checkpoint after it: together most of what an idle
platform cost. Here one thread per process (per `LogBus`) reads every group's members and
leases in one read, and renews the heartbeat and leases of every group where nothing changed
in one write transaction (two UPDATEs, whatever the number of groups).

What the heartbeat does not do, the member does itself, as before (`LogConsumer._rebalance`):
a join, a leave, a death, a free partition to take or one to give back. The heartbeat wakes
that member (a ring of its own name on the log's doorbell) instead.

The heartbeat also looks at the log for every member (one read of `bus_partitions`), the
safety net for a ring missed: a member that has records to read is woken; one that has none
need not look itself (each member read the log every 5 s when idle).

Failover is unchanged: a member is renewed only while it polls, or for one heartbeat after
its last poll returned (it is applying a batch). A member whose thread stopped polling, or
whose process died, is renewed by nobody and loses its leases after the session timeout, as
a Kafka member does.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, NamedTuple

from sqlalchemy import BindParameter, bindparam, select, update

from alac_kernel.bus.log_schema import leases_t, members_t, partitions_t
from alac_kernel.db import utcnow
from alac_kernel.threads import start_daemon

if TYPE_CHECKING:
    from alac_kernel.bus.log import LogBus, LogConsumer

log = logging.getLogger("alac.bus.heartbeat")

# Built once (building a statement with IN lists each beat cost more than running it).
_GROUPS: BindParameter[list[str]] = bindparam("groups", expanding=True)
_IDS: BindParameter[list[str]] = bindparam("ids", expanding=True)
_MEMBERS_Q = select(members_t.c.group_id, members_t.c.member_id, members_t.c.heartbeat_at).where(
    members_t.c.group_id.in_(_GROUPS)
)
_LEASES_Q = select(
    leases_t.c.group_id,
    leases_t.c.topic,
    leases_t.c.partition,
    leases_t.c.member_id,
    leases_t.c.expires_at,
).where(leases_t.c.group_id.in_(_GROUPS))
_ENDS_Q = select(partitions_t.c.topic, partitions_t.c.partition, partitions_t.c.next_offset).where(
    partitions_t.c.topic.in_(bindparam("topics", expanding=True))
)
_BEAT_Q = (
    update(members_t)
    .where(members_t.c.group_id.in_(_GROUPS), members_t.c.member_id.in_(_IDS))
    .values(heartbeat_at=bindparam("now"))
    .returning(members_t.c.member_id)
)
_RENEW_Q = (
    update(leases_t)
    .where(
        leases_t.c.group_id.in_(_GROUPS),
        leases_t.c.member_id.in_(_IDS),
        leases_t.c.expires_at > bindparam("now"),
    )
    .values(expires_at=bindparam("expires"))
    .returning(leases_t.c.member_id, leases_t.c.topic, leases_t.c.partition)
)


class Member(NamedTuple):
    member_id: str
    heartbeat_at: datetime


class Lease(NamedTuple):
    topic: str
    partition: int
    member_id: str
    expires_at: datetime


class ProcessHeartbeat:
    """The heartbeat of every `LogConsumer` of one `LogBus`. `lock` is also held by a member
    rebalancing itself, so that the heartbeat never renews a member halfway through."""

    def __init__(self, bus: LogBus) -> None:
        self.bus = bus
        self.lock = threading.RLock()  # a member rebalancing under it joins
        self._members: set[LogConsumer] = set()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def join(self, member: LogConsumer) -> None:
        """Beat for `member` from now on (after its first rebalance)."""
        with self.lock:
            self._members.add(member)
            if self._thread is None and not self._stop.is_set():
                self._thread = start_daemon("bus-heartbeat", self._run)

    def leave(self, member: LogConsumer) -> None:
        self._members.discard(member)  # the caller holds `lock`

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(self.bus.heartbeat_s):
            try:
                self.beat()
            except Exception as exc:  # noqa: BLE001 - the thread must go on beating
                # The members renew themselves and look at the log when the heartbeat is late.
                log.info("membership heartbeat failed: %s", exc)

    def beat(self) -> int:
        """Renew every member that is polling and whose group did not change, in one read and
        one write transaction; wake the others to rebalance, and those with records to read.
        The number renewed."""
        with self.lock:
            started = time.monotonic()
            due = [m for m in self._members if m.beats_here(started)]
            if not due:
                return 0
            now = utcnow()
            groups = sorted({m.group for m in due})
            members: dict[str, list[Member]] = defaultdict(list)
            leases: dict[str, list[Lease]] = defaultdict(list)
            topics = sorted({t for m in due for t in m.topics})
            # The rings counted before the look: one after it is the member's own to see.
            rung = {m: self.bus.doorbell.generation_for(m.topics) for m in due}
            with self.bus.reader.connect() as conn:
                for g, member_id, at in conn.execute(_MEMBERS_Q, {"groups": groups}):
                    members[g].append(Member(member_id, at))
                for g, *lease in conn.execute(_LEASES_Q, {"groups": groups}):
                    leases[g].append(Lease(*lease))
                ends = {(t, p): end for t, p, end in conn.execute(_ENDS_Q, {"topics": topics})}
            for member in due:
                member.looked(ends, rung[member], started)
            steady = []
            for member in due:
                its_leases = [
                    lease for lease in leases[member.group] if lease.topic in member.topics
                ]
                if member.steady(members[member.group], its_leases, now):
                    steady.append(member)
                else:
                    member.rebalance_soon()
            if steady:
                self._renew(steady, groups, now, started)
            return len(steady)

    def _renew(
        self, steady: Sequence[LogConsumer], groups: list[str], now: datetime, started: float
    ) -> None:
        ids = [m.member_id for m in steady]
        expires = now + timedelta(seconds=self.bus.session_timeout_s)
        renewed: dict[str, set[tuple[str, int]]] = defaultdict(set)
        which = {"groups": groups, "ids": ids, "now": now}
        with self.bus.writer.begin() as conn:
            beat = set(conn.execute(_BEAT_Q, which).scalars())
            for member_id, topic, partition in conn.execute(
                _RENEW_Q, {**which, "expires": expires}
            ):
                renewed[member_id].add((topic, partition))
        for member in steady:
            if member.member_id in beat and renewed[member.member_id] == member.held:
                member.renewed_at(started)
            else:
                member.rebalance_soon()  # dropped meanwhile, or a lease slipped away
