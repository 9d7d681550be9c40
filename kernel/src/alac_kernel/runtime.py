"""The composition root of one service process: database, bus, contracts, outbox relay and
event consumers, wired from settings. Services declare what they consume; nothing here knows
a service's domain."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Protocol

from sqlalchemy import MetaData, text
from sqlalchemy.orm import Session, sessionmaker

from alac_kernel.bus import EventBus, open_bus
from alac_kernel.consumer import EventConsumer, Handler, Prepare
from alac_kernel.db import make_engine, make_session_factory
from alac_kernel.doorbell import SAFETY_NET_S, Doorbell
from alac_kernel.events import ContractRegistry, default_registry
from alac_kernel.migrations import upgrade
from alac_kernel.outbox import Outbox, OutboxRelay, outbox_doorbell
from alac_kernel.settings import Settings
from alac_kernel.tables import KernelTables
from alac_kernel.tenants.standing import STANDING_EVENTS, TenantStanding
from alac_kernel.threads import name_this_thread

log = logging.getLogger("alac.runtime")


@dataclass(frozen=True)
class ConsumerSpec:
    """One consumer group of a service: which aggregate topics, which handlers per type."""

    group: str
    aggregates: Sequence[str]
    handlers: Mapping[str, Handler]
    # Run for each batch's events before its transaction (alac_kernel.consumer.Prepare).
    prepare: Prepare | None = None


class Wakes(Protocol):
    """Work that waits in a table (e-mails, webhooks to send): a doorbell rung when an item is
    enqueued or brought forward, and the seconds until the earliest item falls due (0: one is
    due now; None: nothing waits)."""

    doorbell: Doorbell

    def next_due_in_s(self) -> float | None: ...


@dataclass(frozen=True)
class PeriodicTask:
    """Work a service's worker does every `interval_s` seconds (e.g. a deadline scheduler).
    `run` gets the runtime; an exception is logged and the task runs again next time.

    With `wake` (work that waits in a table), the pass runs when `wake(runtime)`'s doorbell
    rings or its next item falls due (a retry's backoff, a message held back), and
    `interval_s` is only the safety net for a missed ring: idle, it costs nothing."""

    name: str
    interval_s: float
    run: Callable[[ServiceRuntime], object]
    wake: Callable[[ServiceRuntime], Wakes] | None = None
    # Also a pass as the workers start: what fell due while the service was stopped is found
    # at once, and the first pass (its queries compiled, caches cold: the dearest) is paid at
    # start-up rather than a minute into an idle service.
    at_start: bool = False


# How long a consumer of the embedded log waits in one poll when nothing comes.
IDLE_POLL_S = 30.0

# A woken task that finds work due again at once still pauses this long (it never spins), and
# a failed pass is tried again after SAFETY_NET_S.
WOKEN_MIN_WAIT_S = 0.5


def run_woken(
    name: str,
    run: Callable[[], object],
    wakes: Wakes,
    stop: threading.Event,
    safety_net_s: float,
) -> None:
    """Run `run` at once, then whenever `wakes` rings or says something is due, at the latest
    every `safety_net_s`, until `stop` (whoever sets it rings `wakes.doorbell` too)."""
    bell = wakes.doorbell
    bell.listen()  # rings from other processes count from before the first pass
    while True:
        seen = bell.generation
        if stop.is_set():  # after `seen`: a stop rung since is not slept through
            return
        try:
            run()
            due = wakes.next_due_in_s()
        except Exception:  # noqa: BLE001 - a failed pass is tried again
            log.exception("task %s failed", name)
            due = SAFETY_NET_S
        bell.wait(
            seen, safety_net_s if due is None else min(safety_net_s, max(WOKEN_MIN_WAIT_S, due))
        )


@dataclass
class ServiceRuntime:
    name: str
    settings: Settings
    metadata: MetaData
    tables: KernelTables
    migrations: Path
    consumers: Sequence[ConsumerSpec] = ()
    contracts: ContractRegistry = field(default_factory=default_registry)
    periodic: Sequence[PeriodicTask] = ()

    def __post_init__(self) -> None:
        self.database_url = self.settings.database_url_for(self.name)
        self.engine = make_engine(self.database_url)
        self.session_factory: sessionmaker[Session] = make_session_factory(self.engine)
        self._read_session_factory: sessionmaker[Session] | None = None
        self.outbox = Outbox(self.tables.outbox, self.contracts, self.settings.topic_prefix)
        self._bus: EventBus | None = None
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._event_consumers: list[EventConsumer] = []
        self._doorbells: list[Doorbell] = []  # of the woken tasks, rung to stop them
        # Every service refuses a suspended tenant's live tokens: it keeps the tenants'
        # standing from the registry's events with a consumer group of its own.
        self.standing = TenantStanding(lambda: self.read_session_factory(), self.tables.standing)
        self._standing_consumer = ConsumerSpec(
            group=f"{self.name}-tenant-standing",
            aggregates=["tenant"],
            handlers=dict.fromkeys(STANDING_EVENTS, self.standing.handler()),
        )

    def every_consumer(self) -> list[ConsumerSpec]:
        """The service's own consumer groups and the kernel's (the tenants' standing)."""
        return [*self.consumers, self._standing_consumer]

    @property
    def read_session_factory(self) -> sessionmaker[Session]:
        """Sessions for work that only reads. On SQLite their transactions begin deferred, so
        they neither take nor wait for the write lock (session_factory's BEGIN IMMEDIATE does):
        slow reads done there before a write transaction keep that transaction short. On
        PostgreSQL (and an in-memory SQLite) the same factory as session_factory."""
        if self._read_session_factory is None:
            url = self.engine.url
            if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
                self._read_engine = make_engine(self.database_url, read_only=True)
                self._read_session_factory = make_session_factory(self._read_engine)
            else:
                self._read_session_factory = self.session_factory
        return self._read_session_factory

    @property
    def bus(self) -> EventBus:
        if self._bus is None:
            self._bus = open_bus(self.settings)
        return self._bus

    def migrate(self) -> None:
        upgrade(self.migrations, self.database_url)

    def relay(self) -> OutboxRelay:
        return OutboxRelay(
            self.session_factory,
            self.tables.outbox,
            self.bus,
            service=self.name,
            batch_size=self.settings.relay_batch_size,
            max_backoff_s=self.settings.relay_max_backoff_s,
        )

    def event_consumer(self, spec: ConsumerSpec) -> EventConsumer:
        return EventConsumer(
            service=self.name,
            group=spec.group,
            topics=[self.settings.topic(a) for a in spec.aggregates],
            bus=self.bus,
            session_factory=self.session_factory,
            inbox=self.tables.inbox,
            contracts=self.contracts,
            handlers=spec.handlers,
            max_attempts=self.settings.consumer_max_attempts,
            batch_size=self.settings.consumer_batch_size,
            poll_timeout_s=self._poll_timeout_s(),
            prepare=spec.prepare,
        )

    def _poll_timeout_s(self) -> float:
        # A bus that wakes its consumers (the embedded log's doorbell) can be polled with a
        # long timeout: records still arrive at once, the process's heartbeat renews the
        # leases and looks at the log for a missed ring (alac_kernel.bus.log_heartbeat), and a
        # stopping service interrupts the poll. An idle consumer thread wakes twice a minute.
        configured = self.settings.consumer_poll_timeout_s
        if getattr(self.bus, "doorbell", None) is not None:
            return max(configured, IDLE_POLL_S)
        return configured

    def check_ready(self) -> dict[str, str]:
        """What /readyz reports: each dependency 'ok' or the reason it is not."""
        status: dict[str, str] = {}
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            status["database"] = "ok"
        except Exception as exc:  # noqa: BLE001 - reported, not raised
            status["database"] = f"unreachable: {type(exc).__name__}"
        try:
            self.bus.ping()
            status["bus"] = "ok"
        except Exception as exc:  # noqa: BLE001
            status["bus"] = f"unreachable: {type(exc).__name__}"
        return status

    def start_workers(self) -> None:
        """Run the outbox relay and every consumer group in background threads."""
        self._stop.clear()
        relay = self.relay()
        self._spawn(
            f"{self.name}-relay",
            lambda: relay.run_forever(self._stop, self.settings.relay_interval_s),
        )
        for spec in self.every_consumer():
            consumer = self.event_consumer(spec)
            self._event_consumers.append(consumer)
            self._spawn(
                f"{self.name}-{spec.group}",
                partial(consumer.run_forever, self._stop),
                os_name=spec.group,
            )
        for task in self.periodic:
            if task.wake is None:
                self._spawn(f"{self.name}-{task.name}", partial(self._run_periodic, task))
                continue
            wakes = task.wake(self)
            self._doorbells.append(wakes.doorbell)
            run = partial(task.run, self)
            self._spawn(
                f"{self.name}-{task.name}",
                partial(run_woken, task.name, run, wakes, self._stop, task.interval_s),
            )

    def _run_periodic(self, task: PeriodicTask) -> None:
        first = 0.0 if task.at_start else task.interval_s
        while not self._stop.wait(first):
            first = task.interval_s
            try:
                task.run(self)
            except Exception:  # noqa: BLE001 - a failed pass is retried on the next tick
                log.exception("periodic task %s failed", task.name)

    def _spawn(self, name: str, target: Callable[[], object], os_name: str | None = None) -> None:
        def run() -> None:
            name_this_thread(os_name or name)
            target()

        thread = threading.Thread(target=run, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def stop_workers(self) -> None:
        self._stop.set()
        # Wake the relay and the consumers sleeping on their doorbells, so they see the stop.
        outbox_doorbell(self.engine).ring_local()
        for bell in self._doorbells:
            bell.ring_local()
        if self._bus is not None and hasattr(self._bus, "interrupt"):
            self._bus.interrupt()
        for thread in self._threads:
            thread.join(timeout=10)
        for consumer in self._event_consumers:
            consumer.close()
        self._threads.clear()
        self._event_consumers.clear()
        self._doorbells.clear()

    def close(self) -> None:
        self.stop_workers()
        if self._bus is not None:
            self._bus.close()
            self._bus = None
        self.engine.dispose()
        if getattr(self, "_read_engine", None) is not None:
            self._read_engine.dispose()
