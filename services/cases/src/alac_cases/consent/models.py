"""The client's consents, one immutable row per version."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from alac_cases.case.models import Base
from alac_kernel.db import TenantScoped, UTCDateTime


class Consent(TenantScoped, Base):
    __tablename__ = "case_consents"
    __table_args__ = (UniqueConstraint("case_id", "version", name="uq_case_consents_version"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[str] = mapped_column(String(36), ForeignKey("cases.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    scopes: Mapped[list[str]] = mapped_column(JSON)
    withdrawn: Mapped[bool] = mapped_column(Boolean)
    how_given: Mapped[str] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    recorded_by: Mapped[str] = mapped_column(String(128))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
