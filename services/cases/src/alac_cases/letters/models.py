"""Letters of support: the record of each generated letter (its PDF lives encrypted in a
LetterStore), and cases' own tenant keys that wrap the letters' keys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from alac_cases.case.models import Base
from alac_kernel.db import TenantScoped, UTCDateTime


class Letter(TenantScoped, Base):
    __tablename__ = "case_letters"
    __table_args__ = (UniqueConstraint("tenant_id", "reference", name="uq_case_letters_reference"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[str] = mapped_column(String(36), ForeignKey("cases.id"), index=True)
    action_id: Mapped[str] = mapped_column(String(36))
    language: Mapped[str] = mapped_column(String(8))
    authority: Mapped[str] = mapped_column(String(400))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The PDF's own AES-GCM key, wrapped by the tenant's letter key of this version. Null for a
    # PDF stored in plaintext before encryption at rest, and after erasure (with erased_at).
    key_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    wrapped_key: Mapped[str | None] = mapped_column(Text, nullable=True)
    # When the complaint's personal data was erased: the PDF (facts of the case, the
    # complainant's story) and its key are gone; the record of the action stays.
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The outgoing reference printed on the letter: per tenant and year, gap-free (see
    # LetterSequence). Null for letters generated before references existed.
    reference: Mapped[str | None] = mapped_column(String(40), nullable=True)


class LetterSequence(Base):
    """The last reference number given to a tenant's letters in a year. Taken by an upsert that
    adds one in the letter's own transaction: concurrent letters queue on the row, and a letter
    whose transaction fails gives its number back, so the numbers have no gaps."""

    __tablename__ = "case_letter_sequences"

    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


class CasesTenantKey(TenantScoped, Base):
    """A tenant's key for letters, wrapped (AES-GCM) under cases' master key
    (ALAC_CASES_MASTER_KEY): cases keeps its own keys rather than asking intake's vault for
    every letter, so letters stay readable when intake is down."""

    __tablename__ = "case_tenant_keys"
    __table_args__ = (UniqueConstraint("tenant_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    version: Mapped[int] = mapped_column(Integer)
    master_key_id: Mapped[str] = mapped_column(String(32))
    wrapped: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
