"""Office staff as the tenant admin declares them (there is no user directory service)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from alac_cases.models import Base
from alac_kernel.db import TenantScoped, UTCDateTime


class StaffMember(TenantScoped, Base):
    __tablename__ = "office_staff"
    __table_args__ = (UniqueConstraint("tenant_id", "subject", name="uq_office_staff_subject"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    subject: Mapped[str] = mapped_column(String(128))
    office: Mapped[str] = mapped_column(String(64), index=True)
    role: Mapped[str] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # How the staff member signs letters of support (a lawyer's public professional identity,
    # not a complainant's personal data); unset: the name claim of their token is used.
    full_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    position: Mapped[str | None] = mapped_column(String(200), nullable=True)


class Assignment(TenantScoped, Base):
    """Every assignment ever made; the newest one of a case is the current assignee."""

    __tablename__ = "case_assignments"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[str] = mapped_column(String(36), ForeignKey("cases.id"), index=True)
    assignee: Mapped[str] = mapped_column(String(128), index=True)
    assignee_role: Mapped[str] = mapped_column(String(32))
    previous_assignee: Mapped[str | None] = mapped_column(String(128), nullable=True)
    strategy: Mapped[str] = mapped_column(String(32))
    assigned_by: Mapped[str] = mapped_column(String(128))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime)
