"""Rebuild the index from the event log: a fresh consumer group reads every topic from offset
0 into a new index beside the live one, which is then swapped in atomically. Events published
while the rebuild ran are caught up after the swap by the same group; applying one twice is
harmless (per-field versions), so nothing between the last read and the swap is lost.

Each poll's events are written with one `apply_many` (one transaction in SQLite; one mget and
one bulk request in OpenSearch, instead of a read and a write per event): per-field versions
make the order within a batch irrelevant."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from functools import partial

from pydantic import ValidationError

from alac_kernel.bus import BusConsumer
from alac_kernel.events import ContractRegistry, ContractViolation
from alac_kernel.events.binding import event_from_record
from alac_kernel.sealed_text import Erased, TextKeys, fetched_for, open_event
from alac_search.engines.base import SearchEngine
from alac_search.indexing.projector import AGGREGATES, PROJECTIONS, Writes
from alac_search.runtime import SearchRuntime
from alac_search.tenants import offboarded

log = logging.getLogger("alac.search.rebuild")


def drain(
    consumer: BusConsumer,
    engine: SearchEngine,
    contracts: ContractRegistry,
    *,
    keys: TextKeys = Erased(),
    skip: Callable[[str], bool] = lambda tenant: False,
    quiet_polls: int = 3,
    poll_timeout_s: float = 0.2,
) -> int:
    """Apply records until `quiet_polls` polls in a row bring nothing and no lag is left;
    the number applied."""
    applied, quiet = 0, 0
    while quiet < quiet_polls:
        records = consumer.poll(500, poll_timeout_s)
        if not records:
            # An empty poll may only mean the group is still joining: done when nothing is
            # left behind on any partition as well.
            quiet = quiet + 1 if not any(consumer.lag().values()) else 0
            continue
        quiet = 0
        batch = Writes()
        todo = []
        for record in records:
            try:
                event = event_from_record(record.value, record.headers, record.key)
                project = PROJECTIONS.get(event.type)
                if project is None or skip(event.tenantid):
                    continue
                contracts.validate(event)
            except (ValidationError, ValueError, ContractViolation) as exc:
                # The live consumer parked these in the dead-letter topic already.
                log.warning("skipping an unreadable record: %s", exc)
                continue
            todo.append((project, event))
        # The poll's text keys in a few requests to intake, not one per event.
        with fetched_for(keys, [event for _, event in todo]):
            for project, event in todo:
                project(batch, open_event(event, keys))
        applied += len(todo)
        if batch.docs:
            engine.apply_many(batch.docs)
        consumer.commit(records)
    return applied


def rebuild(runtime: SearchRuntime, engine: SearchEngine, *, poll_timeout_s: float = 0.2) -> int:
    """Rebuild `engine`'s index from the log and swap it in; the number of events applied."""
    rebuilt = engine.begin_rebuild()
    topics = [runtime.settings.topic(a) for a in AGGREGATES]
    group = f"search-reindex-{uuid.uuid4().hex[:12]}"
    consumer = runtime.bus.consumer(group, topics, client_id="search-reindex")
    try:
        keys = runtime.text_keys
        # An offboarded centre's events are still in the log: its documents stay gone.
        gone = partial(offboarded, runtime)
        count = drain(
            consumer, rebuilt, runtime.contracts, keys=keys, skip=gone,
            poll_timeout_s=poll_timeout_s,
        )  # fmt: skip
        rebuilt.optimize()  # one merged index before it serves (docs/performance.md)
        engine.swap_in(rebuilt)
        count += drain(
            consumer, engine, runtime.contracts, keys=keys, skip=gone,
            poll_timeout_s=poll_timeout_s,
        )  # fmt: skip
    finally:
        consumer.close()
    log.info("search index rebuilt from %d events", count)
    return count
