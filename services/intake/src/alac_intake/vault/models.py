"""Vault tables: wrapped tenant keys, encrypted contacts, and the audit of contact reads."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from alac_intake.database import Base
from alac_kernel.db import TenantScoped, UTCDateTime


class TenantKey(TenantScoped, Base):
    """A tenant's key, wrapped (AES-GCM) under a master key. purpose `data` encrypts contacts
    and gains versions on rotation; purpose `pseudonym` (HMAC key) never changes, so a repeat
    complainant keeps the same pseudonym across rotations."""

    __tablename__ = "tenant_keys"
    __table_args__ = (UniqueConstraint("tenant_id", "purpose", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    purpose: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer)
    master_key_id: Mapped[str] = mapped_column(String(32))
    wrapped: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ContactRecord(TenantScoped, Base):
    """The complainant's personal data of one complaint, encrypted as one JSON document."""

    __tablename__ = "complaint_contacts"

    complaint_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    key_version: Mapped[int] = mapped_column(Integer, index=True)
    ciphertext: Mapped[str] = mapped_column(Text)
    stored_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ContactRead(TenantScoped, Base):
    """Every read of a contact: who, in which role, when, which complaint."""

    __tablename__ = "contact_reads"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    complaint_id: Mapped[str] = mapped_column(String(36), index=True)
    subject: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(32))
    read_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ComplaintTextKey(TenantScoped, Base):
    """The data key of one complaint's free text in events (alac_kernel.sealed_text), wrapped
    by the tenant's data key. Deleting the row on erasure makes every sealed copy of the text
    unreadable, on the bus and in its backups (crypto-shredding)."""

    __tablename__ = "complaint_text_keys"

    complaint_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    key_version: Mapped[int] = mapped_column(Integer)
    wrapped: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
