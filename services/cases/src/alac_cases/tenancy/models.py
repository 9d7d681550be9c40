"""The registry's table. Not TenantScoped: the registry is the platform's, above tenants."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from alac_cases.case.models import Base
from alac_kernel.db import UTCDateTime


class TenantRecord(Base):
    __tablename__ = "tenant_registry"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # The TenantSpec without the first admin (alac_kernel.tenants.TenantSpec.public()).
    spec: Mapped[dict] = mapped_column(JSON)
    # onboarding -> active <-> suspended -> offboarded
    status: Mapped[str] = mapped_column(String(16), index=True)
    # Onboarding steps done so far, in order: a re-run skips them (resumable onboarding).
    steps_done: Mapped[list] = mapped_column(JSON, default=list)
    organization_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    admin_user_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # What the first admin was invited as (username, e-mail, names): needed to resume.
    admin: Mapped[dict] = mapped_column(JSON)
    # Accounts the suspension disabled (enabled again on reactivation; others stay disabled).
    suspended_accounts: Mapped[list | None] = mapped_column(JSON, nullable=True)
    archive_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
