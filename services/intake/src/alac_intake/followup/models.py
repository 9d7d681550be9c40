"""Messages exchanged with the complainant. Kept apart from internal notes (which live in
cases): everything here may be shown to the complainant."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from alac_intake.database import Base
from alac_kernel.db import TenantScoped, UTCDateTime


class ComplainantMessage(TenantScoped, Base):
    __tablename__ = "complainant_messages"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    complaint_id: Mapped[str] = mapped_column(String(36), index=True)
    direction: Mapped[str] = mapped_column(String(20))  # from_complainant | to_complainant
    body: Mapped[str] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(String(128), nullable=True)  # staff subject
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime)
