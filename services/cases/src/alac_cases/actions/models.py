"""Actions taken on a case, and internal notes (which never leave the cases service)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from alac_cases.case.models import Base
from alac_kernel.db import TenantScoped, UTCDateTime


class Action(TenantScoped, Base):
    __tablename__ = "case_actions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[str] = mapped_column(String(36), ForeignKey("cases.id"), index=True)
    action_type: Mapped[str] = mapped_column(String(32))
    summary: Mapped[str] = mapped_column(Text)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    consent_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    to_tenant: Mapped[str | None] = mapped_column(String(64), nullable=True)
    recorded_by: Mapped[str] = mapped_column(String(128))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The fields of a meeting, an authority response or a court stage (see actions/views.py).
    details: Mapped[dict | None] = mapped_column(JSON, nullable=True)


class Note(TenantScoped, Base):
    __tablename__ = "case_notes"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[str] = mapped_column(String(36), ForeignKey("cases.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(128))
    written_at: Mapped[datetime] = mapped_column(UTCDateTime)
