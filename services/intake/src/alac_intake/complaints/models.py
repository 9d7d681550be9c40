"""The complaint's table. Complaints belong to a tenant; every query is scoped to it."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from alac_intake.database import Base
from alac_kernel.db import TenantScoped, UTCDateTime


class Complaint(TenantScoped, Base):
    __tablename__ = "complaints"
    # Imports are idempotent by their source's id (mail:<Message-ID>, file:<external_id>,
    # referral:<referral_id>), unique within a tenant.
    __table_args__ = (
        UniqueConstraint("tenant_id", "external_id", name="uq_complaints_tenant_external_id"),
        # The same-contact duplicate lookup (duplicates/service.py) reads only this range.
        Index("ix_complaints_tenant_pseudonym_received", "tenant_id", "complainant_pseudonym",
              "received_at"),
    )  # fmt: skip

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    office: Mapped[str] = mapped_column(String(64), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    registered_by: Mapped[str] = mapped_column(String(128))
    anonymous: Mapped[bool] = mapped_column(Boolean)
    crux: Mapped[str] = mapped_column(Text)
    help_requested: Mapped[str | None] = mapped_column(Text, nullable=True)
    request_type: Mapped[str | None] = mapped_column(String(32), nullable=True)
    area: Mapped[str | None] = mapped_column(String(64), nullable=True)
    complainant_pseudonym: Mapped[str] = mapped_column(String(64))
    complainant_type: Mapped[str | None] = mapped_column(String(32), nullable=True)
    sex: Mapped[str | None] = mapped_column(String(16), nullable=True)
    age_band: Mapped[str | None] = mapped_column(String(32), nullable=True)
    education: Mapped[str | None] = mapped_column(String(32), nullable=True)
    residence: Mapped[str | None] = mapped_column(String(32), nullable=True)
    region: Mapped[str | None] = mapped_column(String(64), nullable=True)
    status: Mapped[str] = mapped_column(String(32), default="received")
    # Receipt code: a short public locator to find the row, and a slow hash of the secret part.
    receipt_locator: Mapped[str | None] = mapped_column(String(16), nullable=True, unique=True)
    receipt_hash: Mapped[str | None] = mapped_column(String(255), nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    # The full record (DOMAIN.md): all optional, completed later through PATCH.
    sub_area: Mapped[str | None] = mapped_column(String(64), nullable=True)
    authority_level: Mapped[str | None] = mapped_column(String(32), nullable=True)
    respondent_body_type: Mapped[str | None] = mapped_column(String(64), nullable=True)
    corruption_related: Mapped[str | None] = mapped_column(String(16), nullable=True)
    non_corruption_reason: Mapped[str | None] = mapped_column(String(64), nullable=True)
    heard_from: Mapped[str | None] = mapped_column(String(64), nullable=True)
    prior_legal_help: Mapped[str | None] = mapped_column(String(64), nullable=True)
    prior_legal_help_quality: Mapped[str | None] = mapped_column(Text, nullable=True)
    procedural_stage: Mapped[str | None] = mapped_column(String(32), nullable=True)
    years_pending: Mapped[int | None] = mapped_column(Integer, nullable=True)
    appeal_deadline: Mapped[date | None] = mapped_column(Date, nullable=True)
    preferred_language: Mapped[str | None] = mapped_column(String(2), nullable=True)
    safe_to_contact: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    city: Mapped[str | None] = mapped_column(String(64), nullable=True)
    documents_requested: Mapped[list | None] = mapped_column(JSON, nullable=True)
    documents_received: Mapped[list | None] = mapped_column(JSON, nullable=True)
    consent_formal_action: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    consent_documents_to_authorities: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    consent_media: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    completeness: Mapped[float] = mapped_column(Float, default=0.0)
    # What the complainant sees of the case (from case.* events), and the case version applied.
    case_status: Mapped[str | None] = mapped_column(String(32), nullable=True)
    case_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    withdrawn_by: Mapped[str | None] = mapped_column(String(16), nullable=True)
    personal_data_purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    external_id: Mapped[str | None] = mapped_column(String(300), nullable=True)
    # Imported as a historical record (`import-file --historical`): handled before the platform,
    # so it opens no live work and its retention runs from received_at. Only a server default:
    # a Python one would name the column in every insert, also of code written before it.
    historical: Mapped[bool] = mapped_column(Boolean, server_default=false(), nullable=False)
    # A complaint referred by another centre: that centre's name and the note it sent along.
    referred_from: Mapped[str | None] = mapped_column(String(200), nullable=True)
    referral_note: Mapped[str | None] = mapped_column(Text, nullable=True)
