"""The kernel's tables, added to each service's own metadata (each service owns its database).

Outbox columns follow Debezium's outbox layout (id, aggregatetype, aggregateid, type, payload)
so a change-data-capture relay could replace ours without touching the services.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)

from alac_kernel.db import UTCDateTime

# SQLite only autoincrements INTEGER PRIMARY KEY; PostgreSQL wants BIGINT for a long-lived log.
BigIntPK = BigInteger().with_variant(Integer(), "sqlite")


def table_of(model: type[Any]) -> Table:
    """The Table of a mapped class, for Core queries and projections (SQLAlchemy types
    `__table__` as any FROM clause)."""
    table = model.__table__
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} is not mapped to a single table")
    return table


@dataclass(frozen=True)
class KernelTables:
    outbox: Table
    inbox: Table
    idempotency: Table
    # Each tenant's standing (active, suspended, offboarded) from the registry's events: the
    # tokens of a suspended or offboarded tenant are refused (alac_kernel.tenants.standing).
    standing: Table


def add_kernel_tables(metadata: MetaData) -> KernelTables:
    outbox = Table(
        "outbox",
        metadata,
        Column("seq", BigIntPK, primary_key=True, autoincrement=True),
        Column("id", String(36), nullable=False, unique=True),
        Column("aggregatetype", String(64), nullable=False),
        Column("aggregateid", String(64), nullable=False),
        Column("type", String(128), nullable=False),
        Column("tenant_id", String(64), nullable=False),
        Column("topic", String(255), nullable=False),
        Column("payload", Text, nullable=False),
        Column("created_at", UTCDateTime, nullable=False),
        # pending → published; a row that keeps failing stays pending with a growing backoff.
        Column("state", String(16), nullable=False, default="pending"),
        Column("attempts", Integer, nullable=False, default=0),
        Column("next_attempt_at", UTCDateTime, nullable=True),
        Column("published_at", UTCDateTime, nullable=True),
        Column("last_error", Text, nullable=True),
        Index("ix_outbox_state_seq", "state", "seq"),
    )
    inbox = Table(
        "inbox",
        metadata,
        Column("consumer_group", String(128), nullable=False),
        Column("event_id", String(64), nullable=False),
        Column("event_type", String(128), nullable=False),
        Column("applied_at", UTCDateTime, nullable=False),
        PrimaryKeyConstraint("consumer_group", "event_id", name="pk_inbox"),
    )
    idempotency = Table(
        "idempotency_keys",
        metadata,
        Column("tenant_id", String(64), nullable=False),
        Column("key", String(255), nullable=False),
        Column("request_hash", String(64), nullable=False),
        Column("status_code", Integer, nullable=False),
        Column("body", Text, nullable=False),
        Column("created_at", UTCDateTime, nullable=False),
        PrimaryKeyConstraint("tenant_id", "key", name="pk_idempotency_keys"),
    )
    standing = Table(
        "tenant_standing",
        metadata,
        Column("tenant_id", String(64), primary_key=True),
        Column("status", String(16), nullable=False),
        # The registry event's aggregateversion: an older event arriving late changes nothing.
        Column("version", Integer, nullable=False),
        Column("changed_at", UTCDateTime, nullable=False),
    )
    return KernelTables(outbox=outbox, inbox=inbox, idempotency=idempotency, standing=standing)
