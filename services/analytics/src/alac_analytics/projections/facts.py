"""The projection of complaint.* and case.* events into complaint_facts and daily_counts.

Written against Core tables passed in, not the ORM classes, so the same code fills the live
tables (consumer group `analytics`) and the fresh tables of a rebuild. Each handler loads the
fact, takes its image before, applies the event if its aggregate version is newer than the one
already applied (complaint and case versions are counted separately, one per aggregate), and
moves the difference into daily_counts. Redelivered or stale events change nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from operator import itemgetter
from typing import Any, TypeVar

from sqlalchemy import Table, delete, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from alac_analytics.projections.dimensions import Key, PairKey, contributions, pair_changes
from alac_kernel.consumer import Batched
from alac_kernel.events import Event
from alac_kernel.events.view import EventLike

Fact = dict[str, Any]
Apply = Callable[[Fact, dict[str, Any]], None]
#: A fact's count image: dimensions.contributions, or dimensions.cells.
Image = TypeVar("Image")

#: complaint.updated `changed` keys that are dimensions (anything else is ignored).
UPDATABLE = (
    "channel",
    "area",
    "sub_area",
    "request_type",
    "authority_level",
    "respondent_body_type",
    "corruption_related",
    "non_corruption_reason",
    "heard_from",
    "anonymous",
    "office",
)
#: complaint.received fields copied as they are (null when absent).
RECEIVED = (
    "area",
    "sub_area",
    "request_type",
    "authority_level",
    "respondent_body_type",
    "corruption_related",
    "non_corruption_reason",
    "heard_from",
)
PROFILE = {
    "type": "complainant_type",
    "sex": "sex",
    "age_band": "age_band",
    "education": "education",
    "residence": "residence",
    "region": "region",
}


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _profile(fact: Fact, profile: dict[str, Any] | None) -> None:
    for key, column in PROFILE.items():
        if profile and key in profile:
            fact[column] = profile[key]


# ------------------------------------------------------------------ complaint.*


def complaint_received(fact: Fact, data: dict[str, Any]) -> None:
    fact["office"] = data["office"]
    fact["channel"] = data["channel"]
    fact["anonymous"] = data["anonymous"]
    fact["received_at"] = _time(data["received_at"])
    fact["historical"] = bool(data.get("historical"))
    for key in RECEIVED:
        fact[key] = data.get(key)
    _profile(fact, data.get("complainant"))


def complaint_updated(fact: Fact, data: dict[str, Any]) -> None:
    changed = data["changed"]
    for key in UPDATABLE:
        if key in changed:
            fact[key] = changed[key]
    if "received_at" in changed:
        fact["received_at"] = _time(changed["received_at"])
    _profile(fact, changed.get("complainant"))
    _profile(fact, {k: v for k, v in changed.items() if k in PROFILE and k != "type"})


def complaint_withdrawn(fact: Fact, data: dict[str, Any]) -> None:
    fact["withdrawn"] = True


# ------------------------------------------------------------------ case.*


def case_opened(fact: Fact, data: dict[str, Any]) -> None:
    fact["case_id"] = data["case_id"]
    fact["status"] = data["status"]
    fact["opened_at"] = _time(data["opened_at"])
    if data["status"] != "triage":
        # Opened straight into a later status (e.g. a quick answer): triage happened at once.
        fact["triaged_at"] = fact["opened_at"]


def case_status_changed(fact: Fact, data: dict[str, Any]) -> None:
    fact["status"] = data["to_status"]
    if data["from_status"] == "triage" and fact.get("triaged_at") is None:
        fact["triaged_at"] = _time(data["changed_at"])


def case_assigned(fact: Fact, data: dict[str, Any]) -> None:
    fact["assignee"] = data["assignee"]


def case_closed(fact: Fact, data: dict[str, Any]) -> None:
    fact["status"] = "closed"
    fact["outcome"] = data["outcome"]
    fact["closed_at"] = _time(data["closed_at"])
    if fact.get("triaged_at") is None:
        fact["triaged_at"] = fact["closed_at"]


def case_reopened(fact: Fact, data: dict[str, Any]) -> None:
    # The cases service follows a reopening with the status it reopens into.
    fact["status"] = "reopened"
    fact["outcome"] = None
    fact["closed_at"] = None


def case_deadline_missed(fact: Fact, data: dict[str, Any]) -> None:
    fact["deadlines_missed"] = (fact.get("deadlines_missed") or 0) + 1


COMPLAINT_EVENTS: dict[str, Apply] = {
    "complaint.received": complaint_received,
    "complaint.updated": complaint_updated,
    "complaint.withdrawn": complaint_withdrawn,
}
CASE_EVENTS: dict[str, Apply] = {
    "case.opened": case_opened,
    "case.status_changed": case_status_changed,
    "case.assigned": case_assigned,
    "case.closed": case_closed,
    "case.reopened": case_reopened,
    "case.deadline_missed": case_deadline_missed,
}


class Projection:
    """The projection onto one set of tables (live, or a rebuild's fresh ones)."""

    def __init__(self, facts: Table, counts: Table, monthly: Table, pair_counts: Table) -> None:
        self.facts = facts
        self.counts = counts
        self.monthly = monthly
        self.pairs = pair_counts
        self._blank: Fact = {c.name: None for c in facts.columns}
        self._blank.update(
            status="received",
            complaint_version=0,
            case_version=0,
            withdrawn=False,
            deadlines_missed=0,
            historical=False,
        )

    def handlers(self) -> dict[str, Callable[[Session, Event], None]]:
        # One Batched handler for every type: the live consumer hands it each run of a
        # polled batch at once, as a rebuild does with its batches.
        return dict.fromkeys((*COMPLAINT_EVENTS, *CASE_EVENTS), Batched(self.apply_many))

    def apply_many(self, session: Session, events: Sequence[EventLike]) -> int:
        """Apply events in order (the live consumer passes one, a rebuild a whole batch):
        one read of the facts they touch, one write of the changed facts, one upsert of the
        count differences. Returns how many events changed something."""
        changed, changes = self.apply_to_facts(session, events, contributions)
        delta: Counter[tuple[str, Key]] = Counter()
        pair_delta: Counter[tuple[str, PairKey]] = Counter()
        for tenant, old, new in changes:
            new_pairs = pair_changes(old, new)
            new.subtract(old)
            for cell, n in new.items():
                if n:
                    delta[(tenant, cell)] += n
            for pair, n in new_pairs.items():
                if n:
                    pair_delta[(tenant, pair)] += n
        self._add_counts(session, delta)
        self._add_pairs(session, pair_delta)
        return changed

    def apply_to_facts(
        self,
        session: Session,
        events: Sequence[EventLike],
        image: Callable[[Fact], Image],
    ) -> tuple[int, list[tuple[str, Image, Image]]]:
        """The events applied to their facts and the changed facts written; the counts are
        left alone. Returns how many events changed something and, per changed fact, its
        tenant and its count images before and after the events (`image`:
        dimensions.contributions, or for a rebuild the same rule as dimensions.cells):
        `apply_many` moves their difference into the counts, a rebuild sums them in memory
        (projections.tally)."""
        keys = {(e.tenantid, e.data["complaint_id"]) for e in events}
        cache: dict[tuple[str, str], Fact] = {}
        ids = sorted({cid for _, cid in keys})
        for chunk in range(0, len(ids), 500):
            rows = session.execute(
                select(self.facts).where(self.facts.c.complaint_id.in_(ids[chunk : chunk + 500]))
            ).mappings()
            for row in rows:
                key = (row["tenant_id"], row["complaint_id"])
                if key in keys:
                    cache[key] = dict(row)
        stored = set(cache)
        before: dict[tuple[str, str], Image] = {}
        changed = 0
        for event in events:
            key = (event.tenantid, event.data["complaint_id"])
            fact = cache.get(key) or cache.setdefault(key, self._new(*key))
            if event.type in COMPLAINT_EVENTS:
                apply, version_column = COMPLAINT_EVENTS[event.type], "complaint_version"
            else:
                apply, version_column = CASE_EVENTS[event.type], "case_version"
            if fact[version_column] >= event.aggregateversion:
                continue  # already applied (or older than what was)
            if key not in before:
                before[key] = image(fact)
            apply(fact, event.data)
            if event.type == "complaint.received":
                # The envelope's time is when intake registered it (see dimensions.is_live).
                fact["registered_at"] = event.time
            fact[version_column] = event.aggregateversion
            changed += 1
        if before:
            # Replace the changed rows: one DELETE and one multi-row INSERT, whatever the batch.
            stale = sorted(cid for (tenant, cid) in before if (tenant, cid) in stored)
            for chunk in range(0, len(stale), 500):
                session.execute(
                    delete(self.facts).where(
                        self.facts.c.complaint_id.in_(stale[chunk : chunk + 500])
                    )
                )
            write_many(session.connection(), self.facts, [cache[key] for key in before], add=False)
        return changed, [(key[0], old, image(cache[key])) for key, old in before.items()]

    def _new(self, tenant: str, complaint_id: str) -> Fact:
        # Created by whichever event comes first: complaint and case travel on different topics.
        fact: Fact = dict(self._blank)
        fact["complaint_id"] = complaint_id
        fact["tenant_id"] = tenant
        return fact

    def _add_counts(self, session: Session, delta: Counter[tuple[str, Key]]) -> None:
        daily: list[dict[str, Any]] = []
        monthly: Counter[tuple[str, str, date, str, str]] = Counter()
        for (tenant, (office, day, dimension, value)), n in delta.items():
            if not n:
                continue
            daily.append(
                {
                    "tenant_id": tenant,
                    "office": office,
                    "day": day,
                    "dimension": dimension,
                    "value": value,
                    "n": n,
                }  # fmt: skip
            )
            monthly[(tenant, office, day.replace(day=1), dimension, value)] += n
        if not daily:
            return
        self._upsert(session, self.counts, daily)
        rows: list[dict[str, Any]] = [
            {"tenant_id": t, "office": o, "month": m, "dimension": d, "value": v, "n": n}
            for (t, o, m, d, v), n in monthly.items()
            if n
        ]
        if rows:
            self._upsert(session, self.monthly, rows)
        # A count brought down to zero (a complaint's status moved on) goes, as if it had
        # never been: a rebuild, applying the net change of a whole batch, never writes it,
        # and live and rebuilt models must answer alike (`make verify` compares them).
        self._drop_zeros(session, self.counts, [r for r in daily if r["n"] < 0])
        self._drop_zeros(session, self.monthly, [r for r in rows if r["n"] < 0])

    def _add_pairs(self, session: Session, delta: Counter[tuple[str, PairKey]]) -> None:
        rows: list[dict[str, Any]] = [
            {"tenant_id": tenant, "office": office, "month": month, "dimension": dim,
             "value": value, "by_dimension": by_dim, "by_value": by_value, "n": n}
            for (tenant, (office, month, dim, value, by_dim, by_value)), n in delta.items()
            if n
        ]  # fmt: skip
        for chunk in range(0, len(rows), 5000):
            self._upsert(session, self.pairs, rows[chunk : chunk + 5000])
        self._drop_zeros(session, self.pairs, [r for r in rows if r["n"] < 0])

    @staticmethod
    def _drop_zeros(session: Session, table: Table, lowered: list[dict[str, Any]]) -> None:
        """Delete the cells of `lowered` (rows keyed by the table's primary key) left at 0."""
        for row in lowered:
            session.execute(
                delete(table).where(
                    *(column == row[column.name] for column in table.primary_key.columns),
                    table.c.n == 0,
                )
            )

    @staticmethod
    def _upsert(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
        """Add each row's n to its cell (keyed by the table's primary key)."""
        write_many(session.connection(), table, rows, add=True)


def upsert(table: Table, dialect: str) -> Any:
    """INSERT adding each row's n to its cell if there is one (keyed by the primary key)."""
    module = postgresql if dialect == "postgresql" else sqlite
    statement = module.insert(table)
    return statement.on_conflict_do_update(
        index_elements=[c.name for c in table.primary_key.columns],
        set_={"n": table.c.n + statement.excluded.n},
    )


@dataclass(frozen=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]  # the parameters, in the statement's order
    processors: tuple[tuple[int, Callable[[Any], Any]], ...]  # (position, bind processor)
    positional: bool


_COMPILED: dict[tuple[str, str, str], _Compiled] = {}
#: Fewer rows than this go in one INSERT even on PostgreSQL (a live event writes one fact).
COPY_FROM = 50


def write_many(
    connection: Connection, table: Table, rows: list[dict[str, Any]], *, add: bool
) -> None:
    """INSERT `rows` (every column of `table` each), or with `add` the upsert adding n
    (`upsert`), through the driver's executemany (many rows inserted on PostgreSQL: COPY). SQLAlchemy's own executemany builds and
    processes each row's parameters in Python, most of the cost of writing many small rows
    (a rebuild writes hundreds of thousands); here each value goes through its column type's
    bind processor only, the same conversion SQLAlchemy applies."""
    if not rows:
        return
    dialect = connection.dialect
    key = (table.name, dialect.name, "upsert" if add else "insert")
    compiled = _COMPILED.get(key)
    if compiled is None:
        statement = upsert(table, dialect.name) if add else insert(table)
        done = statement.compile(dialect=dialect)
        names = tuple(done.positiontup or done.params)
        processors = tuple(
            (i, processor)
            for i, name in enumerate(names)
            if (processor := table.c[name].type.dialect_impl(dialect).bind_processor(dialect))
        )
        compiled = _COMPILED[key] = _Compiled(
            str(done), names, processors, done.positiontup is not None
        )
    get = itemgetter(*compiled.names)
    processors = compiled.processors
    if not add and dialect.name == "postgresql" and len(rows) >= COPY_FROM:
        # PostgreSQL's COPY: one stream of rows instead of a statement per row (psycopg's
        # executemany), in the connection's transaction like the INSERT it replaces.
        columns = ", ".join(f'"{name}"' for name in compiled.names)
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        with cursor.copy(f'COPY "{table.name}" ({columns}) FROM STDIN') as copy:
            for row in rows:
                values = list(get(row))
                for i, processor in processors:
                    values[i] = processor(values[i])
                copy.write_row(values)
        return
    params: list[Any] = []
    for row in rows:
        values = list(get(row))
        for i, processor in processors:
            values[i] = processor(values[i])
        params.append(
            tuple(values) if compiled.positional else dict(zip(compiled.names, values, strict=True))
        )
    connection.exec_driver_sql(compiled.sql, params)
