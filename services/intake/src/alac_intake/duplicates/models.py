"""The near-duplicate text index and the stored flags."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy import BigInteger, Float, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from alac_intake.database import Base
from alac_kernel.db import TenantScoped, UTCDateTime

#: Why two complaints may be one: the same contact, or nearly the same text.
DuplicateReason = Literal["same_contact", "similar_text"]


class ComplaintTextBand(TenantScoped, Base):
    """One LSH band bucket of a complaint's crux (see minhash.py): complaints sharing a
    (band, bucket_hash) are candidates for a near-duplicate check. received_at is copied
    here so the period filter is applied in the index, without reading complaints."""

    __tablename__ = "complaint_text_bands"
    __table_args__ = (
        Index("ix_complaint_text_bands_bucket", "tenant_id", "band", "bucket_hash", "received_at"),
    )

    complaint_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    band: Mapped[int] = mapped_column(Integer, primary_key=True)
    bucket_hash: Mapped[int] = mapped_column(BigInteger)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PossibleDuplicate(TenantScoped, Base):
    """`complaint_id` (the later registered) may duplicate `other_complaint_id`. For staff
    to review; the complaints themselves are never merged or changed."""

    __tablename__ = "possible_duplicates"
    __table_args__ = (Index("ix_possible_duplicates_other", "tenant_id", "other_complaint_id"),)

    complaint_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    other_complaint_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    reason: Mapped[DuplicateReason] = mapped_column(String(16), primary_key=True)
    score: Mapped[float] = mapped_column(Float)
    flagged_at: Mapped[datetime] = mapped_column(UTCDateTime)
