"""Reference lists as rows with validity dates, so a renamed region or a new sub-area is a data
change (a migration adding and retiring rows), not a code change."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from alac_intake.database import Base


class ReferenceValue(Base):
    """One code of one list. `tenant_id` null: the default for every tenant; set: a tenant's own
    list (age bands), which replaces the default for that tenant. Not TenantScoped on purpose:
    defaults are shared, and lookups filter by tenant explicitly."""

    __tablename__ = "reference_values"
    __table_args__ = (UniqueConstraint("list_name", "code", "tenant_id", "valid_from"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    list_name: Mapped[str] = mapped_column(String(40), index=True)
    code: Mapped[str] = mapped_column(String(64))
    parent: Mapped[str | None] = mapped_column(String(64), nullable=True)
    tenant_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    label_en: Mapped[str] = mapped_column(String(200))
    label_ru: Mapped[str] = mapped_column(String(200))
    label_kk: Mapped[str] = mapped_column(String(200))
    # Valid on [valid_from, valid_to); null = open-ended. A retired code (valid_to in the past)
    # stays readable on old complaints but is refused on new ones.
    valid_from: Mapped[date | None] = mapped_column(Date, nullable=True)
    valid_to: Mapped[date | None] = mapped_column(Date, nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
