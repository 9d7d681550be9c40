"""Analytics' read model: one row per complaint with its dimensions, built from events."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from alac_kernel.db import TenantScoped, UTCDateTime
from alac_kernel.tables import add_kernel_tables


class Base(DeclarativeBase):
    pass


kernel_tables = add_kernel_tables(Base.metadata)


class ComplaintFact(TenantScoped, Base):
    __tablename__ = "complaint_facts"

    complaint_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    office: Mapped[str | None] = mapped_column(String(64), index=True, nullable=True)
    channel: Mapped[str | None] = mapped_column(String(32), nullable=True)
    area: Mapped[str | None] = mapped_column(String(64), nullable=True)
    request_type: Mapped[str | None] = mapped_column(String(32), nullable=True)
    anonymous: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    status: Mapped[str] = mapped_column(String(32), default="received")
    case_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    # Per-aggregate versions: an event older than what was applied is ignored.
    complaint_version: Mapped[int] = mapped_column(Integer, default=0)
    case_version: Mapped[int] = mapped_column(Integer, default=0)
