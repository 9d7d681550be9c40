"""Cases' tables."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from alac_kernel.db import TenantScoped, UTCDateTime
from alac_kernel.tables import add_kernel_tables

# What a case shows once its complaint's personal data is erased (the crux is required).
ERASED_CRUX = "(erased)"


class Base(DeclarativeBase):
    pass


kernel_tables = add_kernel_tables(Base.metadata)


class Case(TenantScoped, Base):
    __tablename__ = "cases"
    # The queues' indexes (migration 9f3a1c5e7b20): each listing of cases is one tenant's,
    # narrowed by equality on office, status or assignee and ordered by (opened_at, id), so an
    # index with those columns in that order answers a page by a range scan that stops at the
    # page's LIMIT, oldest or newest first, with no sort of every matching case.
    __table_args__ = (
        UniqueConstraint("tenant_id", "complaint_id", name="uq_cases_complaint"),
        Index("ix_cases_queue_office_status", "tenant_id", "office", "status", "opened_at", "id"),
        Index("ix_cases_queue_status", "tenant_id", "status", "opened_at", "id"),
        Index("ix_cases_queue_office", "tenant_id", "office", "opened_at", "id"),
        Index("ix_cases_queue_assignee", "tenant_id", "assignee", "opened_at", "id"),
        Index("ix_cases_queue_opened", "tenant_id", "opened_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    complaint_id: Mapped[str] = mapped_column(String(36))
    office: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(32), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    request_type: Mapped[str | None] = mapped_column(String(32), nullable=True)
    area: Mapped[str | None] = mapped_column(String(64), nullable=True)
    anonymous: Mapped[bool] = mapped_column(Boolean)
    crux: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    # The complaint's own version (its events' aggregateversion) this case reflects: a
    # complaint event at or below it is old news and is not applied again.
    complaint_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # Current assignee and outcome, denormalised for the queues; the history lives in
    # case_assignments and case_status_changes.
    assignee: Mapped[str | None] = mapped_column(String(128), nullable=True, index=True)
    outcome: Mapped[str | None] = mapped_column(String(32), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
