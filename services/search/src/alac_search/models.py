"""Search's own database holds the kernel tables (its inbox), the tenants' small-cell
thresholds (copied from analytics' events) and staff names (from cases' staff.* events); the
index lives in the search engine."""

from __future__ import annotations

from sqlalchemy import Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from alac_kernel.db import TenantScoped
from alac_kernel.tables import add_kernel_tables


class Base(DeclarativeBase):
    pass


kernel_tables = add_kernel_tables(Base.metadata)


class TenantPrivacy(TenantScoped, Base):
    """A tenant's small-cell threshold as analytics announced it
    (tenant.privacy_settings_changed); counts-only answers hide cells below it."""

    __tablename__ = "tenant_privacy"

    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    small_cell_threshold: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)


class StaffName(TenantScoped, Base):
    """A staff member's name as the cases service announces it (staff.invited, staff.moved):
    search answers show assignees by name. Kept on deactivation (the name stays on what they
    did)."""

    __tablename__ = "staff_names"

    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    subject: Mapped[str] = mapped_column(String(128), primary_key=True)
    display_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # staff.* events' aggregateversion: a late older event changes nothing.
    version: Mapped[int] = mapped_column(Integer)
