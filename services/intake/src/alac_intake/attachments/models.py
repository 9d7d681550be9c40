"""Attachment metadata; the bytes live encrypted in an AttachmentStore, named by the id."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from alac_intake.database import Base
from alac_kernel.db import TenantScoped, UTCDateTime


class Attachment(TenantScoped, Base):
    __tablename__ = "complaint_attachments"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    complaint_id: Mapped[str] = mapped_column(String(36), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    source: Mapped[str] = mapped_column(String(16))  # api | email | complainant (receipt code)
    uploaded_by: Mapped[str] = mapped_column(String(128))
    stored_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The file's own AES-GCM key, wrapped by the tenant's data key of this version; null for a
    # blob stored in plaintext before encryption at rest.
    key_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    wrapped_key: Mapped[str | None] = mapped_column(Text, nullable=True)
