"""The embedded log's tables (alac_kernel.bus.log): topics and their partitions, records,
committed offsets, and the members and leases of consumer groups."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)

from alac_kernel.db import UTCDateTime

metadata = MetaData()
Offset = BigInteger().with_variant(Integer(), "sqlite")

topics_t = Table(
    "bus_topics",
    metadata,
    Column("topic", String(255), primary_key=True),
    Column("partitions", Integer, nullable=False),
)
partitions_t = Table(
    "bus_partitions",
    metadata,
    Column("topic", String(255), nullable=False),
    Column("partition", Integer, nullable=False),
    Column("next_offset", Offset, nullable=False),
    PrimaryKeyConstraint("topic", "partition"),
)
records_t = Table(
    "bus_records",
    metadata,
    Column("topic", String(255), nullable=False),
    Column("partition", Integer, nullable=False),
    Column("offset", Offset, nullable=False),
    Column("key", String(255), nullable=True),
    Column("headers", Text, nullable=False),
    Column("value", LargeBinary, nullable=False),
    Column("timestamp_ms", Offset, nullable=False),
    PrimaryKeyConstraint("topic", "partition", "offset"),
)
offsets_t = Table(
    "bus_offsets",
    metadata,
    Column("group_id", String(255), nullable=False),
    Column("topic", String(255), nullable=False),
    Column("partition", Integer, nullable=False),
    Column("committed", Offset, nullable=False),
    PrimaryKeyConstraint("group_id", "topic", "partition"),
)
members_t = Table(
    "bus_members",
    metadata,
    Column("group_id", String(255), nullable=False),
    Column("member_id", String(64), nullable=False),
    Column("heartbeat_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("group_id", "member_id"),
)
leases_t = Table(
    "bus_leases",
    metadata,
    Column("group_id", String(255), nullable=False),
    Column("topic", String(255), nullable=False),
    Column("partition", Integer, nullable=False),
    Column("member_id", String(64), nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("group_id", "topic", "partition"),
)
