"""Search's own database holds the kernel tables (its inbox), the tenants' small-cell
thresholds (copied from analytics' events) and staff names (from cases' staff.* events); the
index lives in the search engine."""

from __future__ import annotations

from sqlalchemy import Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from alac_kernel.db import TenantScoped
from alac_kernel.staff_names import add_staff_names_table
from alac_kernel.tables import add_kernel_tables


class Base(DeclarativeBase):
    pass


kernel_tables = add_kernel_tables(Base.metadata)
# Staff names from cases' staff.* events, for the assignees of search answers.
staff_names = add_staff_names_table(Base.metadata)


class TenantPrivacy(TenantScoped, Base):
    """A tenant's small-cell threshold as analytics announced it
    (tenant.privacy_settings_changed); counts-only answers hide cells below it."""

    __tablename__ = "tenant_privacy"

    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    small_cell_threshold: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
