"""Per-tenant retention policy for complainants' personal data."""

from __future__ import annotations

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from alac_intake.database import Base


class RetentionPolicy(Base):
    """Days after registration when a complaint's personal data is erased. A tenant without a
    row gets DEFAULT_RETENTION_DAYS."""

    __tablename__ = "retention_policies"

    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    personal_data_days: Mapped[int] = mapped_column(Integer)
