"""Rebuild the read model from the first event on the bus.

A fresh consumer group reads every complaint and case topic from offset zero into fresh
tables (`*_rebuild`), then one transaction swaps their content into the live tables. The live
consumer may keep running meanwhile: the projection is idempotent by aggregate version, so an
event applied by both groups counts once. After the swap the rebuild group reads once more up
to the end of the log and applies what arrived during the swap to the live tables, so nothing
the live consumer applied to the old tables in that window is lost.

Events are applied in batches (one transaction per poll) without inbox rows: the version
columns already make a second application harmless, and the rebuild rate is what matters.
The first pass writes the facts only and sums their counts in memory (`tally.Tally`), rather
than upserting every batch's count differences as the live projection does.
"""

from __future__ import annotations

import contextlib
import gc
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Column, MetaData, Table, delete, insert, select, text
from sqlalchemy.orm import Session

from alac_analytics.models import ComplaintFact, DailyCount, MonthlyCount, PairCount
from alac_analytics.projections import LIVE, Projection
from alac_analytics.projections.dimensions import cells, contributions, pairs
from alac_analytics.projections.tally import Tally
from alac_kernel.bus import BusConsumer
from alac_kernel.db import session_scope
from alac_kernel.events.view import EventLike, view_from_record
from alac_kernel.runtime import ServiceRuntime
from alac_kernel.tables import table_of

LIVE_TABLES: tuple[Table, ...] = (
    table_of(ComplaintFact),
    table_of(DailyCount),
    table_of(MonthlyCount),
    table_of(PairCount),
)
AGGREGATES = ("complaint", "case")
#: Records per poll and per transaction: large pages (5,000 cost ~5 % more CPU per event).
BATCH = 20_000


@dataclass(frozen=True)
class RebuildResult:
    group: str
    events: int  # records read from the log
    applied: int  # records of a type the projection handles
    facts: int
    seconds: float

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else float("inf")


def shadow(table: Table, metadata: MetaData) -> Table:
    """An empty copy of `table` named `<name>_rebuild` (columns and primary key only)."""
    columns = [
        Column(c.name, c.type, primary_key=c.primary_key, nullable=c.nullable)
        for c in table.columns
    ]
    return Table(f"{table.name}_rebuild", metadata, *columns)


def rebuild(
    runtime: ServiceRuntime, *, batch_size: int = BATCH, idle_polls: int = 3
) -> RebuildResult:
    with _gc_frozen():
        return _rebuild(runtime, batch_size=batch_size, idle_polls=idle_polls)


@contextlib.contextmanager
def _gc_frozen() -> Iterator[None]:
    """Move every object alive now (the app, its modules and caches) out of the garbage
    collector's reach for the rebuild: the collections that the batches' allocations trigger
    then scan only the batches' own objects instead of the whole process again and again
    (a fifth of the rebuild's CPU time). Nothing is leaked: unfrozen at the end."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _rebuild(runtime: ServiceRuntime, *, batch_size: int, idle_polls: int) -> RebuildResult:
    started = time.perf_counter()
    metadata = MetaData()
    fresh_tables = [shadow(t, metadata) for t in LIVE_TABLES]
    metadata.drop_all(runtime.engine)
    metadata.create_all(runtime.engine)
    group = f"analytics-rebuild-{uuid.uuid4().hex[:12]}"
    topics = [runtime.settings.topic(a) for a in AGGREGATES]
    consumer = runtime.bus.consumer(group, topics, client_id="analytics-rebuild")
    try:
        rebuilt = Projection(*fresh_tables)
        tally = Tally(rebuilt)
        events, applied = _drain(
            runtime, consumer, rebuilt, batch_size, idle_polls, analyze=True, tally=tally
        )
        with runtime.engine.begin() as connection:
            tally.finish(connection)
        with session_scope(runtime.session_factory, all_tenants=True) as session:
            for live, fresh in zip(LIVE_TABLES, fresh_tables, strict=True):
                session.execute(delete(live))
                session.execute(insert(live).from_select(list(fresh.c.keys()), select(fresh)))
            facts = session.execute(select(ComplaintFact.__table__.c.complaint_id)).all()
        # What arrived while we swapped: onto the live tables, idempotent by version.
        more, more_applied = _drain(runtime, consumer, LIVE, batch_size, idle_polls)
    finally:
        consumer.close()
        metadata.drop_all(runtime.engine)
    return RebuildResult(
        group=group,
        events=events + more,
        applied=applied + more_applied,
        facts=len(facts),
        seconds=time.perf_counter() - started,
    )


def _drain(
    runtime: ServiceRuntime,
    consumer: BusConsumer,
    projection: Projection,
    batch_size: int,
    idle_polls: int,
    *,
    analyze: bool = False,
    tally: Tally | None = None,
) -> tuple[int, int]:
    """Apply what the log holds for the consumer: with a `tally` (the rebuild's first pass)
    the facts, their counts summed in the tally; else facts and counts as the live consumer
    does. Returns the records read and the events applied."""
    handled = projection.handlers()
    seen = applied = idle = batches = 0
    # At the end of the log (every partition's committed offset is its end) stop at once
    # instead of waiting out `idle_polls` empty polls. Before the first poll nothing is
    # assigned yet, which says nothing about the end.
    while idle < idle_polls and not _caught_up(consumer):
        records = consumer.poll(batch_size, runtime.settings.consumer_poll_timeout_s)
        if records:
            idle = 0
            events: list[EventLike] = []
            for record in records:
                # msgspec for the envelope (pydantic where it must decide): a rebuild reads
                # every event of the log, the live consumer one poll at a time.
                event = view_from_record(record.value, record.headers, record.key)
                if event.type in handled:
                    # Same rule as the live consumer: only events that keep their contract count.
                    runtime.contracts.validate(event)
                    events.append(event)
            if events:
                with session_scope(runtime.session_factory, all_tenants=True) as session:
                    if tally is None:
                        projection.apply_many(session, events)
                    else:
                        changes = projection.apply_to_facts(session, events, cells)[1]
                        for tenant, before, after in changes:
                            tally.add(tenant, before, -1)
                            tally.add(tenant, after)
                        if tally.full():
                            tally.write(session.connection())
                batches += 1
                if analyze and batches & (batches - 1) == 0:
                    _analyze(runtime, projection)
            applied += len(events)
            consumer.commit(records)
            seen += len(records)
        else:
            idle += 1
    return seen, applied


def _analyze(runtime: ServiceRuntime, projection: Projection) -> None:
    """Refresh PostgreSQL's statistics of the growing fresh tables (after batches 1, 2, 4,
    8, ...: a bounded share of the work). Without them the planner takes a table created
    empty for tiny and scans it whole for every `complaint_id IN (...)` of a batch."""
    if runtime.engine.dialect.name != "postgresql":
        return
    with runtime.engine.begin() as conn:
        for table in (projection.facts, projection.counts, projection.monthly, projection.pairs):
            conn.execute(text(f'ANALYZE "{table.name}"'))


def _caught_up(consumer: BusConsumer) -> bool:
    lag = consumer.lag()
    return bool(lag) and all(n <= 0 for n in lag.values())


def recount(session: Session, tenant: str | None = None) -> dict[tuple, int]:
    """daily_counts recomputed from complaint_facts (for checks: must equal the table)."""
    facts = ComplaintFact.__table__
    query = select(facts)
    if tenant is not None:
        query = query.where(facts.c.tenant_id == tenant)
    cells: dict[tuple, int] = {}
    for row in session.execute(query).mappings():
        for (office, day, dim, value), n in contributions(cast(Mapping[str, Any], row)).items():
            key = (row["tenant_id"], office, day, dim, value)
            cells[key] = cells.get(key, 0) + n
    return cells


def stored_counts(session: Session, tenant: str | None = None) -> dict[tuple, int]:
    counts = DailyCount.__table__
    query = select(counts).where(counts.c.n != 0)
    if tenant is not None:
        query = query.where(counts.c.tenant_id == tenant)
    return {
        (r["tenant_id"], r["office"], r["day"], r["dimension"], r["value"]): r["n"]
        for r in session.execute(query).mappings()
    }


def pair_mismatches(session: Session) -> list[tuple]:
    """pair_counts cells that differ from the pairs of complaint_facts (must be none)."""
    expected: dict[tuple, int] = {}
    for row in session.execute(select(ComplaintFact.__table__)).mappings():
        for key, n in pairs(contributions(cast(Mapping[str, Any], row))).items():
            office, month, dim, value, by_dim, by_value = key
            full = (row["tenant_id"], dim, by_dim, month, office, value, by_value)
            expected[full] = expected.get(full, 0) + n
    t = PairCount.__table__
    found = {
        (r["tenant_id"], r["dimension"], r["by_dimension"], r["month"], r["office"],
         r["value"], r["by_value"]): r["n"]
        for r in session.execute(select(t)).mappings()
    }  # fmt: skip
    keys = set(expected) | set(found)
    return sorted(k for k in keys if expected.get(k, 0) != found.get(k, 0))


def monthly_mismatches(session: Session) -> list[tuple]:
    """monthly_counts cells that differ from daily_counts summed per month (must be none)."""
    daily, monthly = DailyCount.__table__, MonthlyCount.__table__
    expected: dict[tuple, int] = {}
    for r in session.execute(select(daily)).mappings():
        key = (r["tenant_id"], r["office"], r["day"].replace(day=1), r["dimension"], r["value"])
        expected[key] = expected.get(key, 0) + r["n"]
    found = {
        (r["tenant_id"], r["office"], r["month"], r["dimension"], r["value"]): r["n"]
        for r in session.execute(select(monthly)).mappings()
    }
    keys = set(expected) | set(found)
    return sorted(k for k in keys if expected.get(k, 0) != found.get(k, 0))
