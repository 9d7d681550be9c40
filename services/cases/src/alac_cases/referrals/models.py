"""Referrals of a case to another tenant (a partner NGO)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from alac_cases.case.models import Base
from alac_kernel.db import TenantScoped, UTCDateTime


class Referral(TenantScoped, Base):
    __tablename__ = "case_referrals"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[str] = mapped_column(String(36), ForeignKey("cases.id"), index=True)
    action_id: Mapped[str] = mapped_column(String(36))
    to_tenant: Mapped[str] = mapped_column(String(64))
    consent_version: Mapped[int] = mapped_column(Integer)
    # exactly what case.referred carried (non-personal fields the consent allowed)
    shared: Mapped[dict] = mapped_column(JSON)
    referred_by: Mapped[str] = mapped_column(String(128))
    referred_at: Mapped[datetime] = mapped_column(UTCDateTime)
