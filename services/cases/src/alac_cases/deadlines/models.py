"""Deadline rules per tenant, the holiday calendar, and each case's deadlines."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from alac_cases.case.models import Base
from alac_kernel.db import TenantScoped, UTCDateTime


class DeadlineRule(TenantScoped, Base):
    __tablename__ = "deadline_rules"
    __table_args__ = (UniqueConstraint("tenant_id", "code", name="uq_deadline_rules_code"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    code: Mapped[str] = mapped_column(String(64))
    days: Mapped[int] = mapped_column(Integer)
    day_kind: Mapped[str] = mapped_column(String(16))  # calendar | working
    warn_days: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(String(400))


class Holiday(Base):
    """Public holidays and moved days off of Kazakhstan (country-wide, not per tenant)."""

    __tablename__ = "holidays"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))


class Deadline(TenantScoped, Base):
    __tablename__ = "case_deadlines"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[str] = mapped_column(String(36), ForeignKey("cases.id"), index=True)
    rule: Mapped[str] = mapped_column(String(64))
    starts_on: Mapped[date] = mapped_column(Date)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    met_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    warned: Mapped[bool] = mapped_column(Boolean, default=False)
    missed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str] = mapped_column(String(128))
