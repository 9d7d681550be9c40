"""Office staff as the tenant admin declares them (there is no user directory service)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from alac_cases.case.models import Base
from alac_kernel.db import TenantScoped, UTCDateTime


class StaffMember(TenantScoped, Base):
    """A staff member of an office. `subject` is the identity provider's user id (the token's
    sub). Name, position, e-mail and language come from the invitation (staff administration
    through the identity provider); members declared before that have them null."""

    __tablename__ = "office_staff"
    __table_args__ = (UniqueConstraint("tenant_id", "subject", name="uq_office_staff_subject"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    subject: Mapped[str] = mapped_column(String(128))
    office: Mapped[str] = mapped_column(String(64), index=True)
    role: Mapped[str] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)
    username: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    display_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    position: Mapped[str | None] = mapped_column(String(200), nullable=True)
    email: Mapped[str | None] = mapped_column(String(254), nullable=True, index=True)
    language: Mapped[str | None] = mapped_column(String(2), nullable=True)
    # staff.* events' aggregateversion
    version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


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
